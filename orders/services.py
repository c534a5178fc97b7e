"""Every write of wholesale ordering: the cart, placing a purchase order with its stock
reserved, the fan-out into merchant orders, and each merchant order's transitions.

Locks are taken in one order everywhere, so two transactions never wait on each other in a
circle: the purchase order row, then its merchant order rows, then ``Inventory`` rows by
primary key (the SKU id). Stock moves only through ``catalog.stock``."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_scopes import scopes_disabled

from catalog.models import SKU, PriceTier
from catalog.selectors import QuantityNotAllowed as CatalogQuantityNotAllowed
from catalog.selectors import public_products, unit_price_for
from catalog.stock import stock_lock, stock_release, stock_reserve, stock_ship
from merchants.errors import MerchantNotApproved
from merchants.selectors import merchant_can_trade
from network.models import Membership, Organization, Role, User
from network.selectors import organization_staff, user_is_operator
from network.services import audit, notification_send, webhook_emit
from network.shipments import ShipmentBooking, shipment_booking, tracking_urls
from network.transitions import Transition, transition, transition_check
from orders.errors import (
    EmptyCart,
    IllegalOrderTransition,
    InsufficientStock,
    MinimumOrderNotMet,
    OrderPermissionDenied,
    ProductUnavailable,
    QuantityNotAllowed,
    UnknownBooking,
)
from orders.models import (
    CANCELLABLE,
    Cart,
    CartLine,
    DeliveryType,
    Incoterm,
    LineStatus,
    MerchantOrder,
    MerchantOrderSettings,
    MerchantOrderStatus,
    PaymentTerms,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on paper


def accept_within_days() -> int:
    return settings.ORDERS_ACCEPT_WITHIN_DAYS


# --- Who may act -------------------------------------------------------------------------------


def _membership(organization: Organization, user: User) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(organization=organization, user=user).first()


def _require_buyer(*, organization: Organization, acting_user: User) -> None:
    if organization.kind != Organization.Kind.BUYER:
        raise OrderPermissionDenied(_("Only buyer organisations place orders."))
    membership = _membership(organization, acting_user)
    if membership is None or not membership.has_role(Role.BUYER):
        raise OrderPermissionDenied(
            _("Only buyers, admins and owners of %(org)s can order.") % {"org": organization.name}
        )


def _require_merchant_staff(*, organization: Organization, acting_user: User) -> None:
    membership = _membership(organization, acting_user)
    if (
        organization.kind != Organization.Kind.MERCHANT
        or membership is None
        or not membership.has_role(Role.STAFF)
    ):
        raise OrderPermissionDenied(
            _("Only staff, admins and owners of %(org)s can handle its orders.")
            % {"org": organization.name}
        )


# --- Prices and quantities ---------------------------------------------------------------------


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


# --- Stock reservations ------------------------------------------------------------------------


def _release_lines(
    lines: Sequence[PurchaseOrderLine], *, status: str, note: str, acting_user: User | None
) -> None:
    """Give back the stock the lines hold and mark them ``status``."""
    quantities: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.sku_id and line.reserved_quantity:
            quantities[line.sku_id] += line.reserved_quantity
    stock_release(quantities, note=note, acting_user=acting_user)
    with scopes_disabled():
        PurchaseOrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(
            status=status, reserved_quantity=0
        )
    for line in lines:
        line.status, line.reserved_quantity = status, 0


# --- Cart --------------------------------------------------------------------------------------


def cart_for(*, organization: Organization) -> Cart:
    cart, _created = Cart.objects.get_or_create(organization=organization)
    return cart


def _orderable_sku(sku_id: int) -> SKU:
    """A SKU of an active listing of a merchant in good standing, with tiers and stock."""
    with scopes_disabled():
        sku = (
            SKU.objects.select_related("product", "organization", "inventory")
            .prefetch_related("tiers")
            .filter(pk=sku_id, product__in=public_products())
            .first()
        )
    if sku is None:
        raise ProductUnavailable(_("This product is not available to order."))
    return sku


def _check_quantity(sku: SKU, quantity: int) -> None:
    # The stock first: no whole number of cases makes a quantity above it orderable, so the
    # buyer learns what is there rather than how to round a number that cannot be met.
    inventory = getattr(sku, "inventory", None)
    available = inventory.available if inventory is not None else 0
    if quantity > available:
        raise InsufficientStock(
            _("Only %(available)s units of %(code)s are in stock; you asked for %(requested)s.")
            % {"available": available, "code": sku.code, "requested": quantity},
            lines=[{"sku": sku.pk, "requested": quantity, "available": available}],
        )
    quote(sku=sku, quantity=quantity)


@transaction.atomic
def cart_add(
    *, organization: Organization, sku_id: int, quantity: int, acting_user: User
) -> CartLine:
    """Add units of a SKU to the buyer's cart (on top of what is there). Refuses quantities
    below the MOQ, outside whole case packs, or above the stock available now."""
    _require_buyer(organization=organization, acting_user=acting_user)
    sku = _orderable_sku(sku_id)
    cart = Cart.objects.select_for_update().get(pk=cart_for(organization=organization).pk)
    line = CartLine.objects.filter(cart=cart, sku=sku).first()
    total = (line.quantity if line else 0) + quantity
    if quantity < 1:
        raise QuantityNotAllowed(_("Order at least one case."))
    _check_quantity(sku, total)
    if line is None:
        line = CartLine(organization=organization, cart=cart, sku=sku, added_by=acting_user)
    line.quantity = total
    line.full_clean(validate_unique=False, validate_constraints=False)
    line.save()
    cart.save(update_fields=["updated_at"])
    audit(
        actor=acting_user,
        organization=organization,
        action="cart.line_added",
        target=cart,
        changes={"sku": sku.code, "quantity": total},
    )
    return line


@transaction.atomic
def cart_line_update(*, line: CartLine, quantity: int, acting_user: User) -> CartLine | None:
    """Change a cart line's quantity; 0 removes it. Same rules as adding."""
    _require_buyer(organization=line.organization, acting_user=acting_user)
    if quantity <= 0:
        cart_line_remove(line=line, acting_user=acting_user)
        return None
    sku = _orderable_sku(line.sku_id)
    _check_quantity(sku, quantity)
    before = line.quantity
    line.quantity = quantity
    line.full_clean(validate_unique=False, validate_constraints=False)
    line.save(update_fields=["quantity"])
    audit(
        actor=acting_user,
        organization=line.organization,
        action="cart.line_changed",
        target=line.cart,
        changes={"sku": sku.code, "quantity": [before, quantity]},
    )
    return line


