"""What a buyer pays for each line of its cart or of an order being placed, and why.

Precedence: a sample is at the SKU's sample price, outside its MOQ and case pack, within its
limit per buyer (counting the samples the buyer has ordered and not had cancelled or
rejected); an accepted quotation's tiers and MOQ replace the SKU's while ``quoted_until`` is
ahead (the case pack still applies) and refuse the line once it has passed; otherwise the
buyer's price list in force and the public tiers (``catalog.pricing``, the lowest wins).

A line that cannot be priced gets its refusal (a ``DomainError``) instead of a price, so the
cart shows every problem at once and checkout names every line it refuses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from catalog.models import SKU, PriceTier
from catalog.pricing import buyer_unit_prices
from catalog.selectors import QuantityNotAllowed as CatalogQuantityNotAllowed
from catalog.selectors import unit_price_for
from network.errors import DomainError
from network.models import Organization
from orders.errors import (
    QuantityNotAllowed,
    QuotationExpired,
    SampleLimitReached,
    SampleNotOffered,
)
from orders.models import CartLine, LineStatus, PriceSource, PurchaseOrder, PurchaseOrderLine


def list_unit_price(sku: SKU) -> Decimal | None:
    """The price at the MOQ (the first tier): what a buyer saves against. Uses prefetched
    tiers when present."""
    prefetched = getattr(sku, "_prefetched_objects_cache", {}).get("tiers")
    if prefetched is not None:
        first = min(prefetched, key=lambda t: t.min_quantity, default=None)
        return first.unit_price_usd if first else None
    return (
        PriceTier.objects.filter(sku_id=sku.pk)
        .order_by("min_quantity")
        .values_list("unit_price_usd", flat=True)
        .first()
    )


def quote(*, sku: SKU, quantity: int) -> tuple[Decimal, Decimal]:
    """(unit price, price at the MOQ) for ``quantity`` units; raises QuantityNotAllowed below
    the MOQ, outside whole case packs, or without a price."""
    if quantity < 1:
        raise QuantityNotAllowed(_("Order at least one case."))
    try:
        unit_price = unit_price_for(sku=sku, quantity=quantity)
    except CatalogQuantityNotAllowed as error:
        raise QuantityNotAllowed(error.message) from error
    return unit_price, list_unit_price(sku) or unit_price


# Sample units that no longer count against the limit per buyer.
ENDED_LINE_STATUSES = (LineStatus.CANCELLED, LineStatus.REJECTED)


@dataclass(frozen=True)
class Quoted:
    """An accepted quotation's terms for one SKU, as the cart line keeps them."""

    number: str
    tiers: tuple[tuple[int, Decimal], ...]
    moq: int
    until: datetime | None

    @classmethod
    def of(cls, line: CartLine) -> Quoted | None:
        if not line.quoted_tiers:
            return None
        return cls(
            number=line.quotation_number,
            tiers=tuple(
                sorted((int(qty), Decimal(str(price))) for qty, price in line.quoted_tiers)
            ),
            moq=line.quoted_moq or 1,
            until=line.quoted_until,
        )

    def expired(self, now: datetime) -> bool:
        return self.until is not None and self.until <= now


@dataclass(frozen=True)
class Wanted:
    """One line to price: units of a SKU (with its tiers prefetched), a sample or at a
    quotation's terms."""

    sku: SKU
    quantity: int
    is_sample: bool = False
    quoted: Quoted | None = None


@dataclass
class LinePrice:
    """A line's unit price, the price at the MOQ it saves against, and where it comes from;
    or ``refusal`` when the line cannot be ordered as it stands."""

    unit_price: Decimal | None = None
    list_price: Decimal | None = None
    source: str = PriceSource.TIERS
    reference: str = ""
    refusal: DomainError | None = field(default=None)

    @property
    def saving(self) -> Decimal:
        if self.unit_price is None or self.list_price is None:
            return Decimal("0")
        return max(self.list_price - self.unit_price, Decimal("0"))


def samples_ordered(
    *, buyer: Organization, sku_ids: Iterable[int], excluding: PurchaseOrder | None = None
) -> dict[int, int]:
    """{SKU id: sample units ``buyer`` has ordered} over orders not cancelled or rejected, but
    ``excluding`` (one query)."""
    ids = {int(sku_id) for sku_id in sku_ids}
    if not ids:
        return {}
    lines = (
        PurchaseOrderLine.objects.visible_to(buyer)
        .filter(organization=buyer, is_sample=True, sku_id__in=ids)
        .exclude(status__in=ENDED_LINE_STATUSES)
    )
    if excluding is not None:
        lines = lines.exclude(purchase_order=excluding)
    rows = lines.order_by().values("sku_id").annotate(units=Sum("quantity"))
    return {row["sku_id"]: row["units"] or 0 for row in rows}


