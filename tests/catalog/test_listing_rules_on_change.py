"""The brand rules run on every change to an active listing, as at publish: on the product edit
page, when a photo is added, through the API upsert and through the spreadsheet import.

A protected brand without authorisation refuses the change (nothing is written, the merchant
sees why); a look-alike title or a copied photo moves the listing to In review with an
automatic report. People: the brand owner (Great Lakes Maple Co.) and an outsider merchant
(Copycat Trading)."""

from __future__ import annotations

import re

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.forms import ProductForm
from catalog.models import ImportJob, ListingState, Product, ProductImage
from catalog.selectors import product_search_ids
from moderation import services as brands
from moderation.models import ListingReport
from network import services as network_services
from network.models import ApiScope
from tests.catalog.factories import merchant
from tests.catalog.test_api_upsert import _body, _put
from tests.catalog.test_import_export import csv_file, row, upload
from tests.factories import operator
from tests.moderation.test_brands import listing, picture_upload, protected_brand, state_of

pytestmark = pytest.mark.django_db

# The outsider's own listing: nothing in it resembles the protected brand.
PLAIN = {"brand": "Generic", "title_en": "Lake Superior Smoked Fish"}
REFUSED = "Great Lakes is a protected brand"
HELD = "Held for review"


@pytest.fixture
def owner():
    organization, user = merchant("Great Lakes Maple Co.", slug="great-lakes")
    return {"org": organization, "user": user, "brand": protected_brand(organization, user)}


@pytest.fixture
def outsider():
    organization, user = merchant("Copycat Trading", slug="copycat")
    return {"org": organization, "user": user}


@pytest.fixture
def active(owner, outsider):
    item = listing(outsider["org"], outsider["user"], seed=6, code="COPY-1", **PLAIN)
    assert state_of(item) == ListingState.ACTIVE
    return item


def reports(item) -> list[ListingReport]:
    with scopes_disabled():
        return list(ListingReport.objects.filter(product=item).select_related("matched_brand"))


def fresh(item) -> Product:
    with scopes_disabled():
        return Product.objects.get(pk=item.pk)


# --- The product edit page ---------------------------------------------------------------------


def edit_data(item, **changes) -> dict:
    data = {
        name: ("" if value is None else value)
        for name, value in model_to_dict(item, fields=ProductForm.Meta.fields).items()
    }
    data.update(changes)
    return data


def test_edit_page_refuses_a_protected_brand_and_writes_nothing(client, owner, outsider, active):
    client.force_login(outsider["user"])
    url = reverse("catalog:product_edit", args=[active.pk])
    response = client.post(url, edit_data(active, brand="Great Lakes", title_en="Maple syrup"))
    assert response.status_code == 400  # the form again, with the refusal
    assert REFUSED in response.content.decode()
    stored = fresh(active)
    assert (stored.brand, stored.title_en, stored.state) == (
        "Generic",
        "Lake Superior Smoked Fish",
        ListingState.ACTIVE,
    )
    assert reports(active) == []


def test_edit_page_holds_a_look_alike_title_for_review(client, owner, outsider, active):
    client.force_login(outsider["user"])
    url = reverse("catalog:product_edit", args=[active.pk])
    response = client.post(url, edit_data(active, title_en="Graet Lakes Maple Syrup"), follow=True)
    assert HELD in response.content.decode()
    assert state_of(active) == ListingState.IN_REVIEW
    [report] = reports(active)
    assert report.source == ListingReport.Source.AUTOMATIC
    assert report.matched_brand == owner["brand"]
    assert report.snapshot["title_en"] == "Graet Lakes Maple Syrup"
    assert active.pk not in product_search_ids("syrup")


def test_a_cleared_edit_is_not_held_again_for_the_same_concern(client, owner, outsider, active):
    client.force_login(outsider["user"])
    url = reverse("catalog:product_edit", args=[active.pk])
    client.post(url, edit_data(active, title_en="Graet Lakes Maple Syrup"))
    [report] = reports(active)
    brands.report_decide(
        report=report, decision="dismiss", reason="A fish smokery", acting_user=operator()
    )
    assert state_of(active) == ListingState.ACTIVE
    response = client.post(
        url, edit_data(fresh(active), title_en="Graet Lakes Maple Syrup 1 l"), follow=True
    )
    assert "Saved." in response.content.decode()
    assert state_of(active) == ListingState.ACTIVE
    assert len(reports(active)) == 1


def test_edit_page_leaves_other_changes_alone(client, owner, outsider, active):
    client.force_login(outsider["user"])
    url = reverse("catalog:product_edit", args=[active.pk])
    response = client.post(url, edit_data(active, lead_time_days=9), follow=True)
    assert "Saved." in response.content.decode()
    assert state_of(active) == ListingState.ACTIVE
    assert reports(active) == []


# --- A photo added -------------------------------------------------------------------------------


def test_a_copied_photo_added_to_an_active_listing_holds_it_for_review(
    client, owner, outsider, active
):
    original = listing(owner["org"], owner["user"], seed=1, brand="Great Lakes")
    assert state_of(original) == ListingState.ACTIVE
    client.force_login(outsider["user"])
    edit_url = reverse("catalog:product_edit", args=[active.pk])
    response = client.post(
        reverse("catalog:image_upload", args=[active.pk]),
        {"image": picture_upload(1), "alt_text": ""},
        follow=True,
    )
    assert response.redirect_chain == [(edit_url, 302)]
    assert HELD in response.content.decode()
    assert state_of(active) == ListingState.IN_REVIEW
    [report] = reports(active)
    assert report.reason == "copied"
    assert report.matched_brand == owner["brand"]
    assert original.reference in report.details
    with scopes_disabled():
        assert ProductImage.objects.filter(product=active).count() == 2


