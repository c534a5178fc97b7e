"""The home pages lead somewhere: the visitors' hero and the buyers' next steps link to the
catalogue, and the operators' home counts what waits for them, each count linking to its
queue."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from merchants.models import ApplicationStatus
from moderation import services as brands
from network.models import Organization, Role
from tests.catalog.factories import merchant
from tests.factories import OrganizationFactory, member, operator, sign_in
from tests.merchants.conftest import make_application, pdf_upload
from tests.moderation.test_brands import listing

pytestmark = pytest.mark.django_db


def test_the_visitors_hero_leads_to_the_catalogue(client):
    hero = client.get(reverse("home")).content.decode().split('class="hero"', 1)[1]
    hero = hero.split("</section>", 1)[0]
    assert f'href="{reverse("catalog:browse")}"' in hero and "Browse the catalogue" in hero


def test_the_buyers_next_steps_are_links(client):
    store = OrganizationFactory(kind=Organization.Kind.BUYER)
    client.force_login(member(store, Role.BUYER))
    page = client.get(reverse("home")).content.decode()
    header = page.split('class="page-header"', 1)[1].split("</div>\n</div>", 1)[0]
    assert (
        f'<a class="button" href="{reverse("catalog:browse")}">Browse the catalogue</a>' in header
    )
    steps = page.split('<ol class="steps">', 1)[1].split("</ol>", 1)[0]
    for url, words in [
        (reverse("members"), "Invite your purchasing team"),
        (reverse("catalog:browse"), "Browse vetted US merchants' wholesale catalogue"),
        (reverse("orders:cart"), "Place one purchase order across many merchants"),
    ]:
        assert f'<a href="{url}">{words}</a>' in steps
    # A viewer may not order: that step is no link for them.
    client.force_login(member(store, Role.VIEWER))
    steps = client.get(reverse("home")).content.decode().split('<ol class="steps">', 1)[1]
    assert reverse("orders:cart") not in steps.split("</ol>", 1)[0]


def test_the_operators_home_counts_each_queue_and_links_to_it(client):
    make_application(
        OrganizationFactory(name="Sunbelt Vitamins"), status=ApplicationStatus.SUBMITTED
    )
    make_application(OrganizationFactory(name="Draft Co."), status=ApplicationStatus.DRAFT)
    shop, shop_owner = merchant("Copycat Trading", slug="copycat")
    store = OrganizationFactory(kind=Organization.Kind.BUYER)
    reporter = member(store, Role.BUYER)
    staff = operator(Role.STAFF)
    with scopes_disabled():
        taken_down = listing(shop, shop_owner, brand="Northwoods", title_en="Syrup", seed=1)
        still_open = listing(shop, shop_owner, brand="Northwoods", title_en="Candy", seed=2)
        for item in (taken_down, still_open):
            report = brands.report_create(
                product=item,
                reason="counterfeit",
                reporter_organization=store,
                acting_user=reporter,
            )
        first = taken_down.reports.get()
        brands.report_decide(
            report=first, decision="take_down", reason="Fake labels.", acting_user=operator()
        )
        brands.appeal_file(report=first, statement="Our own labels.", acting_user=shop_owner)
        brands.brand_register(
            organization=shop,
            name="Copycat",
            trademark_number="7654321",
            trademark_office="USPTO",
            evidence=pdf_upload(),
            acting_user=shop_owner,
        )
    assert report.status == "open"

    sign_in(client, staff)
    page = client.get(reverse("home")).content.decode()
    moderation = reverse("catalog:moderation")
    for url, words in [
        (reverse("merchants:review_queue"), "1 merchant application to review"),
        (moderation, "1 listing report to moderate"),
        (moderation + "#appeals", "1 takedown appeal to decide"),
        (moderation + "#brands", "1 brand to verify"),
    ]:
        assert f'<a href="{url}"><strong>{words}</strong></a>' in page
        assert client.get(url.split("#")[0]).status_code == 200

    # A viewer may open none of these queues, and sees no counts.
    sign_in(client, operator(Role.VIEWER))
    page = client.get(reverse("home")).content.decode()
    assert "Waiting for you" not in page and "to review" not in page


def test_the_operators_home_says_when_a_queue_is_empty(client):
    sign_in(client, operator(Role.STAFF))
    page = client.get(reverse("home")).content.decode()
    assert (
        f'<a href="{reverse("merchants:review_queue")}">0 merchant applications to review</a>'
        in page
    )
