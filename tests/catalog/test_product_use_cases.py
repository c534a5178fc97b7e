"""The catalogue's use cases as services: a product created with its SKUs, a product updated,
and the API's upsert by SKU code are each one transaction — a SKU refused leaves nothing of the
call written, and a version check under the lock refuses before anything is written. They run
as a page or the API runs them, inside the merchant's scope."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_scopes import scope, scopes_disabled

from catalog import services
from catalog.errors import InvalidPriceTiers, VersionChanged
from catalog.models import SKU, Category, Inventory, InventoryLedger, PriceTier, Product
from network.models import AuditEvent
from tests.catalog.factories import merchant, png_upload, product

pytestmark = pytest.mark.django_db

TIERS = [(12, Decimal("8.50")), (48, Decimal("7.90"))]
FALLING_THE_WRONG_WAY = [(12, Decimal("7.00")), (48, Decimal("7.90"))]


@pytest.fixture
def maple():
    return merchant()


def details(**changes) -> dict:
    with scopes_disabled():
        category = Category.objects.get(slug="maple-syrup")
    return {
        "title_en": "Maple Syrup 1 L",
        "description_en": "Grade A amber.",
        "brand": "Great Lakes",
        "category": category,
        "hs_code": "1702200000",
        "weight_kg": Decimal("1.3"),
        "length_cm": Decimal("9"),
        "width_cm": Decimal("9"),
        "height_cm": Decimal("25"),
        "lead_time_days": 7,
        **changes,
    }


def written(organization) -> dict[str, int]:
    with scopes_disabled():
        return {
            "products": Product.objects.filter(organization=organization).count(),
            "skus": SKU.objects.filter(organization=organization).count(),
            "tiers": PriceTier.objects.filter(sku__organization=organization).count(),
            "stock": Inventory.objects.filter(organization=organization).count(),
            "ledger": InventoryLedger.objects.filter(organization=organization).count(),
            "audit": AuditEvent.objects.filter(organization=organization).count(),
        }


def test_product_create_writes_the_product_its_skus_stock_and_image(maple):
    organization, owner = maple
    with scope(organization=organization):
        created = services.product_create(
            organization=organization,
            values=details(),
            skus=[
                services.SKUValues(values={"code": "ML-1", "moq": 12}, tiers=TIERS, on_hand=40),
                services.SKUValues(values={"code": "ML-2", "moq": 12}, tiers=TIERS),
            ],
            image=png_upload(),
            acting_user=owner,
        )
    with scopes_disabled():
        assert created.state == "draft"
        assert sorted(created.skus.values_list("code", flat=True)) == ["ML-1", "ML-2"]
        assert Inventory.objects.get(sku__code="ML-1").on_hand == 40
        assert created.images.count() == 1
        created.refresh_from_db()
        assert created.price_min_usd == Decimal("7.90")


def test_a_refused_sku_leaves_nothing_of_product_create_written(maple):
    organization, owner = maple
    before = written(organization)
    with scope(organization=organization), pytest.raises(InvalidPriceTiers):
        services.product_create(
            organization=organization,
            values=details(),
            skus=[
                services.SKUValues(values={"code": "ML-1", "moq": 12}, tiers=TIERS, on_hand=40),
                services.SKUValues(values={"code": "ML-2", "moq": 12}, tiers=FALLING_THE_WRONG_WAY),
            ],
            acting_user=owner,
        )
    assert written(organization) == before


def test_product_update_refused_by_the_version_check_writes_nothing(maple):
    organization, owner = maple
    listing = product(organization, owner, publish=False)
    before = written(organization)
    seen = []

    def expected(locked: Product) -> None:
        seen.append(locked.pk)
        raise VersionChanged("another version")

    with scope(organization=organization), pytest.raises(VersionChanged):
        services.product_update(
            product=listing, values={"brand": "Changed"}, acting_user=owner, expected=expected
        )
    assert seen == [listing.pk]
    assert written(organization) == before
    with scopes_disabled():
        assert Product.objects.get(pk=listing.pk).brand == "Great Lakes"


def test_sku_upsert_creates_then_updates_the_same_product(maple):
    organization, owner = maple
    with scope(organization=organization):
        created, is_new = services.sku_upsert(
            organization=organization,
            code="UP-1",
            values=details(),
            sku_values={"moq": 12},
            tiers=TIERS,
            acting_user=owner,
        )
        updated, is_new_again = services.sku_upsert(
            organization=organization,
            code="UP-1",
            values={"title_en": "Maple Syrup 1 L, new label"},
            sku_values={"moq": 48},
            tiers=[(48, Decimal("7.00"))],
            acting_user=owner,
        )
    assert (is_new, is_new_again) == (True, False)
    assert updated.pk == created.pk
    with scopes_disabled():
        sku = SKU.objects.get(code="UP-1")
        assert sku.moq == 48
        assert list(sku.tiers.values_list("min_quantity", flat=True)) == [48]
        assert Product.objects.get(pk=created.pk).title_en == "Maple Syrup 1 L, new label"


def test_a_refused_sku_leaves_nothing_of_sku_upsert_written(maple):
    organization, owner = maple
    with scope(organization=organization):
        services.sku_upsert(
            organization=organization,
            code="UP-1",
            values=details(),
            sku_values={"moq": 12},
            tiers=TIERS,
            acting_user=owner,
        )
    before = written(organization)
    # The product's new title is written first, then the SKU's tiers are refused: neither stays.
    with scope(organization=organization), pytest.raises(InvalidPriceTiers):
        services.sku_upsert(
            organization=organization,
            code="UP-1",
            values={"title_en": "Renamed"},
            sku_values={"moq": 12},
            tiers=FALLING_THE_WRONG_WAY,
            acting_user=owner,
        )
    # A new code with refused tiers creates no product either.
    with scope(organization=organization), pytest.raises(InvalidPriceTiers):
        services.sku_upsert(
            organization=organization,
            code="UP-2",
            values=details(title_en="Never written"),
            sku_values={"moq": 12},
            tiers=FALLING_THE_WRONG_WAY,
            acting_user=owner,
        )
    assert written(organization) == before
    with scopes_disabled():
        assert set(Product.objects.values_list("title_en", flat=True)) == {"Maple Syrup 1 L"}
        assert list(
            SKU.objects.get(code="UP-1").tiers.values_list("unit_price_usd", flat=True)
        ) == [
            Decimal("8.50"),
            Decimal("7.90"),
        ]


def test_sku_upsert_refused_by_the_version_check_creates_nothing(maple):
    organization, owner = maple
    before = written(organization)

    def expected(current: Product | None) -> None:
        assert current is None
        raise VersionChanged("nothing to update")

    with scope(organization=organization), pytest.raises(VersionChanged):
        services.sku_upsert(
            organization=organization,
            code="UP-9",
            values=details(),
            sku_values={"moq": 12},
            tiers=TIERS,
            acting_user=owner,
            expected=expected,
        )
    assert written(organization) == before
