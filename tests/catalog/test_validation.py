"""Every field rule of products, SKUs, tiers and stock: in the model, in the services and in
the database itself."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from catalog import services
from catalog.errors import InvalidPriceTiers, InvalidStockChange
from catalog.models import SKU, Category, Inventory, PriceTier, Product
from catalog.services import tier_errors
from tests.catalog.factories import merchant, product

pytestmark = pytest.mark.django_db

VALID = {
    "title_en": "Maple Syrup",
    "description_en": "Grade A.",
    "hs_code": "1702200000",
    "country_of_origin": "US",
    "weight_kg": Decimal("0.5"),
    "length_cm": Decimal("5"),
    "width_cm": Decimal("5"),
    "height_cm": Decimal("10"),
    "lead_time_days": 7,
}


@pytest.fixture
def maple():
    return merchant()


def create(maple, **changes):
    organization, owner = maple
    values = {**VALID, "category": Category.objects.get(slug="maple-syrup"), **changes}
    with scopes_disabled():
        return services.product_create(organization=organization, values=values, acting_user=owner)


def field_errors(maple, **changes) -> dict:
    with pytest.raises(ValidationError) as caught:
        create(maple, **changes)
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title_en", ""),
        ("title_en", "   "),
        ("description_en", ""),
        ("hs_code", "12345"),  # too short
        ("hs_code", "12345678901"),  # too long
        ("hs_code", "17022A"),  # not digits
        ("hs_code", "990000"),  # chapter 99 does not exist
        ("hs_code", "770000"),  # chapter 77 is reserved
        ("hs_code", "000000"),
        ("country_of_origin", "XX"),
        ("weight_kg", Decimal("0")),
        ("length_cm", Decimal("-1")),
        ("width_cm", Decimal("0")),
        ("height_cm", Decimal("0")),
        ("lead_time_days", 366),
        ("msrp_usd", Decimal("0")),
        ("category", None),
    ],
)
def test_product_field_rules(maple, field, value):
    assert field in field_errors(maple, **{field: value})


@pytest.mark.parametrize("hs_code", ["170220", "17022000", "1702200000", "0409000000", ""])
def test_valid_hs_codes_and_blank_for_drafts(maple, hs_code):
    assert create(maple, hs_code=hs_code).hs_code == hs_code


def test_chinese_text_is_optional_and_english_shown_where_missing(maple):
    from django.utils import translation

    listing = create(maple, title_zh_hans="", description_zh_hans="")
    with translation.override("zh-hans"):
        assert listing.title == "Maple Syrup"
        assert listing.description == "Grade A."
    listing.title_zh_hans = "枫糖浆"
    with translation.override("zh-hans"):
        assert listing.title == "枫糖浆"
    with translation.override("en"):
        assert listing.title == "Maple Syrup"


def test_reference_is_made_up_when_blank_and_unique_per_merchant(maple):
    first = create(maple)
    assert first.reference.startswith("P-")
    create(maple, reference="MS-500")
    with pytest.raises(ValidationError) as caught:
        create(maple, reference="MS-500")
    assert "__all__" in caught.value.message_dict or "reference" in caught.value.message_dict
    # Another merchant may use the same reference.
    other = merchant("Other Co.")
    assert create(other, reference="MS-500").reference == "MS-500"


def test_active_listing_needs_hs_code_in_the_database(maple):
    organization, owner = maple
    listing = product(organization, owner)
    with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
        Product.objects.filter(pk=listing.pk).update(hs_code="")


# --- SKUs --------------------------------------------------------------------------------------


def sku_create(maple, listing, *, tiers=((12, "5.00"),), **values):
    organization, owner = maple
    with scopes_disabled():
        return services.sku_create(
            product=listing,
            values={"code": "MS-1", "case_pack": 6, "moq": 12, **values},
            tiers=[(q, Decimal(p)) for q, p in tiers],
            acting_user=owner,
        )


def test_moq_must_be_a_multiple_of_the_case_pack(maple):
    listing = create(maple)
    with pytest.raises(ValidationError) as caught:
        sku_create(maple, listing, moq=10, tiers=((10, "5.00"),))
    assert "moq" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
        SKU.objects.create(
            organization=listing.organization, product=listing, code="RAW", case_pack=6, moq=10
        )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"case_pack": 0, "moq": 12}, "case_pack"),
        ({"moq": 0}, "moq"),
        ({"code": ""}, "code"),
        ({"code": "HAS SPACE"}, "code"),
    ],
)
def test_sku_field_rules(maple, values, field):
    listing = create(maple)
    with pytest.raises(ValidationError) as caught:
        sku_create(maple, listing, **values)
    assert field in caught.value.message_dict


def test_sku_code_unique_per_merchant_not_across_merchants(maple):
    listing = create(maple)
    sku_create(maple, listing, code="MS-1")
    with pytest.raises(ValidationError):
        sku_create(maple, create(maple), code="MS-1")
    other = merchant("Other Co.")
    assert sku_create(other, create(other), code="MS-1").code == "MS-1"


# --- Price tiers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tiers", "fragment"),
    [
        ([], "at least one"),
        ([(24, "5.00")], "first tier must start at the MOQ"),
        ([(12, "5.00"), (48, "5.00")], "must fall"),
        ([(12, "5.00"), (48, "5.10")], "must fall"),
        ([(12, "5.00"), (12, "4.00")], "different quantity"),
        ([(12, "5.00"), (50, "4.00")], "whole number of case packs"),
        ([(12, "0.00")], "above zero"),
        ([(12, "4.999")], "whole cents"),
    ],
)
def test_tier_rules(tiers, fragment):
    errors = tier_errors([(q, Decimal(p)) for q, p in tiers], moq=12, case_pack=6)
    assert any(fragment in e for e in errors), errors


def test_valid_tiers_in_any_order():
    tiers = [(48, Decimal("4.50")), (12, Decimal("5.00")), (144, Decimal("4.10"))]
    assert tier_errors(tiers, moq=12, case_pack=6) == []


def test_service_refuses_bad_tiers_and_writes_nothing(maple):
    listing = create(maple)
    with pytest.raises(InvalidPriceTiers):
        sku_create(maple, listing, tiers=((12, "5.00"), (48, "6.00")))
    with scopes_disabled():
        assert not SKU.objects.filter(product=listing).exists()


def test_changing_the_moq_requires_tiers_from_the_new_moq(maple):
    listing = create(maple)
    sku = sku_create(maple, listing, tiers=((12, "5.00"), (48, "4.50")))
    _organization, owner = maple
    with pytest.raises(InvalidPriceTiers), scopes_disabled():
        services.sku_update(sku=sku, values={"moq": 24}, acting_user=owner)
    with scopes_disabled():
        services.sku_update(
            sku=sku,
            values={"moq": 24},
            tiers=[(24, Decimal("4.90")), (48, Decimal("4.50"))],
            acting_user=owner,
        )
        assert list(
            PriceTier.objects.filter(sku=sku).values_list("min_quantity", "unit_price_usd")
        ) == [(24, Decimal("4.90")), (48, Decimal("4.50"))]
        listing.refresh_from_db()
        assert (listing.price_min_usd, listing.price_max_usd, listing.moq_min) == (
            Decimal("4.50"),
            Decimal("4.90"),
            24,
        )


def test_tier_database_constraints(maple):
    listing = create(maple)
    sku = sku_create(maple, listing)
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceTier.objects.create(sku=sku, min_quantity=12, unit_price_usd=Decimal("4"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceTier.objects.create(sku=sku, min_quantity=24, unit_price_usd=Decimal("0"))


# --- Stock -------------------------------------------------------------------------------------


def test_inventory_constraints_hold_in_the_database(maple):
    listing = create(maple)
    sku = sku_create(maple, listing)
    with scopes_disabled():
        Inventory.objects.filter(sku=sku).update(on_hand=10, reserved=10)
        with pytest.raises(IntegrityError), transaction.atomic():
            Inventory.objects.filter(sku=sku).update(reserved=11)
        with pytest.raises(IntegrityError), transaction.atomic():
            Inventory.objects.filter(sku=sku).update(on_hand=9)


def test_on_hand_cannot_go_below_reserved_or_zero(maple):
    organization, owner = maple
    listing = create(maple)
    sku = sku_create(maple, listing)
    with scopes_disabled():
        Inventory.objects.filter(sku=sku).update(on_hand=10, reserved=4)
        with pytest.raises(InvalidStockChange):
            services.inventory_set(sku=sku, on_hand=3, acting_user=owner)
        with pytest.raises(InvalidStockChange):
            services.inventory_adjust(sku=sku, delta=-11, reason="damaged", acting_user=owner)
        assert Inventory.objects.get(sku=sku).on_hand == 10
