"""Placing a purchase order: pricing its lines at their tiers, holding each merchant's minimum,
reserving the stock, in one transaction; the fan-out follows after commit.

Locks are taken in one order everywhere, so two transactions never wait on each other in a
circle: the purchase order row, then its merchant order rows, then ``Inventory`` rows by
primary key (the SKU id). Stock moves only through ``catalog.stock``."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scopes_disabled

from catalog.landed_cost import landed_total
from catalog.stock import stock_lock, stock_reserve
from network.models import Membership, Organization, User
from network.prepared import PreparedQuery
from network.services import audit, webhook_emit
from orders import payment_hooks
from orders.errors import (
    EmptyCart,
    InsufficientStock,
    MinimumOrderNotMet,
    ProductUnavailable,
    QuantityNotAllowed,
    QuotationExpired,
    SampleLimitReached,
    SampleNotOffered,
)
from orders.models import (
    CartLine,
    DeliveryType,
    Incoterm,
    PaymentTerms,
    PurchaseOrder,
    PurchaseOrderLine,
)
from orders.pricing import Quoted, Wanted, price_lines, sample_refusal, samples_ordered
from orders.selectors import skus_to_place
from orders.services.common import buyer_required
from orders.services.fan_out import purchase_order_fan_out_task

PLACED_EVENT = "purchase_order.placed"
NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on paper


@dataclass
class Checkout:
    """What the buyer fills in at checkout."""

    delivery_location: str
    delivery_type: str = DeliveryType.WAREHOUSE
    incoterm: str = Incoterm.FOB
    payment_terms: str = PaymentTerms.PREPAID
    buyer_reference: str = ""
    notes: str = ""
    # Every merchant's goods in the same shared container while it has room.
    travel_together: bool = False


def _new_number() -> str:
    return "PO" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


@dataclass(frozen=True)
class OrderItem:
    """One line to place: units of a SKU, a sample, or at a quotation's terms (a cart line's;
    the API's lines are SKU id and quantity, with ``sample``)."""

    sku_id: int
    quantity: int
    is_sample: bool = False
    quoted: Quoted | None = None


def _items(items: Sequence[tuple[int, int] | OrderItem]) -> list[OrderItem]:
    """The items with one line per SKU and kind (sample or not): repeated pairs add up."""
    merged: dict[tuple[int, bool], OrderItem] = {}
    for item in items:
        if not isinstance(item, OrderItem):
            sku_id, quantity = item
            item = OrderItem(sku_id=int(sku_id), quantity=int(quantity))
        key = (item.sku_id, item.is_sample)
        if key in merged:
            item = replace(item, quantity=merged[key].quantity + item.quantity)
        merged[key] = item
    return list(merged.values())


