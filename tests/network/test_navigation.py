"""The header shows each person only links they may open: every link in the navigation and the
account menu answers 200, for every role of every kind of organisation."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from network.models import ROLES_BY_KIND, Organization, Role
from tests.factories import OrganizationFactory, member, sign_in

pytestmark = pytest.mark.django_db

CASES = [(kind, role) for kind, roles in ROLES_BY_KIND.items() for role in roles]


def header_links(html: str) -> list[str]:
    header = html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    return sorted(set(re.findall(r'<a [^>]*href="([^"#]+)"', header)))


@pytest.mark.parametrize(("kind", "role"), CASES, ids=[f"{k}-{r}" for k, r in CASES])
def test_every_header_link_opens(client, kind, role):
    organization = (
        Organization.objects.filter(kind=kind).first()
        if kind == Organization.Kind.OPERATOR
        else None
    ) or OrganizationFactory(kind=kind, name=f"A {kind}")
    user = member(organization, role)
    if kind == Organization.Kind.OPERATOR:
        sign_in(client, user)
    else:
        client.force_login(user)
    links = header_links(client.get(reverse("home")).content.decode())
    assert reverse("preferences") in links and reverse("members") in links
    refused = {}
    for url in links:
        status = client.get(url).status_code
        if status != 200:
            refused[url] = status
    assert refused == {}


def test_buyer_staff_see_no_integrations_but_their_admins_do(client):
    store = OrganizationFactory(kind=Organization.Kind.BUYER)
    client.force_login(member(store, Role.BUYER))
    html = client.get(reverse("home")).content.decode()
    assert reverse("integrations") not in header_links(html) and ">Cart</a>" in html
    client.force_login(member(store, Role.ADMIN))
    assert reverse("integrations") in header_links(client.get(reverse("home")).content.decode())
    client.force_login(member(store, Role.VIEWER))
    assert reverse("orders:cart") not in header_links(client.get(reverse("home")).content.decode())


def test_every_header_link_opens_for_a_visitor(client):
    links = header_links(client.get(reverse("catalog:browse")).content.decode())
    assert reverse("account_login") in links
    assert {url: client.get(url).status_code for url in links} == dict.fromkeys(links, 200)


def test_a_merchant_viewer_learns_the_application_is_not_started(client):
    client.force_login(member(OrganizationFactory(kind=Organization.Kind.MERCHANT), Role.VIEWER))
    page = client.get(reverse("merchants:application"))
    assert page.status_code == 200
    assert "has not started its merchant application yet" in page.content.decode()