@transaction.atomic
def cart_line_remove(*, line: CartLine, acting_user: User) -> None:
    """Take a line out of the cart."""
    _require_buyer(organization=line.organization, acting_user=acting_user)
    audit(
        actor=acting_user,
        organization=line.organization,
        action="cart.line_removed",
        target=line.cart,
        changes={"sku": line.sku_id, "quantity": line.quantity},
    )
    line.delete()


# --- Placing a purchase order ------------------------------------------------------------------


@dataclass
class Checkout:
    """What the buyer fills in at checkout."""

    delivery_location: str
    delivery_type: str = DeliveryType.WAREHOUSE
    incoterm: str = Incoterm.FOB
    payment_terms: str = PaymentTerms.PREPAID
    buyer_reference: str = ""
    notes: str = ""


def _new_number() -> str:
    return "PO" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


def _priced_lines(
    organization: Organization, items: Sequence[tuple[int, int]]
) -> list[PurchaseOrderLine]:
    """Unsaved lines for (sku id, quantity) pairs, priced at their tier. Every refusal names
    its SKU; all lines are checked before anything is raised. A SKU that is not orderable is
    named by the id the caller sent, exactly as an id that does not exist: its code is the
    merchant's to publish, and a draft or a taken-down listing has not been published."""
    quantities: dict[int, int] = defaultdict(int)
    for sku_id, quantity in items:
        quantities[int(sku_id)] += int(quantity)
    if not quantities:
        raise EmptyCart(_("Add something to order first."))
    with scopes_disabled():
        skus = {
            sku.pk: sku
            for sku in SKU.objects.filter(pk__in=list(quantities))
            .select_related("product")
            .prefetch_related("tiers")
        }
        orderable = set(
            public_products()
            .filter(pk__in={sku.product_id for sku in skus.values()})
            .values_list("pk", flat=True)
        )
    unavailable: list[int] = []
    wrong_quantity: list[dict[str, Any]] = []
    lines: list[PurchaseOrderLine] = []
    for sku_id, quantity in quantities.items():
        sku = skus.get(sku_id)
        if sku is None or sku.product_id not in orderable:
            unavailable.append(sku_id)
            continue
        try:
            unit_price, list_price = quote(sku=sku, quantity=quantity)
        except QuantityNotAllowed as error:
            wrong_quantity.append({"sku": sku.pk, "message": error.message})
            continue
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
                quantity=quantity,
                unit_price_usd=unit_price,
                list_unit_price_usd=max(list_price, unit_price),
                line_total_usd=unit_price * quantity,
                reserved_quantity=quantity,
            )
        )
    if unavailable:
        raise ProductUnavailable(
            ngettext(
                "The SKU with id %(ids)s is not available to order.",
                "The SKUs with ids %(ids)s are not available to order.",
                len(unavailable),
            )
            % {"ids": ", ".join(str(sku_id) for sku_id in sorted(unavailable))},
            skus=sorted(unavailable),
        )
    if wrong_quantity:
        raise QuantityNotAllowed(
            " ".join(item["message"] for item in wrong_quantity), lines=wrong_quantity
        )
    return lines


def minimum_order_values(merchant_ids: Iterable[int]) -> dict[int, Decimal]:
    with scopes_disabled():
        return dict(
            MerchantOrderSettings.objects.filter(
                organization_id__in=list(merchant_ids), minimum_order_value_usd__gt=0
            ).values_list("organization_id", "minimum_order_value_usd")
        )


def _check_minimums(lines: Sequence[PurchaseOrderLine]) -> None:
    subtotals: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        subtotals[line.merchant_id] += line.line_total_usd
    minimums = minimum_order_values(subtotals)
    short = [(merchant_id, minimums[merchant_id]) for merchant_id in minimums]
    short = [(m, minimum) for m, minimum in short if subtotals[m] < minimum]
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