def _priced_lines(
    organization: Organization, items: Sequence[tuple[int, int] | OrderItem]
) -> list[PurchaseOrderLine]:
    """Unsaved lines for the items, priced by ``orders.pricing`` (sample, quotation, price
    list, tiers). Every refusal names its SKU; all lines are checked before anything is
    raised, an expired quotation first. A SKU that is not orderable is named by the id the
    caller sent, exactly as an id that does not exist: its code is the merchant's to publish,
    and a draft or a taken-down listing has not been published."""
    wanted_items = _items(items)
    if not wanted_items:
        raise EmptyCart(_("Add something to order first."))
    skus = skus_to_place(
        buyer=organization,
        sku_ids={item.sku_id for item in wanted_items},
        webhook_event=PLACED_EVENT,
    )
    unavailable = sorted({item.sku_id for item in wanted_items if item.sku_id not in skus})
    on_offer = [item for item in wanted_items if item.sku_id in skus]
    prices = price_lines(
        buyer=organization,
        wanted=[
            Wanted(
                sku=skus[item.sku_id],
                quantity=item.quantity,
                is_sample=item.is_sample,
                quoted=item.quoted,
            )
            for item in on_offer
        ],
    )
    expired: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    lines: list[PurchaseOrderLine] = []
    for item, price in zip(on_offer, prices, strict=True):
        sku = skus[item.sku_id]
        if price.refusal is not None:
            entry = {"sku": sku.pk, "message": price.refusal.message, "code": price.refusal.code}
            if isinstance(price.refusal, QuotationExpired):
                entry["quotation"] = price.reference
                expired.append(entry)
            else:
                refused.append(entry)
            continue
        assert price.unit_price is not None and price.list_price is not None
        lines.append(
            PurchaseOrderLine(
                organization=organization,
                merchant_id=sku.organization_id,
                sku=sku,
                sku_code=sku.code,
                product_title=sku.product.title_en[:200],
                product_title_zh_hans=sku.product.title_zh_hans[:200],
                variant=sku.variant_en,
                variant_zh_hans=sku.variant_zh_hans,
                case_pack=sku.case_pack,
                quantity=item.quantity,
                unit_price_usd=price.unit_price,
                list_unit_price_usd=max(price.list_price, price.unit_price),
                line_total_usd=price.unit_price * item.quantity,
                is_sample=item.is_sample,
                price_source=price.source,
                price_reference=price.reference[:100],
                reserved_quantity=item.quantity,
            )
        )
    if expired:
        raise QuotationExpired(" ".join(item["message"] for item in expired), lines=expired)
    if unavailable:
        raise ProductUnavailable(
            ngettext(
                "The SKU with id %(ids)s is not available to order.",
                "The SKUs with ids %(ids)s are not available to order.",
                len(unavailable),
            )
            % {"ids": ", ".join(str(sku_id) for sku_id in unavailable)},
            skus=unavailable,
        )
    if refused:
        # One code for the lot: the first refusal's (a quantity, or a sample's limit or offer).
        error_class = {
            SampleLimitReached.code: SampleLimitReached,
            SampleNotOffered.code: SampleNotOffered,
        }.get(refused[0]["code"], QuantityNotAllowed)
        raise error_class(" ".join(item["message"] for item in refused), lines=refused)
    return lines


def _check_minimums(lines: Sequence[PurchaseOrderLine]) -> None:
    """Each merchant's minimum order value (read with the SKUs: ``skus_to_place``), over all its
    lines; a merchant of whom only samples are ordered is exempt."""
    subtotals: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        subtotals[line.merchant_id] += line.line_total_usd
    samples_only = {line.merchant_id for line in lines} - {
        line.merchant_id for line in lines if not line.is_sample
    }
    minimums = {
        line.merchant_id: minimum
        for line in lines
        if (minimum := getattr(line.sku, "minimum_order_usd", None)) is not None
    }
    short = [
        (m, minimum)
        for m, minimum in minimums.items()
        if m not in samples_only and subtotals[m] < minimum
    ]
    if short:
        names = dict(
            Organization.objects.filter(pk__in=[m for m, _ in short]).values_list("pk", "name")
        )
        raise MinimumOrderNotMet(
            " ".join(
                _("%(merchant)s takes orders from US$%(minimum)s; yours comes to US$%(subtotal)s.")
                % {
                    "merchant": names.get(m, m),
                    "minimum": f"{minimum:,.2f}",
                    "subtotal": f"{subtotals[m]:,.2f}",
                }
                for m, minimum in short
            ),
            merchants=[m for m, _ in short],
        )


def _check_sample_limits(
    organization: Organization, lines: Sequence[PurchaseOrderLine], *, placing: PurchaseOrder
) -> None:
    """Samples against each SKU's limit per buyer, counted again once the SKUs' stock rows are
    locked: two orders placed at once cannot both take the last sample. The order being placed
    (``placing``, its lines written) is not counted among those ordered before."""
    samples = [(line.sku, line.quantity) for line in lines if line.is_sample and line.sku]
    if not samples:
        return
    ordered = samples_ordered(
        buyer=organization, sku_ids=[sku.pk for sku, _qty in samples], excluding=placing
    )
    refusals = [
        refusal
        for sku, quantity in samples
        if (refusal := sample_refusal(sku=sku, quantity=quantity, already=ordered.get(sku.pk, 0)))
        is not None
    ]
    if refusals:
        raise SampleLimitReached(
            " ".join(refusal.message for refusal in refusals),
            lines=[
                {"sku": refusal.details.get("sku"), "message": refusal.message}
                for refusal in refusals
            ],
        )