def sample_refusal(*, sku: SKU, quantity: int, already: int) -> DomainError | None:
    """Why ``quantity`` sample units of ``sku`` cannot be had after ``already`` ordered, or
    None."""
    if sku.sample_price_usd is None:
        return SampleNotOffered(
            _("%(code)s is not offered as a sample.") % {"code": sku.code}, sku=sku.pk
        )
    if quantity < 1:
        return QuantityNotAllowed(_("Order at least one sample unit."), sku=sku.pk)
    left = max(sku.sample_limit_per_buyer - already, 0)
    if quantity > left:
        return SampleLimitReached(
            _(
                "%(code)s: at most %(limit)s sample units per buyer; you have ordered "
                "%(already)s and asked for %(requested)s."
            )
            % {
                "code": sku.code,
                "limit": sku.sample_limit_per_buyer,
                "already": already,
                "requested": quantity,
            },
            sku=sku.pk,
            left=left,
        )
    return None


def quoted_refusal(*, sku: SKU, quantity: int, quoted: Quoted, now: datetime) -> DomainError | None:
    """Why ``quantity`` units of ``sku`` cannot be had at the quotation's terms, or None."""
    if quoted.expired(now):
        until = timezone.localtime(quoted.until) if quoted.until else None
        return QuotationExpired(
            _(
                "%(code)s: quotation %(number)s expired on %(until)s. Go on at the list price "
                "or remove the line."
            )
            % {
                "code": sku.code,
                "number": quoted.number,
                "until": formats.date_format(until, "DATETIME_FORMAT") if until else "",
            },
            sku=sku.pk,
            quotation=quoted.number,
        )
    if quantity < quoted.moq:
        return QuantityNotAllowed(
            _("The minimum order for %(code)s at quotation %(number)s is %(moq)s units.")
            % {"code": sku.code, "number": quoted.number, "moq": quoted.moq},
            sku=sku.pk,
        )
    if quantity % sku.case_pack:
        return QuantityNotAllowed(
            _("%(code)s is sold in case packs of %(pack)s.")
            % {"code": sku.code, "pack": sku.case_pack},
            sku=sku.pk,
        )
    return None


def quoted_unit_price(quoted: Quoted, quantity: int) -> Decimal:
    """The quotation's price for ``quantity``: its tier with the largest quantity not above it
    (its first tier below that: the MOQ already admitted the quantity)."""
    eligible = [price for qty, price in quoted.tiers if qty <= quantity]
    return eligible[-1] if eligible else quoted.tiers[0][1]


def price_lines(
    *, buyer: Organization, wanted: Sequence[Wanted], now: datetime | None = None
) -> list[LinePrice]:
    """A ``LinePrice`` per wanted line, in order. Two queries whatever the number of lines
    (samples already ordered; the buyer's price lists), the SKUs' tiers being prefetched; none
    for SKUs read by ``orders.selectors.skus_to_place`` without samples or price lists."""
    now = now or timezone.now()
    ordered = samples_ordered(buyer=buyer, sku_ids=[w.sku.pk for w in wanted if w.is_sample])
    prices: list[LinePrice] = [LinePrice() for _w in wanted]
    listed: list[int] = []
    for index, want in enumerate(wanted):
        sku, quantity, price = want.sku, want.quantity, prices[index]
        if want.is_sample:
            price.source = PriceSource.SAMPLE
            price.refusal = sample_refusal(
                sku=sku, quantity=quantity, already=ordered.get(sku.pk, 0)
            )
            if price.refusal is None:
                price.unit_price = price.list_price = sku.sample_price_usd
            continue
        if want.quoted is not None:
            price.source, price.reference = PriceSource.QUOTATION, want.quoted.number
            price.refusal = quoted_refusal(sku=sku, quantity=quantity, quoted=want.quoted, now=now)
            if price.refusal is None:
                price.unit_price = quoted_unit_price(want.quoted, quantity)
                price.list_price = max(list_unit_price(sku) or price.unit_price, price.unit_price)
            continue
        try:
            unit_price, list_price = quote(sku=sku, quantity=quantity)
        except QuantityNotAllowed as error:
            price.refusal = error
            continue
        price.unit_price, price.list_price = unit_price, list_price
        listed.append(index)
    if listed:
        # SKUs read with ``in_buyer_price_list`` (``orders.selectors.skus_to_place``) say
        # whether the buyer's price lists are worth reading.
        in_lists = any(getattr(wanted[i].sku, "in_buyer_price_list", True) for i in listed)
        buyer_prices = buyer_unit_prices(
            items=[(wanted[i].sku, wanted[i].quantity) for i in listed],
            buyer=buyer if in_lists else None,
        )
        for index, buyer_price in zip(listed, buyer_prices, strict=True):
            price = prices[index]
            price.unit_price = buyer_price.unit_price_usd
            price.source, price.reference = buyer_price.source, buyer_price.reference
            price.list_price = max(price.list_price or price.unit_price, price.unit_price)
    return prices


def wanted_of(line: CartLine) -> Wanted:
    """The cart line as a line to price (its SKU's tiers prefetched by the caller)."""
    return Wanted(
        sku=line.sku, quantity=line.quantity, is_sample=line.is_sample, quoted=Quoted.of(line)
    )
