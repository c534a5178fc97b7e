"""The network's icon: served at /favicon.ico (which browsers ask for on any page, a PDF
included) from the app's own static files, and linked from every page's head, the print
view, the admin and the API documentation included."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from network.models import Organization, Role
from tests.factories import OrganizationFactory, member, operator, sign_in
from tests.orders.factories import buyer, merchant, place, sku

pytestmark = pytest.mark.django_db

ICO_MAGIC = b"\x00\x00\x01\x00"


def _icon_of(client, html: str) -> bytes:
    """The icon the page's head links (the first ``rel="icon"``), fetched."""
    head = html.split("</head>", 1)[0]
    link = re.search(r'<link rel="icon" href="([^"]+)"', head)
    assert link, "no icon linked"
    response = client.get(link.group(1))
    assert response.status_code == 200, link.group(1)
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_favicon_ico_is_served_without_a_session(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    assert b"".join(response.streaming_content).startswith(ICO_MAGIC)


def test_every_kind_of_page_links_the_icon(client):
    assert _icon_of(client, client.get(reverse("home")).content.decode()).startswith(ICO_MAGIC)
    for url in ("/api/docs/", "/api/redoc/", reverse("account_login")):
        page = client.get(url).content.decode()
        assert _icon_of(client, page).startswith(ICO_MAGIC), url

    maple, maple_owner = merchant("Great Lakes Maple Co.")
    store, wang = buyer()
    purchase_order = place(store, wang, [(sku(maple, maple_owner, code="MAPLE-500"), 48)])
    client.force_login(wang)
    printable = client.get(reverse("orders:purchase_order_print", args=[purchase_order.number]))
    assert _icon_of(client, printable.content.decode()).startswith(ICO_MAGIC)

    sign_in(client, operator(Role.OWNER))
    admin = client.get(reverse("admin:index")).content.decode()
    assert _icon_of(client, admin).startswith(ICO_MAGIC)
    changelist = client.get(reverse("admin:network_organization_changelist")).content.decode()
    assert _icon_of(client, changelist).startswith(ICO_MAGIC)


def test_the_error_pages_link_the_icon(client):
    from django.template.loader import render_to_string

    for name in ("500.html", "503.html"):
        assert 'rel="icon" href="/favicon.ico"' in render_to_string(name)
    client.force_login(member(OrganizationFactory(kind=Organization.Kind.BUYER)))
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert _icon_of(client, missing.content.decode()).startswith(ICO_MAGIC)
