"""Who reaches a report, an appeal, a brand and an authorisation: its parties (and the network's
operators), never an outsider, through the access functions and through the pages that use them
(a 404, as for a record that does not exist, so an outsider learns nothing).

People: the listed merchant (Copycat Trading) and its owner, the reporting buyer (Hangzhou
Store), the brand owner (Great Lakes Maple Co.) with an authorised reseller (Lakeside Foods), an
outsider merchant and an outsider buyer, and an operator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from moderation import selectors
from moderation import services as brands
from network.models import Organization, Role
from network.tenancy import RecordNotFound
from tests.catalog.factories import merchant
from tests.factories import OrganizationFactory, member, operator, sign_in
from tests.merchants.conftest import pdf_upload
from tests.moderation.test_brands import listing, protected_brand

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    shop, shop_owner = merchant("Copycat Trading", slug="copycat")
    item = listing(shop, shop_owner, brand="Northwoods", title_en="Amber Maple Syrup", seed=4)
    store = OrganizationFactory(kind=Organization.Kind.BUYER, name="Hangzhou Store")
    buyer = member(store, Role.BUYER)
    report = brands.report_create(
        product=item,
        reason="counterfeit",
        evidence=pdf_upload("receipt.pdf"),
        reporter_organization=store,
        acting_user=buyer,
    )
    brand_org, brand_user = merchant("Great Lakes Maple Co.", slug="great-lakes")
    brand = protected_brand(brand_org, brand_user)
    reseller_org, _reseller_user = merchant("Lakeside Foods", slug="lakeside")
    grant = brands.brand_grant_add(
        brand=brand,
        reseller=reseller_org,
        expires_at=timezone.now() + timedelta(days=30),
        acting_user=brand_user,
    )
    staff = operator()
    outsider_org, outsider_user = merchant("Other Co.", slug="other-co")
    outsider_buyer_org = OrganizationFactory(kind=Organization.Kind.BUYER, name="Ningbo Store")
    return {
        "shop": shop,
        "shop_owner": shop_owner,
        "store": store,
        "buyer": buyer,
        "report": report,
        "brand_org": brand_org,
        "brand_user": brand_user,
        "brand": brand,
        "reseller": reseller_org,
        "grant": grant,
        "operator": staff,
        "operators": staff.memberships.get().organization,
        "outsider": outsider_org,
        "outsider_user": outsider_user,
        "outsider_buyer": outsider_buyer_org,
    }


def _appeal(world):
    brands.report_decide(
        report=world["report"], decision="take_down", reason="Fake.", acting_user=world["operator"]
    )
    with scopes_disabled():
        return brands.appeal_file(
            report=world["report"], statement="Genuine.", acting_user=world["shop_owner"]
        )


# --- Listing reports ---------------------------------------------------------------------------


def test_a_report_reaches_its_reporter_its_merchant_and_operators_only(world):
    pk = world["report"].pk
    for party in ("store", "shop", "operators"):
        assert selectors.access_listing_report(organization=world[party], pk=pk).pk == pk
    # The person who filed it, also without an organisation.
    found = selectors.access_listing_report(organization=None, pk=pk, user=world["buyer"])
    assert found.pk == pk
    for outsider in ("outsider", "outsider_buyer", "brand_org"):
        with pytest.raises(RecordNotFound):
            selectors.access_listing_report(organization=world[outsider], pk=pk)
    with pytest.raises(RecordNotFound):
        selectors.access_listing_report(organization=None, pk=pk)


def test_an_outsider_gets_404_for_the_report_its_evidence_and_its_appeal(client, world):
    report = world["report"]
    client.force_login(world["buyer"])
    assert client.get(reverse("catalog:report", args=[report.pk])).status_code == 200
    assert client.get(reverse("catalog:report_evidence", args=[report.pk])).status_code == 200
    client.force_login(world["outsider_user"])
    assert client.get(reverse("catalog:report", args=[report.pk])).status_code == 404
    assert client.get(reverse("catalog:report_evidence", args=[report.pk])).status_code == 404
    response = client.post(
        reverse("catalog:appeal_file", args=[report.pk]), {"statement": "Not ours."}
    )
    assert response.status_code == 404
    sign_in(client, world["operator"])
    assert client.get(reverse("catalog:report_evidence", args=[report.pk])).status_code == 200


# --- Appeals -----------------------------------------------------------------------------------


def test_an_appeal_reaches_its_merchant_and_operators_only(client, world):
    appeal = _appeal(world)
    for party in ("shop", "operators"):
        assert selectors.access_appeal(organization=world[party], pk=appeal.pk).pk == appeal.pk
    for outsider in ("outsider", "store", "brand_org"):
        with pytest.raises(RecordNotFound):
            selectors.access_appeal(organization=world[outsider], pk=appeal.pk)
    judge = operator(email="judge@network.example")
    sign_in(client, judge)
    response = client.post(
        reverse("catalog:appeal_decide", args=[appeal.pk]),
        {"outcome": "uphold", "reason": "The label is fake."},
    )
    assert response.status_code == 302
    missing = reverse("catalog:appeal_decide", args=[appeal.pk + 1000])
    assert client.post(missing, {"outcome": "uphold", "reason": "x"}).status_code == 404


# --- Brands and authorisations -----------------------------------------------------------------


def test_a_brand_reaches_its_owner_and_operators_only(client, world):
    pk = world["brand"].pk
    for party in ("brand_org", "operators"):
        assert selectors.access_brand(organization=world[party], pk=pk).pk == pk
    for outsider in ("outsider", "reseller", "store"):
        with pytest.raises(RecordNotFound):
            selectors.access_brand(organization=world[outsider], pk=pk)
    client.force_login(world["outsider_user"])
    expires = (timezone.now() + timedelta(days=30)).date().isoformat()
    for response in (
        client.get(reverse("catalog:brand_edit", args=[pk])),
        client.get(reverse("catalog:brand_evidence", args=[pk])),
        client.post(
            reverse("catalog:brand_grant_add", args=[pk]),
            {"reseller": "other-co", "expires_at": expires},
        ),
    ):
        assert response.status_code == 404
    client.force_login(world["brand_user"])
    assert client.get(reverse("catalog:brand_edit", args=[pk])).status_code == 200
    assert client.get(reverse("catalog:brand_evidence", args=[pk])).status_code == 200


def test_an_authorisation_reaches_reseller_owner_and_operators_and_only_the_owner_ends_it(
    client, world
):
    grant = world["grant"]
    for party in ("reseller", "brand_org", "operators"):
        assert selectors.access_brand_grant(organization=world[party], pk=grant.pk).pk == grant.pk
    for outsider in ("outsider", "shop"):
        with pytest.raises(RecordNotFound):
            selectors.access_brand_grant(organization=world[outsider], pk=grant.pk)
    revoke = reverse("catalog:brand_grant_revoke", args=[grant.pk])
    client.force_login(world["outsider_user"])
    assert client.post(revoke).status_code == 404
    reseller_owner = world["reseller"].memberships.get().user
    client.force_login(reseller_owner)
    assert client.post(revoke).status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None
    client.force_login(world["brand_user"])
    assert client.post(revoke).status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None
