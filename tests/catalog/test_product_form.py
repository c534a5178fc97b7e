"""The merchant's "List a product" form: what each field says it needs, and a failed submission
that reports every error at once and keeps the chosen image.

People: the merchant's owner (Great Lakes Maple Co.) and an outsider merchant who is refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import Category, ListingState, Product, ProductImage
from catalog.pending_images import pending_image_keep, pending_images_prune
from network.storage import private_storage
from tests.catalog.factories import merchant, png_upload, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def maple():
    organization, owner = merchant()
    return {"org": organization, "owner": owner}


def form_data(**changes) -> dict:
    data = {
        "title_en": "Maple Syrup Gift Set",
        "category": Category.objects.get(slug="maple-syrup").pk,
        "description_en": "Three bottles.",
        "hs_code": "1702.20.0000",
        "country_of_origin": "US",
        "lead_time_days": "10",
        "weight_kg": "2.1",
        "length_cm": "30",
        "width_cm": "10",
        "height_cm": "22",
        "sku-code": "GIFT-1-STD",
        "sku-case_pack": "4",
        "sku-moq": "8",
        "sku-on_hand": "200",
        "sku-low_stock_threshold": "0",
        "tiers-TOTAL_FORMS": "2",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "10",
        "tiers-0-min_quantity": "8",
        "tiers-0-unit_price_usd": "21.00",
        "tiers-1-min_quantity": "40",
        "tiers-1-unit_price_usd": "19.50",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def label_of(page: str, field_id: str) -> str:
    match = re.search(rf'<label for="{field_id}">(.*?)</label>', page, re.S)
    assert match, field_id
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


# --- The HS code is needed to publish, not optional ---------------------------------------------


def test_the_hs_code_is_marked_needed_to_publish_not_optional(client, maple):
    client.force_login(maple["owner"])
    page = client.get(reverse("catalog:product_create")).content.decode()
    assert label_of(page, "id_hs_code") == "HS code (needed to publish)"
    assert label_of(page, "id_brand") == "Brand (optional)"
    assert "A draft can be saved without it; a listing cannot be published without it." in page


def test_publishing_without_an_hs_code_says_so(client, maple):
    client.force_login(maple["owner"])
    response = client.post(
        reverse("catalog:product_create"),
        form_data(hs_code="", publish="1", **{"img-image": png_upload()}),
        follow=True,
    )
    page = response.content.decode()
    assert "Saved as a draft. To publish, add an HS code." in page
    assert "Before you can publish, add: an HS code." in page
    with scopes_disabled():
        product = Product.objects.get(title_en="Maple Syrup Gift Set")
    assert product.state == ListingState.DRAFT
    response = client.post(
        reverse("catalog:product_transition", args=[product.pk, "publish"]), follow=True
    )
    assert "To publish, add an HS code." in response.content.decode()
    with scopes_disabled():
        assert Product.objects.get(pk=product.pk).state == ListingState.DRAFT


# --- One round of errors, and the chosen image kept ----------------------------------------------


def errors_of(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", e).strip() for e in re.findall(r"<li>(.*?)</li>", page)]


def pending_token(page: str) -> str:
    match = re.search(r'name="img-pending" value="([^"]+)"', page)
    assert match, "no kept image"
    return match.group(1)


def test_every_error_is_reported_in_one_round(client, maple):
    product(maple["org"], maple["owner"], code="TAKEN-1", publish=False, image=False)
    client.force_login(maple["owner"])
    response = client.post(
        reverse("catalog:product_create"),
        form_data(
            title_en="",  # a field error
            **{
                "sku-code": "TAKEN-1",  # taken by another SKU of the merchant
                "tiers-1-unit_price_usd": "25.00",  # a price that rises with the quantity
                "img-image": SimpleUploadedFile("x.png", b"not an image", "image/png"),
            },
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    errors = errors_of(page)
    assert "This field is required." in errors
    assert "You already have a SKU with the code TAKEN-1." in errors
    assert any("must fall as the quantity rises" in e for e in errors)
    assert "This file is not an image we can read." in errors
    assert 'name="img-pending"' not in page  # nothing worth keeping
    with scopes_disabled():
        assert not Product.objects.filter(title_en="Maple Syrup Gift Set").exists()


def test_the_chosen_image_is_kept_across_a_failed_submission(
    client, maple, django_capture_on_commit_callbacks
):

    client.force_login(maple["owner"])
    response = client.post(
        reverse("catalog:product_create"),
        form_data(**{"tiers-1-unit_price_usd": "25.00", "img-image": png_upload("syrup.png")}),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<strong>syrup.png</strong> is kept from your last attempt" in page
    assert 'src="data:image/jpeg;base64,' in page
    token = pending_token(page)
    # A second failure keeps it still, without choosing it again.
    response = client.post(
        reverse("catalog:product_create"),
        form_data(title_en="", **{"img-pending": token}),
    )
    assert response.status_code == 400
    assert pending_token(response.content.decode()) == token
    kept = private_storage().listdir(f"pending-images/{maple['org'].pk}")[1]
    assert len(kept) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("catalog:product_create"), form_data(**{"img-pending": token})
        )
    assert response.status_code == 302
    with scopes_disabled():
        created = Product.objects.get(title_en="Maple Syrup Gift Set")
        assert ProductImage.objects.filter(product=created).count() == 1
    assert private_storage().listdir(f"pending-images/{maple['org'].pk}")[1] == []


def test_a_kept_image_is_its_uploaders_only(client, maple):
    client.force_login(maple["owner"])
    response = client.post(
        reverse("catalog:product_create"),
        form_data(title_en="", **{"img-image": png_upload("syrup.png")}),
    )
    token = pending_token(response.content.decode())
    other_org, other_owner = merchant("Copycat Trading", slug="copycat")
    client.force_login(other_owner)
    for forged in (token, token[:-2] + "xx"):
        response = client.post(
            reverse("catalog:product_create"), form_data(**{"img-pending": forged})
        )
        assert response.status_code == 400
        assert "The image you chose earlier is no longer kept; choose it again." in (
            response.content.decode()
        )
    with scopes_disabled():
        assert not Product.objects.filter(organization=other_org).exists()


def test_kept_images_nobody_came_back_for_are_pruned(client, maple):

    pending_image_keep(upload=png_upload(), organization=maple["org"], user=maple["owner"])
    folder = f"pending-images/{maple['org'].pk}"
    assert pending_images_prune() == 0
    assert len(private_storage().listdir(folder)[1]) == 1
    assert pending_images_prune(now=timezone.now() + timedelta(days=1, minutes=1)) == 1
    assert private_storage().listdir(folder)[1] == []
