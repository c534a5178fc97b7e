"""A strict Content-Security-Policy: every asset from the app itself, no inline script/style."""

import re

import pytest
from django.urls import reverse

from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/", "/api/docs/"])
def test_public_pages_send_a_strict_policy_and_carry_no_inline_code(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    page = response.content.decode()
    assert INLINE_SCRIPT.findall(page) == []
    assert "<style" not in page and ' style="' not in page


def test_signed_in_pages_carry_no_inline_code(client):
    person = member(OrganizationFactory())
    client.force_login(person)
    for name in ("home", "members", "preferences", "integrations", "webhooks"):
        page = client.get(reverse(name)).content.decode()
        assert INLINE_SCRIPT.findall(page) == [], name
        assert ' style="' not in page, name


def test_the_redoc_page_alone_allows_inline_styles_and_loads_nothing_from_outside(client):
    response = client.get("/api/redoc/")
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" in policy.split("style-src")[1].split(";")[0]
    assert "script-src 'self'" in policy
    page = response.content.decode()
    assert INLINE_SCRIPT.findall(page) == []
    assert "https://" not in page
