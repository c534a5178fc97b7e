"""catalog.pricing: what one buyer pays. Worked examples against the public tiers of the maple
syrup SKU (12+: 8.50, 48+: 7.90, 144+: 7.25 USD): a list's discount, a product's own discount,
the buyer's own tiers, the lowest price winning, validity, and another buyer seeing none of it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from catalog.models import SKU, PriceList, PriceListEntry, PriceListTier
from catalog.pricing import buyer_unit_price, buyer_unit_prices
from catalog.selectors import QuantityNotAllowed
from network.models import Organization
from tests.catalog.factories import merchant, product
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 7)


@pytest.fixture
def maple():
    return merchant("Great Lakes Maple Co.")


@pytest.fixture
def sku(maple):
    organization, owner = maple
    listing = product(organization, owner, code="MAPLE-500")
    with scopes_disabled():
        return SKU.objects.get(product=listing)


@pytest.fixture
def buyer():
    return OrganizationFactory(name="Shanghai Fine Foods", kind=Organization.Kind.BUYER)


def price_list(
    sku,
    buyer,
    *,
    name="Wholesale 2027",
    discount=None,
    entry_discount=None,
    tiers=(),
    valid_from=TODAY - timedelta(days=30),
    valid_until=None,
    product=True,
):
    with scopes_disabled():
        listed = PriceList.objects.create(
            organization=sku.organization,
            buyer=buyer,
            name=name,
            discount_percent=discount,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        if product:
            entry = PriceListEntry.objects.create(
                organization=sku.organization,
                buyer=buyer,
                price_list=listed,
                product_id=sku.product_id,
                discount_percent=entry_discount,
            )
            for quantity, price in tiers:
                PriceListTier.objects.create(
                    organization=sku.organization,
                    buyer=buyer,
                    entry=entry,
                    sku=sku,
                    min_quantity=quantity,
                    unit_price_usd=Decimal(price),
                )
    return listed


def price(sku, quantity, buyer):
    found = buyer_unit_price(sku=sku, quantity=quantity, buyer=buyer, on=TODAY)
    return (found.unit_price_usd, found.source, found.reference)


def test_without_a_price_list_the_public_tier_applies(sku, buyer):
    assert price(sku, 12, buyer) == (Decimal("8.50"), "tiers", "")
    assert price(sku, 48, buyer) == (Decimal("7.90"), "tiers", "")
    assert price(sku, 150, None) == (Decimal("7.25"), "tiers", "")


def test_the_lists_discount_comes_off_the_public_tier_rounded_half_up(sku, buyer):
    price_list(sku, buyer, discount=Decimal("15"))
    # 8.50 × 0.85 = 7.225 → 7.23; 7.90 × 0.85 = 6.715 → 6.72
    assert price(sku, 12, buyer) == (Decimal("7.23"), "price_list", "Wholesale 2027")
    assert price(sku, 48, buyer) == (Decimal("6.72"), "price_list", "Wholesale 2027")


def test_the_products_own_discount_replaces_the_lists(sku, buyer):
    price_list(sku, buyer, discount=Decimal("10"), entry_discount=Decimal("12.5"))
    # 7.90 × 0.875 = 6.9125 → 6.91
    assert price(sku, 48, buyer) == (Decimal("6.91"), "price_list", "Wholesale 2027")


def test_the_buyers_own_tiers_beat_the_public_tiers(sku, buyer):
    price_list(sku, buyer, discount=Decimal("5"), tiers=[(24, "7.00"), (96, "6.50")])
    assert price(sku, 48, buyer) == (Decimal("7.00"), "price_list", "Wholesale 2027")
    assert price(sku, 144, buyer) == (Decimal("6.50"), "price_list", "Wholesale 2027")
    # Below its first own tier the list's discount applies: 8.50 × 0.95 = 8.075 → 8.08.
    assert price(sku, 12, buyer) == (Decimal("8.08"), "price_list", "Wholesale 2027")


def test_the_lowest_price_wins_and_a_dearer_list_never_raises_the_price(sku, buyer):
    price_list(sku, buyer, name="Old terms", tiers=[(12, "8.00"), (48, "7.95")])
    price_list(sku, buyer, name="Season", discount=Decimal("5"))
    # Old terms: 8.00 at 12 beats Season's 8.08; at 48 Season's 7.51 (7.505) beats 7.95.
    assert price(sku, 12, buyer) == (Decimal("8.00"), "price_list", "Old terms")
    assert price(sku, 48, buyer) == (Decimal("7.51"), "price_list", "Season")

    dearer = OrganizationFactory(kind=Organization.Kind.BUYER)
    price_list(sku, dearer, name="Dear", tiers=[(12, "9.00")])
    assert price(sku, 12, dearer) == (Decimal("8.50"), "tiers", "")


def test_a_list_applies_only_within_its_validity(sku, buyer):
    price_list(sku, buyer, name="Ended", discount=Decimal("20"), valid_until=TODAY - timedelta(1))
    price_list(sku, buyer, name="Later", discount=Decimal("30"), valid_from=TODAY + timedelta(1))
    assert price(sku, 48, buyer) == (Decimal("7.90"), "tiers", "")
    price_list(sku, buyer, name="Last day", discount=Decimal("10"), valid_until=TODAY)
    assert price(sku, 48, buyer) == (Decimal("7.11"), "price_list", "Last day")


def test_a_list_without_the_product_gives_nothing(sku, buyer):
    price_list(sku, buyer, discount=Decimal("10"), product=False)
    assert price(sku, 48, buyer) == (Decimal("7.90"), "tiers", "")


def test_another_buyer_does_not_get_the_price(sku, buyer):
    price_list(sku, buyer, discount=Decimal("10"))
    other = OrganizationFactory(name="Beijing Imports", kind=Organization.Kind.BUYER)
    assert price(sku, 48, other) == (Decimal("7.90"), "tiers", "")


def test_moq_and_case_pack_are_refused_as_for_the_public_price(sku, buyer):
    price_list(sku, buyer, tiers=[(1, "5.00")])
    with pytest.raises(QuantityNotAllowed, match="minimum order for MAPLE-500 is 12"):
        buyer_unit_price(sku=sku, quantity=6, buyer=buyer, on=TODAY)
    with pytest.raises(QuantityNotAllowed, match="case packs of 6"):
        buyer_unit_price(sku=sku, quantity=50, buyer=buyer, on=TODAY)


def test_many_prices_in_a_fixed_number_of_queries(maple, buyer, django_assert_num_queries):
    organization, owner = maple
    skus = []
    for n in range(3):
        listing = product(organization, owner, code=f"MAPLE-{n}", publish=False)
        with scopes_disabled():
            skus.append(SKU.objects.get(product=listing))
    for sku in skus:
        price_list(sku, buyer, name=f"List {sku.code}", tiers=[(12, "6.00")])
    # The public tiers, the buyer's entries with their lists, the entries' tiers.
    with django_assert_num_queries(3):
        prices = buyer_unit_prices(items=[(s, 12) for s in skus], buyer=buyer, on=TODAY)
    assert [p.unit_price_usd for p in prices] == [Decimal("6.00")] * 3
    with django_assert_num_queries(1):
        prices = buyer_unit_prices(items=[(s, 48) for s in skus], buyer=None, on=TODAY)
    assert [p.source for p in prices] == ["tiers"] * 3
