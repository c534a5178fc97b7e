"""What one buyer pays for a SKU: its price lists before the public tiers.

Precedence at checkout (see ``orders``): an accepted quotation until it expires, then the
buyer's price lists in force, then the public tiers. This module answers the last two; the
quotation's price is carried on the cart line by ``orders``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU, PriceListEntry, PriceListTier, PriceTier
from catalog.selectors import QuantityNotAllowed, check_order_quantity
from network.models import Organization

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class BuyerPrice:
    unit_price_usd: Decimal
    source: str  # "price_list" or "tiers" (the values of orders.models.PriceSource)
    reference: str  # the price list's name, or ""


def price_day() -> date:
    """Today in the network's time zone: a price list is valid from the start of its first day
    to the end of its last, the same days for every viewer."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def discounted(price: Decimal, percent: Decimal) -> Decimal:
    """``price`` less ``percent`` %, rounded half-up to the cent."""
    return (price * (HUNDRED - percent) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def buyer_price_list_entries(
    *, buyer: Organization, on: date | None = None
) -> QuerySet[PriceListEntry]:
    """The buyer's price-list entries in force on day ``on`` (today), of any product."""
    day = on or price_day()
    return (
        PriceListEntry.objects.visible_to(buyer)
        .filter(buyer=buyer, price_list__valid_from__lte=day)
        .filter(Q(price_list__valid_until__isnull=True) | Q(price_list__valid_until__gte=day))
    )


def price_list_entries_in_force(
    *, buyer: Organization, product_ids: set[int], on: date | None = None
) -> QuerySet[PriceListEntry]:
    """The buyer's price-list entries for these products on day ``on`` (today), with their list
    and their tiers (three queries when evaluated)."""
    return (
        buyer_price_list_entries(buyer=buyer, on=on)
        .filter(product_id__in=product_ids)
        .select_related("price_list")
        .prefetch_related(
            Prefetch("tiers", queryset=PriceListTier.objects.visible_to(buyer).order_by("pk"))
        )
    )


def _entry_price(entry: PriceListEntry, *, sku: SKU, quantity: int, public: Decimal | None):
    """What ``entry`` charges for ``quantity`` of ``sku``, or None where it sets no price."""
    own = [t for t in entry.tiers.all() if t.sku_id == sku.pk and t.min_quantity <= quantity]
    if own:
        return max(own, key=lambda t: t.min_quantity).unit_price_usd
    percent = entry.discount_percent or entry.price_list.discount_percent
    if percent is None or public is None:
        return None
    return discounted(public, percent)


def _public_price(tiers: list[PriceTier], quantity: int) -> Decimal | None:
    eligible = [t for t in tiers if t.min_quantity <= quantity]
    tier = max(eligible, key=lambda t: t.min_quantity, default=None)
    return tier.unit_price_usd if tier else None


def buyer_unit_price(
    *, sku: SKU, quantity: int, buyer: Organization | None, on: date | None = None
) -> BuyerPrice:
    """The unit price of ``quantity`` units of ``sku`` for ``buyer`` on day ``on`` (today):
    the lowest of its price lists in force for the SKU's product (own tiers: the tier with the
    largest ``min_quantity`` not above the quantity; else the entry's discount, else the list's
    discount, off the public tier price, rounded half-up to the cent) and the public tier
    price. Raises ``catalog.selectors.QuantityNotAllowed`` below the MOQ or outside case packs,
    exactly as ``catalog.selectors.unit_price_for``."""
    return buyer_unit_prices(items=[(sku, quantity)], buyer=buyer, on=on)[0]


def buyer_unit_prices(
    *, items: list[tuple[SKU, int]], buyer: Organization | None, on: date | None = None
) -> list[BuyerPrice]:
    """``buyer_unit_price`` for many (sku, quantity) pairs in a fixed number of queries (for
    the cart and checkout): one for the public tiers not prefetched on the SKUs, three for the
    buyer's price lists. Refuses (``QuantityNotAllowed``) at the first pair that cannot be
    ordered."""
    for sku, quantity in items:
        check_order_quantity(sku=sku, quantity=quantity)
    if not items:
        return []
    entries: list[PriceListEntry] = []
    if buyer is not None:
        product_ids = {sku.product_id for sku, _quantity in items}
        entries = list(price_list_entries_in_force(buyer=buyer, product_ids=product_ids, on=on))
    return prices_with_entries(items=items, entries=entries)


def prices_with_entries(
    *, items: list[tuple[SKU, int]], entries: list[PriceListEntry]
) -> list[BuyerPrice]:
    """``buyer_unit_prices`` with the buyer's entries in force already loaded
    (``price_list_entries_in_force``); one query for public tiers not prefetched."""
    tiers: dict[int, list[PriceTier]] = {}
    missing = []
    for sku, _quantity in items:
        prefetched = getattr(sku, "_prefetched_objects_cache", {}).get("tiers")
        if prefetched is not None:
            tiers[sku.pk] = list(prefetched)
        else:
            missing.append(sku.pk)
    if missing:
        loaded: dict[int, list[PriceTier]] = defaultdict(list)
        for tier in PriceTier.objects.filter(sku_id__in=missing):
            loaded[tier.sku_id].append(tier)
        for sku_id in missing:
            tiers[sku_id] = loaded[sku_id]

    by_product: dict[int, list[PriceListEntry]] = defaultdict(list)
    for entry in entries:
        # A list prices only its own merchant's products.
        if entry.price_list.organization_id == entry.organization_id:
            by_product[entry.product_id].append(entry)

    prices = []
    for sku, quantity in items:
        public = _public_price(tiers[sku.pk], quantity)
        best: BuyerPrice | None = None
        for entry in by_product.get(sku.product_id, []):
            if entry.organization_id != sku.organization_id:
                continue
            price = _entry_price(entry, sku=sku, quantity=quantity, public=public)
            if price is None:
                continue
            if (public is None or price < public) and (best is None or price < best.unit_price_usd):
                best = BuyerPrice(price, "price_list", entry.price_list.name)
        if best is None:
            if public is None:
                raise QuantityNotAllowed(
                    _("%(code)s has no price for this quantity.") % {"code": sku.code}
                )
            best = BuyerPrice(public, "tiers", "")
        prices.append(best)
    return prices
