"""Reports against listings: a buyer reports in two clicks from the product page and follows
the status; only the reporter and the operators ever see a report or its evidence.

People: the reporting buyer, a teammate of the buyer, an outsider buyer, the merchant whose
listing is reported, a brand owner, and an operator."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.errors import ReportRejected
from moderation import services as brands
from moderation.models import ListingReport
from network.models import Organization, Role
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
    other_store = OrganizationFactory(kind=Organization.Kind.BUYER, name="Ningbo Store")
    return {
        "shop": shop,
        "shop_owner": shop_owner,
        "item": item,
        "buyer": member(store, Role.BUYER),
        "teammate": member(store, Role.BUYER),
        "outsider": member(other_store, Role.BUYER),
    }


def report_in_two_clicks(client, world, **extra):
    """Click 1: the product page's "Report this listing". Click 2: "Send the report" (the
    reason is preselected)."""
    page = client.get(reverse("catalog:product", args=[world["item"].pk])).content.decode()
    link = reverse("catalog:report_create", args=[world["item"].pk])
    assert f'href="{link}"' in page
    form = client.get(link)
    assert form.status_code == 200
    assert 'value="counterfeit"' in form.content.decode()
    assert "checked" in form.content.decode()
    return client.post(link, {"reason": "counterfeit", **extra})


def test_buyer_reports_in_two_clicks_and_sees_the_status(client, world):
    client.force_login(world["buyer"])
    response = report_in_two_clicks(client, world)
    report = ListingReport.objects.of_reporter(world["buyer"]).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:report", args=[report.pk])
    assert report.source == ListingReport.Source.BUYER
    assert report.status == ListingReport.Status.OPEN
    assert report.snapshot["title_en"] == "Amber Maple Syrup"
    page = client.get(reverse("catalog:my_reports")).content.decode()
    assert "Amber Maple Syrup" in page and "Waiting for a decision" in page


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    url = reverse("catalog:report_create", args=[world["item"].pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(url, {"reason": "counterfeit"}).status_code == 302
    assert not ListingReport.objects.exists()


def test_nobody_but_the_reporter_and_operators_sees_a_report(client, world):
    client.force_login(world["buyer"])
    report_in_two_clicks(client, world, evidence=pdf_upload("receipt.pdf"), details="Fake label")
    report = ListingReport.objects.of_reporter(world["buyer"]).get()
    detail = reverse("catalog:report", args=[report.pk])
    evidence = reverse("catalog:report_evidence", args=[report.pk])
    assert client.get(detail).status_code == 200
    assert client.get(evidence).status_code == 200
    for person in (world["teammate"], world["outsider"], world["shop_owner"]):
        client.force_login(person)
        assert client.get(detail).status_code == 404
        assert client.get(evidence).status_code == 404
        assert "Amber Maple Syrup" not in client.get(reverse("catalog:my_reports")).content.decode()
    client.logout()
    assert client.get(evidence).status_code == 302
    sign_in(client, operator())
    page = client.get(detail).content.decode()
    assert "Fake label" in page and world["buyer"].email in page
    assert client.get(evidence).status_code == 200


def test_the_merchant_cannot_report_its_own_listing(client, world):
    client.force_login(world["shop_owner"])
    page = client.get(reverse("catalog:product", args=[world["item"].pk])).content.decode()
    assert "Report this listing" not in page
    url = reverse("catalog:report_create", args=[world["item"].pk])
    assert client.post(url, {"reason": "counterfeit"}).status_code == 404
    with pytest.raises(ReportRejected):
        brands.report_create(
            product=world["item"],
            reason="counterfeit",
            reporter_organization=None,
            acting_user=world["shop_owner"],
        )


def test_one_open_report_per_person_and_a_rate_limit(world, settings):
    buyer = world["buyer"]
    brands.report_create(
        product=world["item"], reason="counterfeit", reporter_organization=None, acting_user=buyer
    )
    with pytest.raises(ReportRejected, match="already reported"):
        brands.report_create(
            product=world["item"], reason="unsafe", reporter_organization=None, acting_user=buyer
        )
    others = [
        listing(world["shop"], world["shop_owner"], title_en=f"Syrup {n}", seed=20 + n)
        for n in range(settings.LISTING_REPORTS_PER_HOUR)
    ]
    with pytest.raises(ReportRejected, match="in the last hour"):
        for item in others:
            brands.report_create(
                product=item, reason="counterfeit", reporter_organization=None, acting_user=buyer
            )


def test_evidence_must_be_a_pdf_or_a_picture(client, world):
    client.force_login(world["buyer"])
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = client.post(
        reverse("catalog:report_create", args=[world["item"].pk]),
        {"reason": "counterfeit", "evidence": fake},
    )
    assert response.status_code == 400
    assert "Only PDF, PNG or JPEG files" in response.content.decode()
    assert not ListingReport.objects.exists()


def test_brand_owner_reports_are_marked_as_such(world):
    brand_org, brand_user = merchant("Great Lakes Maple Co.", slug="great-lakes")
    protected_brand(brand_org, brand_user)
    report = brands.report_create(
        product=world["item"],
        reason="trademark",
        reporter_organization=brand_org,
        acting_user=brand_user,
    )
    assert report.source == ListingReport.Source.BRAND_OWNER


def test_operator_asks_for_information_and_the_reporter_answers(client, world):
    report = brands.report_create(
        product=world["item"],
        reason="counterfeit",
        reporter_organization=None,
        acting_user=world["buyer"],
    )
    brands.report_decide(
        report=report,
        decision="request_info",
        reason="Send a photo of the label.",
        acting_user=operator(),
    )
    client.force_login(world["buyer"])
    url = reverse("catalog:report", args=[report.pk])
    page = client.get(url).content.decode()
    assert "More information requested" in page and "Send a photo of the label." in page
    # Someone else cannot answer in the reporter's place.
    client.force_login(world["outsider"])
    assert client.post(url, {"details": "x"}).status_code == 404
    client.force_login(world["buyer"])
    response = client.post(url, {"details": "Label photo attached", "evidence": pdf_upload()})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ListingReport.Status.OPEN and "Label photo attached" in report.details
    # The answer's time is part of the text, read in any zone: it names its zone.
    assert re.search(r"\[\d{4}-\d\d-\d\d \d\d:\d\d UTC\] Label photo attached", report.details)


def test_my_reports_page_query_count_is_fixed(client, world, django_assert_num_queries):
    buyer = world["buyer"]
    brands.report_create(
        product=world["item"], reason="counterfeit", reporter_organization=None, acting_user=buyer
    )
    client.force_login(buyer)
    client.get(reverse("catalog:my_reports"))
    for n in range(3):
        item = listing(world["shop"], world["shop_owner"], title_en=f"Syrup {n}", seed=60 + n)
        brands.report_create(
            product=item, reason="unsafe", reporter_organization=None, acting_user=buyer
        )
    # Session, user, memberships; then the reports with their listings (one query).
    with django_assert_num_queries(4):
        response = client.get(reverse("catalog:my_reports"))
    assert len(re.findall(r'href="/catalog/reports/\d+/"', response.content.decode())) == 4