def _reserve_for(lines: Sequence[PurchaseOrderLine], acting_user: User, note: str) -> None:
    """Reserve every line's units under row locks, or raise InsufficientStock naming each short
    line (the caller's transaction then writes nothing)."""
    wanted: list[tuple[int, PurchaseOrderLine]] = []
    for line in lines:
        # A line loses its SKU only when the SKU is deleted, long after the order is placed.
        assert line.sku_id is not None, "a line being placed names its SKU"
        wanted.append((line.sku_id, line))
    rows = stock_lock(sku_id for sku_id, _line in wanted)
    short: list[dict[str, Any]] = []
    for sku_id, line in wanted:
        row = rows.get(sku_id)
        available = row.available if row is not None else 0
        if line.quantity > available:
            short.append(
                {
                    "sku": sku_id,
                    "requested": line.quantity,
                    "available": available,
                    "message": _(
                        "%(code)s: you asked for %(requested)s units, %(available)s are available."
                    )
                    % {"code": line.sku_code, "requested": line.quantity, "available": available},
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
    stock_reserve(
        {sku_id: line.quantity for sku_id, line in wanted},
        note=note,
        acting_user=acting_user,
    )


def purchase_order_place(
    *,
    organization: Organization,
    items: Sequence[tuple[int, int]],
    checkout: Checkout,
    idempotency_key: str,
    acting_user: User,
    cart_line_ids: Sequence[int] = (),
) -> PurchaseOrder:
    """Place a purchase order for (SKU id, quantity) pairs in one transaction: the order, its
    lines at tier prices and the stock reservations, then fan-out after commit. A second call
    with the same ``idempotency_key`` returns the first order (``.replayed`` is True). Raises
    QuantityNotAllowed, ProductUnavailable, MinimumOrderNotMet or InsufficientStock and then
    writes nothing."""
    key = (idempotency_key or "").strip()[:255] or secrets.token_hex(16)
    try:
        purchase_order = _place(
            organization=organization,
            items=items,
            checkout=checkout,
            key=key,
            acting_user=acting_user,
            cart_line_ids=cart_line_ids,
        )
    except IntegrityError as error:
        # A concurrent submit with the same key committed first: answer with its order.
        if "purchaseorder_idempotency" not in str(error):
            raise
        purchase_order = PurchaseOrder.objects.get(organization=organization, idempotency_key=key)
        purchase_order.replayed = True
    return purchase_order


@transaction.atomic
def _place(
    *,
    organization: Organization,
    items: Sequence[tuple[int, int]],
    checkout: Checkout,
    key: str,
    acting_user: User,
    cart_line_ids: Sequence[int],
) -> PurchaseOrder:
    _require_buyer(organization=organization, acting_user=acting_user)
    existing = PurchaseOrder.objects.filter(organization=organization, idempotency_key=key).first()
    if existing is not None:
        existing.replayed = True
        return existing
    lines = _priced_lines(organization, items)
    _check_minimums(lines)
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
        total_usd=sum((line.line_total_usd for line in lines), Decimal("0.00")),
        savings_usd=sum((line.saving_usd for line in lines), Decimal("0.00")),
        merchant_count=len({line.merchant_id for line in lines}),
        placed_by=acting_user,
    )
    # Uniqueness is left to the database: its unique index is what makes two concurrent
    # submits with one key produce one order (the second waits, then fails, then replays).
    purchase_order.full_clean(validate_unique=False, validate_constraints=False)
    purchase_order.save()
    for line in lines:
        line.purchase_order = purchase_order
    # Locks in the documented order: the new order row, then stock rows by primary key.
    _reserve_for(lines, acting_user, note=purchase_order.number)
    PurchaseOrderLine.objects.bulk_create(lines)
    if cart_line_ids:
        CartLine.objects.filter(organization=organization, pk__in=list(cart_line_ids)).delete()
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
    webhook_emit(
        organization=organization,
        event="purchase_order.placed",
        payload=purchase_order_payload(purchase_order, lines),
    )
    from orders.tasks import purchase_order_fan_out

    purchase_order_fan_out.delay_on_commit(purchase_order.pk)
    purchase_order.replayed = False
    return purchase_order


def purchase_order_place_from_cart(
    *, organization: Organization, checkout: Checkout, idempotency_key: str, acting_user: User
) -> PurchaseOrder:
    """Check out the whole cart (see ``purchase_order_place``); the ordered lines leave it."""
    _require_buyer(organization=organization, acting_user=acting_user)
    with scopes_disabled():
        existing = PurchaseOrder.objects.filter(
            organization=organization, idempotency_key=idempotency_key
        ).first()
    if existing is not None:
        existing.replayed = True
        return existing
    lines = list(
        CartLine.objects.filter(organization=organization).values_list("pk", "sku_id", "quantity")
    )
    if not lines:
        raise EmptyCart(_("Your cart is empty."))
    return purchase_order_place(
        organization=organization,
        items=[(sku_id, quantity) for _pk, sku_id, quantity in lines],
        checkout=checkout,
        idempotency_key=idempotency_key,
        acting_user=acting_user,
        cart_line_ids=[pk for pk, _sku, _qty in lines],
    )


def purchase_order_payload(
    purchase_order: PurchaseOrder, lines: Sequence[PurchaseOrderLine] | None = None
) -> dict[str, Any]:
    lines = list(lines) if lines is not None else list(purchase_order.lines.all())
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
        "placed_at": purchase_order.placed_at,
        "lines": [
            {
                "sku": line.sku_code,
                "quantity": line.quantity,
                "unit_price_usd": str(line.unit_price_usd),
                "line_total_usd": str(line.line_total_usd),
            }
            for line in lines
        ],
    }


def merchant_order_payload(merchant_order: MerchantOrder) -> dict[str, Any]:
    with scopes_disabled():
        lines = list(merchant_order.lines.all())
        purchase_order = merchant_order.purchase_order
    return {
        "number": merchant_order.number,
        "purchase_order": purchase_order.number,
        "buyer": merchant_order.buyer.name,
        "status": merchant_order.status,
        "subtotal_usd": str(merchant_order.subtotal_usd),
        "currency": "USD",
        "accept_by": merchant_order.accept_by,
        "incoterm": purchase_order.incoterm,
        "delivery_location": purchase_order.delivery_location,
        "carrier_name": merchant_order.carrier_name,
        "booking_reference": merchant_order.booking_reference,
        "tracking_number": merchant_order.tracking_number,
        "lines": [
            {
                "id": line.pk,
                "sku": line.sku_code,
                "quantity": line.quantity,
                "status": line.status,
                "unit_price_usd": str(line.unit_price_usd),
                "line_total_usd": str(line.line_total_usd),
            }
            for line in lines
        ],
    }


# --- The purchase order's status ---------------------------------------------------------------


