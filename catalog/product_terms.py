"""What one viewer sees beside a product page's public terms: its own prices where a price list
of the merchant grants them, and the estimated landed cost in China per unit. Computed per
request (the product page's public data is cached and shared by every viewer)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.html import format_html
from django.utils.translation import gettext as _

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


YOUR_PRICE_MARK = re.compile(r"<!--your-price:(\d+)-->")


def your_prices_for_products(
    *, buyer: Organization, product_ids: set[int], on: date | None = None
) -> dict[int, Decimal]:
    """Per product on a buyer's price list in force: the lowest price the list gives at any
    of its SKUs' MOQ (where it beats the public tiers). Four queries, none without entries."""
    entries = list(price_list_entries_in_force(buyer=buyer, product_ids=product_ids, on=on))
    if not entries:
        return {}
    skus = SKU.objects.public().filter(product_id__in={e.product_id for e in entries})
    lowest: dict[int, Decimal] = {}
    for sku in skus.prefetch_related("tiers"):
        try:
            [price] = prices_with_entries(items=[(sku, sku.moq)], entries=entries)
        except QuantityNotAllowed:
            continue
        if price.source == "price_list":
            current = lowest.get(sku.product_id)
            lowest[sku.product_id] = min(price.unit_price_usd, current or price.unit_price_usd)
    return lowest


def with_your_prices(html: str, *, buyer: Organization) -> str:
    """Product cards rendered for everyone (``<!--your-price:ID-->`` marks) with this buyer's
    own price where a price list gives one."""
    product_ids = {int(found) for found in YOUR_PRICE_MARK.findall(html)}
    prices = your_prices_for_products(buyer=buyer, product_ids=product_ids) if product_ids else {}

    def replace(match: re.Match) -> str:
        price = prices.get(int(match.group(1)))
        if price is None:
            return ""
        return format_html(
            '<p class="your-price small"><span class="badge ok">{}</span> US${}</p>',
            _("Your price"),
            f"{price:,.2f}",
        )

    return YOUR_PRICE_MARK.sub(replace, html)