def _reserve_for(lines: Sequence[PurchaseOrderLine], acting_user: User, note: str) -> None:
    """Reserve every line's units under row locks, or raise InsufficientStock naming each short
    line (the caller's transaction then writes nothing)."""
    # A sample and a line of the same SKU draw on the same stock row.
    wanted: dict[int, int] = defaultdict(int)
    codes: dict[int, str] = {}
    for line in lines:
        # A line loses its SKU only when the SKU is deleted, long after the order is placed.
        assert line.sku_id is not None, "a line being placed names its SKU"
        wanted[line.sku_id] += line.quantity
        codes[line.sku_id] = line.sku_code
    rows = stock_lock(wanted)
    short: list[dict[str, Any]] = []
    for sku_id, quantity in wanted.items():
        row = rows.get(sku_id)
        available = row.available if row is not None else 0
        if quantity > available:
            short.append(
                {
                    "sku": sku_id,
                    "requested": quantity,
                    "available": available,
                    "message": _(
                        "%(code)s: you asked for %(requested)s units, %(available)s are available."
                    )
                    % {"code": codes[sku_id], "requested": quantity, "available": available},
                }
            )
    if short:
        raise InsufficientStock(
            ngettext(
                "Not enough stock for %(count)s line: %(lines)s",
                "Not enough stock for %(count)s lines: %(lines)s",
                len(short),
            )
            % {"count": len(short), "lines": " ".join(item["message"] for item in short)},
            lines=short,
        )
    stock_reserve(dict(wanted), note=note, acting_user=acting_user, locked=rows)


def purchase_order_place(
    *,
    organization: Organization,
    items: Sequence[tuple[int, int] | OrderItem],
    checkout: Checkout,
    idempotency_key: str,
    acting_user: User,
    membership: Membership | None = None,
    cart_line_ids: Sequence[int] = (),
    key_checked: bool = False,
    answer_with: Callable[[PurchaseOrder], Any] | None = None,
) -> PurchaseOrder:
    """Place a purchase order for (SKU id, quantity) pairs or ``OrderItem``s in one
    transaction: the order, its lines at their prices (``orders.pricing``) with where each
    price comes from, the CNY rate and landed-cost estimate, and the stock reservations, then
    fan-out after commit. A second call with the same ``idempotency_key`` returns the first
    order (``.replayed`` is True). Raises QuotationExpired, QuantityNotAllowed,
    SampleNotOffered, SampleLimitReached, ProductUnavailable, MinimumOrderNotMet or
    InsufficientStock and then writes nothing. A new order carries its lines (``.lines.all()``
    reads no more). ``membership``: the acting person's, as the request read it.
    ``answer_with(order)``: the caller's answer for a new order (``.answer``), made before its
    stock rows are locked rather than while they are (see ``_place``)."""
    key = (idempotency_key or "").strip()[:255] or secrets.token_hex(16)
    try:
        purchase_order = _place(
            organization=organization,
            items=items,
            checkout=checkout,
            key=key,
            acting_user=acting_user,
            membership=membership,
            cart_line_ids=cart_line_ids,
            key_checked=key_checked,
            answer_with=answer_with,
        )
    except IntegrityError as error:
        # A concurrent submit with the same key committed first: answer with its order.
        if "purchaseorder_idempotency" not in str(error):
            raise
        purchase_order = PurchaseOrder.objects.visible_to(organization).get(
            organization=organization, idempotency_key=key
        )
        purchase_order.replayed = True
    return purchase_order