def derive_status(merchant_order_statuses: Iterable[str]) -> str:
    """The purchase order's status from its merchant orders' statuses (rejected and cancelled
    merchant orders drop out unless nothing else is left)."""
    statuses = list(merchant_order_statuses)
    if not statuses:
        return PurchaseOrderStatus.PLACED
    ended = (MerchantOrderStatus.REJECTED, MerchantOrderStatus.CANCELLED)
    live = [s for s in statuses if s not in ended]
    if not live:
        return PurchaseOrderStatus.CANCELLED
    if all(s == MerchantOrderStatus.CLOSED for s in live):
        return PurchaseOrderStatus.COMPLETED
    on_the_way = (
        MerchantOrderStatus.SHIPPED,
        MerchantOrderStatus.DELIVERED,
        MerchantOrderStatus.CLOSED,
    )
    if all(s in on_the_way for s in live):
        return PurchaseOrderStatus.SHIPPED
    pending = [s for s in live if s == MerchantOrderStatus.PENDING]
    if len(pending) == len(live):
        return PurchaseOrderStatus.PLACED
    if pending:
        return PurchaseOrderStatus.PARTLY_ACCEPTED
    return PurchaseOrderStatus.IN_FULFILMENT


def _refresh_status(purchase_order: PurchaseOrder) -> str:
    with scopes_disabled():
        statuses = MerchantOrder.objects.filter(purchase_order=purchase_order).values_list(
            "status", flat=True
        )
        status = derive_status(statuses)
        if status != purchase_order.status:
            purchase_order.status = status
            changes: dict[str, Any] = {"status": status}
            if status == PurchaseOrderStatus.CANCELLED and purchase_order.cancelled_at is None:
                purchase_order.cancelled_at = changes["cancelled_at"] = timezone.now()
            PurchaseOrder.objects.filter(pk=purchase_order.pk).update(**changes)
    return status


# --- Fan-out -----------------------------------------------------------------------------------


def _link(name: str, number: str) -> str:
    return settings.SITE_URL + reverse(name, args=[number])


@transaction.atomic
def purchase_order_fan_out(*, purchase_order_id: int) -> list[MerchantOrder]:
    """Split the purchase order into one merchant order per merchant and tell each merchant
    (mail and webhook). Returns the merchant orders it created: none on a second run."""
    with scopes_disabled():
        purchase_order = (
            PurchaseOrder.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(pk=purchase_order_id)
            .first()
        )
        if purchase_order is None or purchase_order.status == PurchaseOrderStatus.CANCELLED:
            return []
        waiting = list(
            PurchaseOrderLine.objects.filter(
                purchase_order=purchase_order, merchant_order__isnull=True
            ).order_by("merchant__name", "pk")
        )
        if not waiting:
            return []
        by_merchant: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
        for line in waiting:
            by_merchant[line.merchant_id].append(line)
        existing = {
            mo.organization_id: mo
            for mo in MerchantOrder.objects.filter(purchase_order=purchase_order)
        }
        merchants = {o.pk: o for o in Organization.objects.filter(pk__in=list(by_merchant))}
        now = timezone.now()
        created: list[MerchantOrder] = []
        sequence = len(existing)
        for merchant_id, lines in by_merchant.items():
            merchant_order = existing.get(merchant_id)
            if merchant_order is None:
                sequence += 1
                merchant_order = MerchantOrder(
                    organization=merchants[merchant_id],
                    purchase_order=purchase_order,
                    buyer=purchase_order.organization,
                    number=f"{purchase_order.number}-{sequence:02d}",
                    accept_by=now + timedelta(days=accept_within_days()),
                    created_at=now,
                )
                merchant_order.full_clean(validate_unique=False, validate_constraints=False)
                merchant_order.save()
                created.append(merchant_order)
            PurchaseOrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(
                merchant_order=merchant_order
            )
            merchant_order.subtotal_usd = sum(
                (
                    line.line_total_usd
                    for line in PurchaseOrderLine.objects.filter(merchant_order=merchant_order)
                ),
                Decimal("0.00"),
            )
            merchant_order.save(update_fields=["subtotal_usd"])
        PurchaseOrder.objects.filter(pk=purchase_order.pk).update(fanned_out_at=now)
        _refresh_status(purchase_order)
    for merchant_order in created:
        audit(
            actor=None,
            organization=merchant_order.organization,
            action="merchant_order.created",
            target=merchant_order,
            changes={
                "purchase_order": purchase_order.number,
                "subtotal_usd": str(merchant_order.subtotal_usd),
            },
        )
        for user in organization_staff(organization=merchant_order.organization):
            notification_send(
                email=user.email,
                recipient=user,
                organization=merchant_order.organization,
                kind="orders.merchant_order_created",
                template="orders/email/merchant_order_created",
                context={
                    "number": merchant_order.number,
                    "buyer": purchase_order.organization.name,
                    "subtotal": f"{merchant_order.subtotal_usd:,.2f}",
                    "lines": len(by_merchant[merchant_order.organization_id]),
                    "accept_by": merchant_order.accept_by,
                    "incoterm": purchase_order.incoterm,
                    "delivery_location": purchase_order.delivery_location,
                },
                link=_link("orders:merchant_order_detail", merchant_order.number),
            )
        webhook_emit(
            organization=merchant_order.organization,
            event="merchant_order.created",
            payload=merchant_order_payload(merchant_order),
        )
    return created