def test_an_own_new_photo_keeps_the_listing_active(client, owner, outsider, active):
    client.force_login(outsider["user"])
    response = client.post(
        reverse("catalog:image_upload", args=[active.pk]),
        {"image": picture_upload(7), "alt_text": ""},
        follow=True,
    )
    assert "Image added." in response.content.decode()
    assert state_of(active) == ListingState.ACTIVE
    assert reports(active) == []


# --- The API upsert ------------------------------------------------------------------------------


@pytest.fixture
def api_key(outsider):
    _key, raw = network_services.api_key_create(
        organization=outsider["org"],
        name="ERP",
        scopes=list(ApiScope.values),
        acting_user=outsider["user"],
    )
    return f"Bearer {raw}"


def test_api_upsert_refuses_a_protected_brand_and_writes_nothing(
    client, owner, outsider, active, api_key
):
    response = _put(client, api_key, "COPY-1", _body(brand="Great Lakes", **{"title_en": "Fish"}))
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "brand_not_authorised"
    assert REFUSED in response.json()["message"]
    stored = fresh(active)
    assert (stored.brand, stored.title_en, stored.state) == (
        "Generic",
        "Lake Superior Smoked Fish",
        ListingState.ACTIVE,
    )
    assert reports(active) == []


def test_api_upsert_holds_a_look_alike_title_for_review(client, owner, outsider, active, api_key):
    response = _put(client, api_key, "COPY-1", _body(brand="Generic", title_en="GreatLakes syrup"))
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == ListingState.IN_REVIEW
    assert state_of(active) == ListingState.IN_REVIEW
    [report] = reports(active)
    assert (report.source, report.matched_brand) == (
        ListingReport.Source.AUTOMATIC,
        owner["brand"],
    )


def test_api_partial_update_meets_the_same_rules(client, owner, outsider, active, api_key):
    url = f"/api/v1/merchant/products/{active.pk}/"
    refused = client.patch(
        url, {"brand": "Great Lakes"}, content_type="application/json", HTTP_AUTHORIZATION=api_key
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "brand_not_authorised"
    assert fresh(active).brand == "Generic"
    held = client.patch(
        url,
        {"title_en": "Great Lake's finest syrup"},
        content_type="application/json",
        HTTP_AUTHORIZATION=api_key,
    )
    assert held.status_code == 200, held.json()
    assert held.json()["state"] == ListingState.IN_REVIEW
    assert [r.matched_brand for r in reports(active)] == [owner["brand"]]


# --- The spreadsheet import ----------------------------------------------------------------------


def import_row(item, **changes) -> dict:
    values = {
        "product_reference": item.reference,
        "sku_code": "COPY-1",
        "title_en": item.title_en,
        "brand": item.brand,
    }
    return row(1, **(values | changes))


def test_import_refuses_a_protected_brand_on_an_active_listing(
    client, owner, outsider, active, django_capture_on_commit_callbacks
):
    client.force_login(outsider["user"])
    file = csv_file([import_row(active, brand="Great Lakes")])
    job = upload(client, file, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED
    [error] = [e for e in job.row_errors if e["column"] == "brand"]
    assert REFUSED in error["message"]
    assert fresh(active).brand == "Generic"
    assert reports(active) == []
    page = client.get(reverse("catalog:import_job", args=[job.pk])).content.decode()
    assert REFUSED in page


def test_import_holds_a_look_alike_title_for_review(
    client, owner, outsider, active, django_capture_on_commit_callbacks
):
    client.force_login(outsider["user"])
    file = csv_file([import_row(active, title_en="Graet Lakes Maple Syrup")])
    job = upload(client, file, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.SUCCEEDED, job.row_errors
    assert re.search(r"1 active listings .* held for review", job.message)
    stored = fresh(active)
    assert (stored.title_en, stored.state) == ("Graet Lakes Maple Syrup", ListingState.IN_REVIEW)
    [report] = reports(active)
    assert report.matched_brand == owner["brand"]


def test_import_of_an_unchanged_active_listing_keeps_it_active(
    client, owner, outsider, active, django_capture_on_commit_callbacks
):
    client.force_login(outsider["user"])
    job = upload(client, csv_file([import_row(active)]), django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.SUCCEEDED, job.row_errors
    assert state_of(active) == ListingState.ACTIVE
    assert reports(active) == []


def test_import_written_after_a_brand_became_protected_fails_whole(
    client, owner, outsider, active, django_capture_on_commit_callbacks, monkeypatch
):
    # As if the brand were protected between the check of the rows and their write.
    monkeypatch.setattr("catalog.spreadsheets._active_breaks_rules", lambda plan, org: [])
    client.force_login(outsider["user"])
    file = csv_file([import_row(active, brand="Great Lakes", lead_time_days="30")])
    job = upload(client, file, django_capture_on_commit_callbacks, all_or_nothing=False)
    assert job.status == ImportJob.Status.FAILED
    assert REFUSED in job.message
    stored = fresh(active)
    assert (stored.brand, stored.lead_time_days, stored.state) == (
        "Generic",
        active.lead_time_days,
        ListingState.ACTIVE,
    )