@transaction.atomic
def _place(
    *,
    organization: Organization,
    items: Sequence[tuple[int, int] | OrderItem],
    checkout: Checkout,
    key: str,
    acting_user: User,
    membership: Membership | None,
    cart_line_ids: Sequence[int],
    key_checked: bool,
    answer_with: Callable[[PurchaseOrder], Any] | None,
) -> PurchaseOrder:
    if not key_checked:
        buyer_required(organization=organization, user=acting_user, membership=membership)
        existing = _placed_with_key(organization, key)
        if existing is not None:
            return existing
    lines = _priced_lines(organization, items)
    _check_minimums(lines)
    # The rate in force came with the SKUs; without one there is no estimate.
    rate = getattr(lines[0].sku, "usd_cny_rate", None)
    cny = (
        landed_total(
            lines=[(line.sku, line.unit_price_usd, line.quantity) for line in lines if line.sku],
            rate=rate,
        )
        if rate is not None
        else None
    )
    purchase_order = PurchaseOrder(
        organization=organization,
        number=_new_number(),
        idempotency_key=key,
        delivery_type=checkout.delivery_type,
        delivery_location=checkout.delivery_location.strip(),
        incoterm=checkout.incoterm,
        payment_terms=checkout.payment_terms,
        buyer_reference=checkout.buyer_reference.strip(),
        notes=checkout.notes.strip(),
        travel_together=bool(checkout.travel_together),
        total_usd=sum((line.line_total_usd for line in lines), Decimal("0.00")),
        savings_usd=sum((line.saving_usd for line in lines), Decimal("0.00")),
        merchant_count=len({line.merchant_id for line in lines}),
        usd_cny_rate=cny.rate if cny else None,
        landed_cost_cny=cny.landed_cny if cny and cny.estimated_lines else None,
        placed_by=acting_user,
    )
    payment_hooks.check_placement(
        buyer=organization,
        payment_terms=purchase_order.payment_terms,
        total_usd=purchase_order.total_usd,
    )
    # Uniqueness is left to the database: its unique index is what makes two concurrent
    # submits with one key produce one order (the second waits, then fails, then replays).
    # The buyer and the person were read with the request: their rows exist.
    purchase_order.full_clean(
        exclude=["organization", "placed_by"], validate_unique=False, validate_constraints=False
    )
    purchase_order.save()
    for line in lines:
        line.purchase_order = purchase_order
    # The stock rows stay locked until commit: what neither reads them nor locks the SKUs
    # (the lines' keys do, and a SKU being deleted locks its stock row first) is written
    # before they are locked.
    if cart_line_ids:
        CartLine.objects.visible_to(organization).filter(
            organization=organization, pk__in=list(cart_line_ids)
        ).delete()
    audit(
        actor=acting_user,
        organization=organization,
        action="purchase_order.placed",
        target=purchase_order,
        changes={
            "lines": len(lines),
            "merchants": purchase_order.merchant_count,
            "total_usd": str(purchase_order.total_usd),
        },
    )
    # Whether the buyer listens was read with the SKUs.
    if any(getattr(line.sku, "buyer_hears_webhook", True) for line in lines):
        webhook_emit(
            organization=organization,
            event=PLACED_EVENT,
            payload=purchase_order_payload(purchase_order, lines),
        )
    # The lines are written before the stock rows are locked: their keys to the SKUs are
    # checked (and the SKU rows share-locked) at commit, the constraints being deferred, so the
    # lock order stays stock row, then SKU.
    PurchaseOrderLine.objects.bulk_create(lines)
    purchase_order_fan_out_task.delay_on_commit(purchase_order.pk)
    purchase_order.replayed = False
    # As ``prefetch_related("lines")`` would leave them: the caller answers without reading.
    purchase_order._prefetched_objects_cache = {"lines": lines}  # type: ignore[attr-defined]
    if answer_with is not None:
        purchase_order.answer = answer_with(purchase_order)  # type: ignore[attr-defined]
    # Last, the stock rows, locked until commit: every order of the same SKUs waits meanwhile,
    # so nothing that can be done before is done after (in the documented lock order: the new
    # order row, then stock rows by primary key).
    _reserve_for(lines, acting_user, note=purchase_order.number)
    _check_sample_limits(organization, lines, placing=purchase_order)
    return purchase_order