def purchase_orders_awaiting_fan_out_ids(*, older_than: timedelta, limit: int = 500) -> list[int]:
    """Placed purchase orders not fanned out ``older_than`` after placing: their fan-out task
    was lost (broker down at enqueue, worker killed). Oldest first."""
    with scopes_disabled():
        return list(
            PurchaseOrder.objects.filter(
                fanned_out_at__isnull=True, placed_at__lte=timezone.now() - older_than
            )
            .exclude(status=PurchaseOrderStatus.CANCELLED)
            .order_by("placed_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )


# --- Merchant order transitions ----------------------------------------------------------------


def _locked(merchant_order: MerchantOrder) -> tuple[PurchaseOrder, MerchantOrder]:
    """Lock the purchase order, then the merchant order (the app's lock order)."""
    with scopes_disabled():
        purchase_order = (
            PurchaseOrder.objects.select_for_update(of=("self",))
            .select_related("organization", "placed_by")
            .get(pk=merchant_order.purchase_order_id)
        )
        locked = (
            MerchantOrder.objects.select_for_update(of=("self",))
            .select_related("organization", "buyer")
            .get(pk=merchant_order.pk)
        )
    locked.purchase_order = purchase_order
    return purchase_order, locked


def _lines(merchant_order: MerchantOrder, **filters: Any) -> list[PurchaseOrderLine]:
    with scopes_disabled():
        return list(
            PurchaseOrderLine.objects.filter(merchant_order=merchant_order, **filters).order_by(
                "pk"
            )
        )


MO = MerchantOrderStatus

# action -> (label, statuses it may start from, status it leads to): every move of a merchant
# order. Who may make it is checked by its service (the buyer cancels only a pending order).
TRANSITIONS: dict[str, Transition] = {
    "accept": transition(gettext_lazy("accept"), {MO.PENDING}, MO.ACCEPTED),
    "reject": transition(gettext_lazy("reject"), {MO.PENDING}, MO.REJECTED),
    "pack": transition(gettext_lazy("pack"), {MO.ACCEPTED}, MO.PACKED),
    "ship": transition(gettext_lazy("ship"), {MO.PACKED}, MO.SHIPPED),
    "deliver": transition(gettext_lazy("mark delivered"), {MO.SHIPPED}, MO.DELIVERED),
    "close": transition(gettext_lazy("close"), {MO.DELIVERED}, MO.CLOSED),
    "cancel": transition(gettext_lazy("cancel"), CANCELLABLE, MO.CANCELLED),
}


def _refuse(
    merchant_order: MerchantOrder, action: str, *, table: dict[str, Transition] = TRANSITIONS
) -> str:
    """The status ``action`` leads to, if the merchant order's status allows it."""
    messages = {
        "accept": _(
            "Only a merchant order awaiting acceptance can be accepted; this one is %(status)s."
        ),
        "reject": _(
            "Only a merchant order awaiting acceptance can be rejected; this one is %(status)s."
        ),
        "pack": _("Only an accepted merchant order can be packed; this one is %(status)s."),
        "ship": _("Only a packed merchant order can be shipped; this one is %(status)s."),
        "deliver": _(
            "Only a shipped merchant order can be marked delivered; this one is %(status)s."
        ),
        "close": _(
            "Only a merchant order delivered to consolidation can be closed; this one is "
            "%(status)s."
        ),
        "cancel": _("A merchant order that is %(status)s can no longer be cancelled."),
    }
    return transition_check(
        table,
        action,
        merchant_order,
        message=messages[action],
        status_label=merchant_order.get_status_display().lower(),
        error=IllegalOrderTransition,
    ).to_status


def _notify_buyer(merchant_order: MerchantOrder, event: str) -> None:
    purchase_order = merchant_order.purchase_order
    recipients: list[User] = []
    if (
        purchase_order.placed_by_id
        and Membership.objects.filter(
            organization_id=purchase_order.organization_id, user_id=purchase_order.placed_by_id
        ).exists()
        and purchase_order.placed_by is not None
    ):
        recipients = [purchase_order.placed_by]
    else:
        recipients = [
            m.user
            for m in Membership.objects.filter(
                organization_id=purchase_order.organization_id, role__in=[Role.OWNER, Role.ADMIN]
            ).select_related("user")
        ]
    shipment = (merchant_order.carrier_name, merchant_order.tracking_number)
    tracking_url = tracking_urls([shipment]).get(shipment, "") if event == "shipped" else ""
    for user in recipients:
        notification_send(
            email=user.email,
            recipient=user,
            organization=purchase_order.organization,
            kind=f"orders.merchant_order_{event}",
            template="orders/email/merchant_order_update",
            context={
                "event": event,
                "number": merchant_order.number,
                "purchase_order": purchase_order.number,
                "buyer_reference": purchase_order.buyer_reference,
                "merchant": merchant_order.organization.name,
                "reason": merchant_order.status_reason,
                "carrier": merchant_order.carrier_name,
                "booking_reference": merchant_order.booking_reference,
                "tracking_number": merchant_order.tracking_number,
                "tracking_url": tracking_url,
            },
            link=_link("orders:purchase_order_detail", purchase_order.number),
        )


def _notify_merchant(merchant_order: MerchantOrder, event: str) -> None:
    for user in organization_staff(organization=merchant_order.organization):
        notification_send(
            email=user.email,
            recipient=user,
            organization=merchant_order.organization,
            kind=f"orders.merchant_order_{event}",
            template="orders/email/merchant_order_update",
            context={
                "event": event,
                "number": merchant_order.number,
                "purchase_order": merchant_order.purchase_order.number,
                "merchant": merchant_order.organization.name,
                "reason": merchant_order.status_reason,
            },
            link=_link("orders:merchant_order_detail", merchant_order.number),
        )


def _save(merchant_order: MerchantOrder, *fields: str) -> None:
    merchant_order.full_clean(validate_unique=False, validate_constraints=False)
    with scopes_disabled():
        merchant_order.save(update_fields=["status", *fields])


@transaction.atomic
def merchant_order_accept(
    *, merchant_order: MerchantOrder, acting_user: User, line_ids: Sequence[int] | None = None
) -> MerchantOrder:
    """Accept a pending merchant order: every line, or only ``line_ids`` (the others are
    rejected and their stock released). Refused for a merchant not in good standing."""
    _require_merchant_staff(organization=merchant_order.organization, acting_user=acting_user)
    if not merchant_can_trade(organization=merchant_order.organization):
        raise MerchantNotApproved(_("Only approved merchants in good standing can take orders."))
    purchase_order, merchant_order = _locked(merchant_order)
    target = _refuse(merchant_order, "accept")
    lines = _lines(merchant_order)
    wanted = {line.pk for line in lines} if line_ids is None else {int(i) for i in line_ids}
    unknown = wanted - {line.pk for line in lines}
    if unknown:
        raise IllegalOrderTransition(_("Those lines are not part of this order."))
    accepted = [line for line in lines if line.pk in wanted]
    refused = [line for line in lines if line.pk not in wanted]
    if not accepted:
        raise IllegalOrderTransition(_("Accept at least one line, or reject the order."))
    if refused:
        _release_lines(
            refused,
            status=LineStatus.REJECTED,
            note=merchant_order.number,
            acting_user=acting_user,
        )
    with scopes_disabled():
        PurchaseOrderLine.objects.filter(pk__in=[line.pk for line in accepted]).update(
            status=LineStatus.ACCEPTED
        )
    merchant_order.status = target
    merchant_order.accepted_at = timezone.now()
    merchant_order.subtotal_usd = sum((line.line_total_usd for line in accepted), Decimal("0.00"))
    _save(merchant_order, "accepted_at", "subtotal_usd")
    _refresh_status(purchase_order)
    audit(
        actor=acting_user,
        organization=merchant_order.organization,
        action="merchant_order.accepted",
        target=merchant_order,
        changes={
            "status": [MerchantOrderStatus.PENDING, MerchantOrderStatus.ACCEPTED],
            "accepted_lines": [line.sku_code for line in accepted],
            "rejected_lines": [line.sku_code for line in refused],
        },
    )
    payload = merchant_order_payload(merchant_order)
    for organization in (merchant_order.organization, merchant_order.buyer):
        webhook_emit(organization=organization, event="merchant_order.accepted", payload=payload)
    _notify_buyer(merchant_order, "partly_accepted" if refused else "accepted")
    return merchant_order


@transaction.atomic
def merchant_order_reject(
    *, merchant_order: MerchantOrder, reason: str, acting_user: User
) -> MerchantOrder:
    """Turn down a pending merchant order; its stock is released and the buyer told why."""
    _require_merchant_staff(organization=merchant_order.organization, acting_user=acting_user)
    reason = (reason or "").strip()
    if not reason:
        raise IllegalOrderTransition(_("Tell the buyer why you reject the order."))
    purchase_order, merchant_order = _locked(merchant_order)
    target = _refuse(merchant_order, "reject")
    _release_lines(
        _lines(merchant_order),
        status=LineStatus.REJECTED,
        note=merchant_order.number,
        acting_user=acting_user,
    )
    merchant_order.status = target
    merchant_order.status_reason = reason[:500]
    merchant_order.ended_at = timezone.now()
    _save(merchant_order, "status_reason", "ended_at")
    _refresh_status(purchase_order)
    audit(
        actor=acting_user,
        organization=merchant_order.organization,
        action="merchant_order.rejected",
        target=merchant_order,
        changes={
            "status": [MerchantOrderStatus.PENDING, MerchantOrderStatus.REJECTED],
            "reason": reason,
        },
    )
    _notify_buyer(merchant_order, "rejected")
    return merchant_order


@transaction.atomic
def merchant_order_pack(*, merchant_order: MerchantOrder, acting_user: User) -> MerchantOrder:
    """Record that an accepted merchant order is packed and ready to ship."""
    _require_merchant_staff(organization=merchant_order.organization, acting_user=acting_user)
    purchase_order, merchant_order = _locked(merchant_order)
    merchant_order.status = _refuse(merchant_order, "pack")
    merchant_order.packed_at = timezone.now()
    _save(merchant_order, "packed_at")
    _refresh_status(purchase_order)
    audit(
        actor=acting_user,
        organization=merchant_order.organization,
        action="merchant_order.packed",
        target=merchant_order,
        changes={"status": [MerchantOrderStatus.ACCEPTED, MerchantOrderStatus.PACKED]},
    )
    return merchant_order


def _shipment_booking(
    merchant_order: MerchantOrder, reference: str, carrier_name: str
) -> ShipmentBooking:
    booking = shipment_booking(organization=merchant_order.organization, reference=reference)
    if booking is None:
        raise UnknownBooking(
            _(
                "%(reference)s is not one of your bookings. Give the reference of a booking "
                "your organisation made under Shipping, or leave it empty."
            )
            % {"reference": reference}
        )
    if not booking.carries_goods:
        raise UnknownBooking(
            _("Booking %(reference)s is %(status)s: it carries no goods.")
            % {"reference": booking.reference, "status": booking.status_label.lower()}
        )
    if carrier_name and carrier_name.lower() not in (
        booking.carrier_name.lower(),
        booking.carrier_scac.lower(),
    ):
        raise UnknownBooking(
            _("Booking %(reference)s is with %(carrier)s, not %(given)s.")
            % {
                "reference": booking.reference,
                "carrier": booking.carrier_name,
                "given": carrier_name,
            }
        )
    return booking


@transaction.atomic
def merchant_order_ship(
    *,
    merchant_order: MerchantOrder,
    carrier_name: str,
    tracking_number: str = "",
    booking_reference: str = "",
    acting_user: User,
) -> MerchantOrder:
    """Ship a packed merchant order: the reserved units leave the stock on hand, the carrier
    and references are recorded, and the buyer is told. A booking reference must be one of the
    merchant's own bookings that carries goods (``UnknownBooking`` otherwise); its carrier is
    the shipment's carrier."""
    _require_merchant_staff(organization=merchant_order.organization, acting_user=acting_user)
    carrier_name = (carrier_name or "").strip()
    booking_reference = (booking_reference or "").strip()
    if booking_reference:
        booking = _shipment_booking(merchant_order, booking_reference, carrier_name)
        booking_reference, carrier_name = booking.reference, carrier_name or booking.carrier_name
    if not carrier_name:
        raise IllegalOrderTransition(_("Name the carrier that takes the goods."))
    purchase_order, merchant_order = _locked(merchant_order)
    target = _refuse(merchant_order, "ship")
    lines = _lines(merchant_order, status=LineStatus.ACCEPTED)
    quantities: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.sku_id:
            quantities[line.sku_id] += line.reserved_quantity
    stock_ship(
        quantities,
        note=merchant_order.number,
        acting_user=acting_user,
    )
    with scopes_disabled():
        PurchaseOrderLine.objects.filter(pk__in=[line.pk for line in lines]).update(
            status=LineStatus.SHIPPED, reserved_quantity=0
        )
    merchant_order.status = target
    merchant_order.carrier_name = carrier_name[:100]
    merchant_order.tracking_number = (tracking_number or "").strip()[:60]
    merchant_order.booking_reference = (booking_reference or "").strip()[:60]
    merchant_order.shipped_at = timezone.now()
    _save(merchant_order, "carrier_name", "tracking_number", "booking_reference", "shipped_at")
    _refresh_status(purchase_order)
    audit(
        actor=acting_user,
        organization=merchant_order.organization,
        action="merchant_order.shipped",
        target=merchant_order,
        changes={
            "status": [MerchantOrderStatus.PACKED, MerchantOrderStatus.SHIPPED],
            "carrier_name": merchant_order.carrier_name,
            "booking_reference": merchant_order.booking_reference,
            "tracking_number": merchant_order.tracking_number,
        },
    )
    payload = merchant_order_payload(merchant_order)
    for organization in (merchant_order.organization, merchant_order.buyer):
        webhook_emit(organization=organization, event="merchant_order.shipped", payload=payload)
    _notify_buyer(merchant_order, "shipped")
    return merchant_order


def _advance(
    merchant_order: MerchantOrder,
    *,
    stamp: str,
    verb: str,
    action: str,
    acting_user: User,
) -> MerchantOrder:
    """Move a locked merchant order along ``TRANSITIONS[verb]``, stamp the time, re-derive the
    purchase order's status and audit it; the caller has checked who may do it."""
    purchase_order, merchant_order = _locked(merchant_order)
    source = merchant_order.status
    target = _refuse(merchant_order, verb)
    merchant_order.status = target
    setattr(merchant_order, stamp, timezone.now())
    _save(merchant_order, stamp)
    _refresh_status(purchase_order)
    audit(
        actor=acting_user,
        organization=merchant_order.organization,
        action=action,
        target=merchant_order,
        changes={"status": [source, target]},
    )
    return merchant_order


@transaction.atomic
def merchant_order_mark_delivered(
    *, merchant_order: MerchantOrder, acting_user: User
) -> MerchantOrder:
    """Record that the goods reached the consolidation warehouse or port (the merchant or an
    operator records it)."""
    if not user_is_operator(acting_user):
        _require_merchant_staff(organization=merchant_order.organization, acting_user=acting_user)
    merchant_order = _advance(
        merchant_order,
        stamp="delivered_at",
        verb="deliver",
        action="merchant_order.delivered",
        acting_user=acting_user,
    )
    _notify_buyer(merchant_order, "delivered")
    return merchant_order


@transaction.atomic
def merchant_order_close(*, merchant_order: MerchantOrder, acting_user: User) -> MerchantOrder:
    """The buyer confirms receipt at consolidation (or an operator closes it): the merchant
    order is done."""
    if not user_is_operator(acting_user):
        _require_buyer(organization=merchant_order.buyer, acting_user=acting_user)
    merchant_order = _advance(
        merchant_order,
        stamp="closed_at",
        verb="close",
        action="merchant_order.closed",
        acting_user=acting_user,
    )
    _notify_merchant(merchant_order, "closed")
    return merchant_order


def _cancel(
    purchase_order: PurchaseOrder,
    merchant_order: MerchantOrder,
    *,
    reason: str,
    acting_user: User | None,
    action: str = "merchant_order.cancelled",
) -> None:
    before = merchant_order.status
    # Rejected lines gave their stock back already and keep their status.
    _release_lines(
        _lines(merchant_order, status__in=[LineStatus.PENDING, LineStatus.ACCEPTED]),
        status=LineStatus.CANCELLED,
        note=merchant_order.number,
        acting_user=acting_user,
    )
    merchant_order.status = MerchantOrderStatus.CANCELLED
    merchant_order.status_reason = reason[:500]
    merchant_order.ended_at = timezone.now()
    _save(merchant_order, "status_reason", "ended_at")
    _refresh_status(purchase_order)
    audit(
        actor=acting_user,
        organization=merchant_order.organization,
        action=action,
        target=merchant_order,
        changes={"status": [before, MerchantOrderStatus.CANCELLED], "reason": reason},
    )


@transaction.atomic
def merchant_order_cancel(
    *, merchant_order: MerchantOrder, reason: str, acting_user: User
) -> MerchantOrder:
    """Cancel before shipment and release the stock. The merchant may cancel until it ships;
    the buyer only while the merchant has not accepted; operators always before shipment."""
    reason = (reason or "").strip()
    operator = user_is_operator(acting_user)
    merchant_side = (
        _membership(merchant_order.organization, acting_user) is not None and not operator
    )
    if merchant_side:
        _require_merchant_staff(organization=merchant_order.organization, acting_user=acting_user)
    elif not operator:
        _require_buyer(organization=merchant_order.buyer, acting_user=acting_user)
    if not reason:
        raise IllegalOrderTransition(_("Give a reason for cancelling."))
    purchase_order, merchant_order = _locked(merchant_order)
    allowed = CANCELLABLE if (merchant_side or operator) else (MerchantOrderStatus.PENDING,)
    if merchant_order.status not in allowed:
        if merchant_order.status in CANCELLABLE:
            raise IllegalOrderTransition(
                _("%(merchant)s has accepted this order; ask them to cancel it.")
                % {"merchant": merchant_order.organization.name}
            )
        rule = TRANSITIONS["cancel"]
        _refuse(
            merchant_order,
            "cancel",
            table={"cancel": transition(rule.label, allowed, rule.to_status)},
        )
    _cancel(purchase_order, merchant_order, reason=reason, acting_user=acting_user)
    if merchant_side or operator:
        _notify_buyer(merchant_order, "cancelled")
    if not merchant_side:
        _notify_merchant(merchant_order, "cancelled")
    return merchant_order


@transaction.atomic
def purchase_order_cancel(
    *, purchase_order: PurchaseOrder, reason: str, acting_user: User
) -> PurchaseOrder:
    """The buyer withdraws a purchase order no merchant has accepted yet: every merchant order
    is cancelled and all its stock released."""
    _require_buyer(organization=purchase_order.organization, acting_user=acting_user)
    reason = (reason or "").strip() or _("Withdrawn by the buyer.")
    with scopes_disabled():
        purchase_order = (
            PurchaseOrder.objects.select_for_update(of=("self",))
            .select_related("organization", "placed_by")
            .get(pk=purchase_order.pk)
        )
        merchant_orders = list(
            MerchantOrder.objects.select_for_update(of=("self",))
            .select_related("organization", "buyer")
            .filter(purchase_order=purchase_order)
            .order_by("pk")
        )
    if purchase_order.status == PurchaseOrderStatus.CANCELLED:
        raise IllegalOrderTransition(_("This purchase order is already cancelled."))
    live = [
        mo
        for mo in merchant_orders
        if mo.status not in (MerchantOrderStatus.REJECTED, MerchantOrderStatus.CANCELLED)
    ]
    if any(mo.status != MerchantOrderStatus.PENDING for mo in live):
        raise IllegalOrderTransition(
            _(
                "Merchants have already accepted part of this order. Cancel the merchant orders "
                "still awaiting acceptance one by one."
            )
        )
    for merchant_order in live:
        merchant_order.purchase_order = purchase_order
        _cancel(purchase_order, merchant_order, reason=reason, acting_user=acting_user)
        _notify_merchant(merchant_order, "cancelled")
    # Lines not yet fanned out hold stock too.
    with scopes_disabled():
        loose = list(
            PurchaseOrderLine.objects.filter(
                purchase_order=purchase_order, merchant_order__isnull=True
            )
        )
    if loose:
        _release_lines(
            loose, status=LineStatus.CANCELLED, note=purchase_order.number, acting_user=acting_user
        )
    purchase_order.status = PurchaseOrderStatus.CANCELLED
    purchase_order.cancelled_at = timezone.now()
    with scopes_disabled():
        purchase_order.save(update_fields=["status", "cancelled_at"])
    audit(
        actor=acting_user,
        organization=purchase_order.organization,
        action="purchase_order.cancelled",
        target=purchase_order,
        changes={"status": PurchaseOrderStatus.CANCELLED, "reason": reason},
    )
    return purchase_order


def merchant_orders_expire(*, now: datetime | None = None) -> int:
    """Cancel every merchant order still not accepted after ``ORDERS_ACCEPT_WITHIN_DAYS`` and
    release its stock; each in its own transaction. Returns how many were cancelled."""
    now = now or timezone.now()
    with scopes_disabled():
        overdue = list(
            MerchantOrder.objects.filter(
                status=MerchantOrderStatus.PENDING, accept_by__lt=now
            ).values_list("pk", flat=True)
        )
    count = 0
    for merchant_order_id in overdue:
        with transaction.atomic(), scopes_disabled():
            merchant_order = MerchantOrder.objects.filter(pk=merchant_order_id).first()
            if merchant_order is None:
                continue
            purchase_order, merchant_order = _locked(merchant_order)
            if (
                merchant_order.status != MerchantOrderStatus.PENDING
                or merchant_order.accept_by >= now
            ):
                continue
            _cancel(
                purchase_order,
                merchant_order,
                reason=_("Not accepted within %(days)s days.") % {"days": accept_within_days()},
                acting_user=None,
                action="merchant_order.expired",
            )
            _notify_buyer(merchant_order, "expired")
            _notify_merchant(merchant_order, "expired")
            count += 1
    return count


# --- Merchant settings -------------------------------------------------------------------------


@transaction.atomic
def merchant_order_settings_update(
    *, organization: Organization, minimum_order_value_usd: Decimal, acting_user: User
) -> MerchantOrderSettings:
    """Set the merchant's minimum order value (owners and admins)."""
    membership = _membership(organization, acting_user)
    if (
        organization.kind != Organization.Kind.MERCHANT
        or membership is None
        or not membership.has_role(Role.ADMIN)
    ):
        raise OrderPermissionDenied(
            _("Only an owner or admin of %(org)s can change its order terms.")
            % {"org": organization.name}
        )
    order_settings, _created = MerchantOrderSettings.objects.select_for_update().get_or_create(
        organization=organization
    )
    before = order_settings.minimum_order_value_usd
    order_settings.minimum_order_value_usd = minimum_order_value_usd
    order_settings.full_clean(validate_unique=False)
    order_settings.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="order_settings.changed",
        target=order_settings,
        changes={"minimum_order_value_usd": [str(before), str(minimum_order_value_usd)]},
    )
    return order_settings
