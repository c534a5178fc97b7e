"""Listing transitions, the stock ledger and its alert, images, and the unit price of a
quantity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from catalog import services
from catalog.errors import (
    CatalogPermissionDenied,
    IllegalListingTransition,
    ImageRejected,
    PublishRequirementsMissing,
)
from catalog.models import SKU, InventoryLedger, ListingState, ProductImage
from catalog.selectors import QuantityNotAllowed, unit_price_for
from merchants.errors import MerchantNotApproved
from merchants.models import ApplicationStatus
from network.models import AuditEvent, Role
from tests.catalog.factories import jpeg_bytes, merchant, png_upload, product
from tests.factories import member, operator

pytestmark = pytest.mark.django_db


@pytest.fixture
def maple():
    return merchant()


def test_publish_needs_hs_code_tiers_moq_and_image(maple):
    organization, owner = maple
    draft = product(organization, owner, hs_code="", image=False, publish=False)
    with pytest.raises(PublishRequirementsMissing) as caught, scopes_disabled():
        services.product_publish(product=draft, acting_user=owner)
    assert caught.value.details["missing"] == ["an HS code", "at least one image"]
    with scopes_disabled():
        services.product_update(product=draft, values={"hs_code": "1702200000"}, acting_user=owner)
        services.product_image_add(product=draft, upload=png_upload(), acting_user=owner)
        published = services.product_publish(product=draft, acting_user=owner)
    assert published.state == ListingState.ACTIVE
    assert published.published_at is not None


def test_publish_needs_a_sku(maple):
    organization, owner = maple
    draft = product(organization, owner, publish=False)
    with scopes_disabled():
        SKU.objects.filter(product=draft).delete()
        with pytest.raises(PublishRequirementsMissing) as caught:
            services.product_publish(product=draft, acting_user=owner)
    assert "at least one SKU with its MOQ" in caught.value.message


@pytest.mark.parametrize(
    "status",
    [ApplicationStatus.SUBMITTED, ApplicationStatus.SUSPENDED, ApplicationStatus.REJECTED],
)
def test_only_approved_merchants_publish(status):
    organization, owner = merchant("Pending Co.", status=status)
    draft = product(organization, owner, publish=False)
    with pytest.raises(MerchantNotApproved), scopes_disabled():
        services.product_publish(product=draft, acting_user=owner)


def test_viewers_and_outsiders_cannot_change_a_catalogue(maple):
    organization, owner = maple
    listing = product(organization, owner, publish=False)
    viewer = member(organization, Role.VIEWER)
    outsider = merchant("Other Co.")[1]
    for user in (viewer, outsider):
        with pytest.raises(CatalogPermissionDenied), scopes_disabled():
            services.product_publish(product=listing, acting_user=user)
        with pytest.raises(CatalogPermissionDenied), scopes_disabled():
            services.product_update(product=listing, values={"brand": "X"}, acting_user=user)


def test_state_machine(maple):
    organization, owner = maple
    listing = product(organization, owner)
    with scopes_disabled():
        with pytest.raises(IllegalListingTransition):
            services.product_publish(product=listing, acting_user=owner)
        paused = services.product_pause(product=listing, acting_user=owner)
        assert paused.state == ListingState.PAUSED
        with pytest.raises(IllegalListingTransition):
            services.product_pause(product=listing, acting_user=owner)
        assert services.product_publish(product=listing, acting_user=owner).state == "active"
        with pytest.raises(CatalogPermissionDenied):
            services.product_take_down(product=listing, reason="Counterfeit", acting_user=owner)
        reviewer = operator()
        taken = services.product_take_down(
            product=listing, reason="Counterfeit brand", acting_user=reviewer
        )
        assert taken.state == ListingState.TAKEN_DOWN
        with pytest.raises(IllegalListingTransition):
            services.product_publish(product=listing, acting_user=owner)
        with pytest.raises(IllegalListingTransition):
            services.product_update(product=listing, values={"brand": "X"}, acting_user=owner)
        assert services.product_restore(product=listing, acting_user=reviewer).state == "paused"
        actions = list(
            AuditEvent.objects.filter(target_id=str(listing.pk), action__startswith="product.")
            .order_by("created_at", "pk")
            .values_list("action", flat=True)
        )
    assert actions == [
        "product.created",
        "product.image_added",
        "product.published",
        "product.paused",
        "product.published",
        "product.taken_down",
        "product.restored",
    ]


def test_takedown_tells_the_merchant(maple, django_capture_on_commit_callbacks):
    organization, owner = maple
    listing = product(organization, owner)
    with django_capture_on_commit_callbacks(execute=True), scopes_disabled():
        services.product_take_down(product=listing, reason="Fake labels", acting_user=operator())
    assert any("Fake labels" in message.body for message in mail.outbox)


def test_ledger_records_who_why_before_after(maple):
    organization, owner = maple
    listing = product(organization, owner, on_hand=100)
    with scopes_disabled():
        sku = SKU.objects.get(product=listing)
        services.inventory_set(sku=sku, on_hand=80, note="Cycle count", acting_user=owner)
        services.inventory_adjust(sku=sku, delta=40, reason="received", acting_user=owner)
        entries = list(InventoryLedger.objects.filter(sku=sku).order_by("created_at", "pk"))
    assert [(e.reason, e.on_hand_before, e.on_hand_after, e.actor_id) for e in entries] == [
        ("count", 0, 100, owner.pk),
        ("count", 100, 80, owner.pk),
        ("received", 80, 120, owner.pk),
    ]
    assert entries[1].note == "Cycle count"


def test_low_stock_alert_once_when_crossing(maple, django_capture_on_commit_callbacks):
    organization, owner = maple
    listing = product(organization, owner, on_hand=100)
    with scopes_disabled():
        sku = SKU.objects.get(product=listing)
        with django_capture_on_commit_callbacks(execute=True):
            services.inventory_set(sku=sku, on_hand=100, low_stock_threshold=20, acting_user=owner)
        assert mail.outbox == []
        with django_capture_on_commit_callbacks(execute=True):
            services.inventory_set(sku=sku, on_hand=30, acting_user=owner)
        assert mail.outbox == []
        with django_capture_on_commit_callbacks(execute=True):
            services.inventory_set(sku=sku, on_hand=20, acting_user=owner)
        assert len(mail.outbox) == 1
        assert sku.code in mail.outbox[0].subject
        with django_capture_on_commit_callbacks(execute=True):
            services.inventory_set(sku=sku, on_hand=5, acting_user=owner)
        assert len(mail.outbox) == 1  # already below: no second alert


@pytest.mark.parametrize(
    ("quantity", "price"),
    [
        (12, "8.50"),
        (18, "8.50"),
        (42, "8.50"),
        (48, "7.90"),
        (138, "7.90"),
        (144, "7.25"),
        (6000, "7.25"),
    ],
)
def test_unit_price_for_picks_the_tier(maple, quantity, price):
    organization, owner = maple
    listing = product(organization, owner)
    with scopes_disabled():
        sku = SKU.objects.get(product=listing)
        assert unit_price_for(sku=sku, quantity=quantity) == Decimal(price)
        prefetched = SKU.objects.prefetch_related("tiers").get(pk=sku.pk)
        assert unit_price_for(sku=prefetched, quantity=quantity) == Decimal(price)


def test_unit_price_for_refuses_below_moq_and_broken_cases(maple, django_assert_num_queries):
    organization, owner = maple
    listing = product(organization, owner)
    with scopes_disabled():
        sku = SKU.objects.prefetch_related("tiers").get(product=listing)
    with pytest.raises(QuantityNotAllowed):
        unit_price_for(sku=sku, quantity=6)
    with pytest.raises(QuantityNotAllowed):
        unit_price_for(sku=sku, quantity=13)
    with django_assert_num_queries(0):
        unit_price_for(sku=sku, quantity=48)


@pytest.mark.parametrize(
    ("content", "name", "fragment"),
    [
        (b"%PDF-1.4 not an image", "fake.png", "not an image"),
        (b"", "empty.jpg", "not an image"),
        (jpeg_bytes(120, 120), "small.jpg", "too small"),
    ],
)
def test_images_are_checked_with_pillow(maple, content, name, fragment):
    organization, owner = maple
    listing = product(organization, owner, image=False, publish=False)
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    with pytest.raises(ImageRejected) as caught, scopes_disabled():
        services.product_image_add(product=listing, upload=upload, acting_user=owner)
    assert fragment in caught.value.message


def test_images_are_reencoded_with_a_thumbnail_and_generated_names(maple):
    organization, owner = maple
    listing = product(organization, owner, image=False, publish=False)
    upload = SimpleUploadedFile("../../etc/passwd.png", jpeg_bytes(2400, 1200))
    with scopes_disabled():
        image = services.product_image_add(product=listing, upload=upload, acting_user=owner)
    assert (image.width, image.height) == (1600, 800)
    assert "passwd" not in image.image.name and image.image.name.endswith(".jpg")
    from PIL import Image

    with image.thumbnail.open("rb") as handle, Image.open(handle) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == 400


def test_active_listing_keeps_an_image(maple):
    organization, owner = maple
    listing = product(organization, owner)
    with scopes_disabled():
        image = ProductImage.objects.get(product=listing)
        with pytest.raises(IllegalListingTransition):
            services.product_image_remove(image=image, acting_user=owner)
        services.product_pause(product=listing, acting_user=owner)
        services.product_image_remove(image=image, acting_user=owner)
        assert not ProductImage.objects.filter(product=listing).exists()


def test_bulk_publish_reports_each_refusal(maple):
    organization, owner = maple
    ready = product(organization, owner, publish=False)
    missing_image = product(organization, owner, image=False, publish=False)
    with scopes_disabled():
        done, refused = services.products_bulk_transition(
            organization=organization,
            product_ids=[ready.pk, missing_image.pk],
            action="publish",
            acting_user=owner,
        )
    assert [p.pk for p in done] == [ready.pk]
    assert [(p.pk, "image" in reason) for p, reason in refused] == [(missing_image.pk, True)]


@pytest.mark.django_db
def test_a_takedown_is_sent_to_the_merchants_webhooks():
    """listing.taken_down reaches the merchant's subscribed endpoint with the reason."""
    from django_scopes import scopes_disabled

    from catalog import services as catalog_services
    from network import services as network_services
    from network.models import WebhookDelivery
    from tests.catalog.factories import merchant
    from tests.catalog.factories import product as make_product
    from tests.factories import operator

    organization, owner = merchant(name="Takedown Test Co.")
    product = make_product(organization, owner)
    network_services.webhook_endpoint_create(
        organization=product.organization,
        url="https://hooks.takedown-test.example/in",
        events=["listing.taken_down"],
        acting_user=owner,
    )
    catalog_services.product_take_down(
        product=product, reason="Counterfeit logo", acting_user=operator()
    )
    with scopes_disabled():
        delivery = WebhookDelivery.objects.get()
    assert delivery.event == "listing.taken_down"
    assert delivery.payload["reason"] == "Counterfeit logo"
    assert delivery.payload["product"] == product.reference


def test_a_move_not_in_the_table_is_refused_by_the_shared_mechanism(maple):
    from network import transitions

    organization, owner = maple
    listing = product(organization, owner)
    with scopes_disabled():
        services.product_pause(product=listing, acting_user=owner)
        with pytest.raises(transitions.IllegalTransition) as error:
            services.product_pause(product=listing, acting_user=owner)
        listing.refresh_from_db()
    assert error.value.code == "illegal_transition"
    assert str(error.value) == "Only an active listing can be paused."
    assert listing.state == ListingState.PAUSED
    assert services.LISTING_TRANSITIONS["pause"].from_statuses == {ListingState.ACTIVE}