def _placed_with_key(organization: Organization, key: str) -> PurchaseOrder | None:
    """The order ``organization`` placed with idempotency ``key`` (``.replayed``), or None."""
    found = _PLACED_WITH_KEY.run(shape=organization.kind, organization_id=organization.pk, key=key)
    existing = found[0] if found else None
    if existing is not None:
        existing.replayed = True
    return existing


def _placed_with_key_query(kind: str, *, organization_id: int, key: str) -> QuerySet:
    organization = Organization(pk=organization_id, kind=kind)
    with scopes_disabled():  # the organisation is named here, not taken from the scope
        return (
            PurchaseOrder.objects.visible_to(organization)
            .filter(organization_id=organization_id, idempotency_key=key)
            .order_by("pk")[:1]
        )


# Asked before every placement: compiled once per kind of organisation.
_PLACED_WITH_KEY = PreparedQuery(_placed_with_key_query, organization_id=int, key=str)


def purchase_order_place_from_cart(
    *, organization: Organization, checkout: Checkout, idempotency_key: str, acting_user: User
) -> PurchaseOrder:
    """Check out the whole cart (see ``purchase_order_place``); the ordered lines leave it."""
    buyer_required(organization=organization, user=acting_user)
    key = (idempotency_key or "").strip()[:255] or secrets.token_hex(16)
    existing = _placed_with_key(organization, key)
    if existing is not None:
        return existing
    lines = list(CartLine.objects.visible_to(organization).filter(organization=organization))
    if not lines:
        raise EmptyCart(_("Your cart is empty."))
    return purchase_order_place(
        organization=organization,
        items=[
            OrderItem(
                sku_id=line.sku_id,
                quantity=line.quantity,
                is_sample=line.is_sample,
                quoted=Quoted.of(line),
            )
            for line in lines
        ],
        checkout=checkout,
        idempotency_key=key,
        acting_user=acting_user,
        cart_line_ids=[line.pk for line in lines],
        key_checked=True,
    )


def purchase_order_payload(
    purchase_order: PurchaseOrder, lines: Sequence[PurchaseOrderLine] | None = None
) -> dict[str, Any]:
    if lines is None:
        lines = list(
            PurchaseOrderLine.objects.visible_to(purchase_order.organization).filter(
                purchase_order=purchase_order
            )
        )
    return {
        "number": purchase_order.number,
        "buyer_reference": purchase_order.buyer_reference,
        "status": purchase_order.status,
        "incoterm": purchase_order.incoterm,
        "payment_terms": purchase_order.payment_terms,
        "delivery_type": purchase_order.delivery_type,
        "delivery_location": purchase_order.delivery_location,
        "total_usd": str(purchase_order.total_usd),
        "currency": "USD",
        "usd_cny_rate": (
            str(purchase_order.usd_cny_rate) if purchase_order.usd_cny_rate is not None else None
        ),
        "landed_cost_cny": (
            str(purchase_order.landed_cost_cny)
            if purchase_order.landed_cost_cny is not None
            else None
        ),
        "placed_at": purchase_order.placed_at,
        "lines": [
            {
                "sku": line.sku_code,
                "quantity": line.quantity,
                "unit_price_usd": str(line.unit_price_usd),
                "line_total_usd": str(line.line_total_usd),
                "is_sample": line.is_sample,
                "price_source": line.price_source,
                "price_reference": line.price_reference,
            }
            for line in lines
        ],
    }
