"""What one viewer sees beside a product page's public terms: its own prices where a price list
of the merchant grants them, and the estimated landed cost in China per unit. Computed per
request (the product page's public data is cached and shared by every viewer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from catalog.landed_cost import LandedCost, landed_costs
from catalog.models import SKU, Product
from catalog.pricing import BuyerPrice, price_list_entries_in_force, prices_with_entries
from catalog.selectors import QuantityNotAllowed
from network.models import Organization


@dataclass
class SkuTerms:
    """``your_prices``: (from quantity, the buyer's price) where a price list beats the public
    tiers at some quantity, else empty; ``landed``: the estimate at the viewer's MOQ price."""

    your_prices: list[tuple[int, BuyerPrice]] = field(default_factory=list)
    landed: LandedCost | None = None


def _orderable(quantity: int, sku: SKU) -> int:
    """The smallest quantity at or above ``quantity`` that may be ordered (MOQ, case packs)."""
    quantity = max(quantity, sku.moq)
    return -(-quantity // sku.case_pack) * sku.case_pack


def product_terms(
    *,
    product: Product,
    skus: list[SKU],
    viewer: Organization | None,
    rate: Decimal | None,
    on: date | None = None,
) -> dict[int, SkuTerms]:
    """Per SKU id: the viewer's own prices and the landed estimate. Fixed number of queries:
    the viewer's price-list entries and their tiers (buyers only), the tariff rows, the
    freight rate."""
    for sku in skus:
        sku.product = product  # the page's product row: no query per SKU
    terms = {sku.pk: SkuTerms() for sku in skus}
    moq_prices = {sku.pk: _public_at_moq(sku) for sku in skus}
    if viewer is not None and viewer.kind == Organization.Kind.BUYER and skus:
        entries = list(price_list_entries_in_force(buyer=viewer, product_ids={product.pk}, on=on))
        if entries:
            items: list[tuple[SKU, int]] = []
            for sku in skus:
                own = {t.min_quantity for e in entries for t in e.tiers.all() if t.sku_id == sku.pk}
                public = {t.min_quantity for t in sku.tiers.all()}
                for quantity in sorted({_orderable(q, sku) for q in own | public}):
                    items.append((sku, quantity))
            try:
                prices = prices_with_entries(items=items, entries=entries)
            except QuantityNotAllowed:  # a SKU without a public tier at its MOQ: no own prices
                prices, items = [], []
            for (sku, quantity), price in zip(items, prices, strict=True):
                terms[sku.pk].your_prices.append((quantity, price))
                if quantity == sku.moq:
                    moq_prices[sku.pk] = price.unit_price_usd
            for sku in skus:
                rows = terms[sku.pk].your_prices
                if all(price.source != "price_list" for _q, price in rows):
                    terms[sku.pk].your_prices = []
    if rate is not None:
        priced = [sku for sku in skus if moq_prices[sku.pk] is not None]
        estimates = landed_costs(
            lines=[(sku, moq_prices[sku.pk]) for sku in priced], on=on, rate=rate
        )
        for sku, estimate in zip(priced, estimates, strict=True):
            terms[sku.pk].landed = estimate
    return terms


def _public_at_moq(sku: SKU) -> Decimal | None:
    eligible = [t for t in sku.tiers.all() if t.min_quantity <= sku.moq]
    tier = max(eligible, key=lambda t: t.min_quantity, default=None)
    return tier.unit_price_usd if tier else None
