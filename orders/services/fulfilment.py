"""The merchant works its order: accept (all lines or some), reject, pack, ship (with one of
its bookings), and the goods' delivery to consolidation and the buyer's receipt."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.stock import stock_ship
from merchants.errors import MerchantNotApproved
from merchants.selectors import merchant_can_trade
from network.models import User
from network.selectors import user_is_operator
from network.services import audit, webhook_emit
from network.shipments import ShipmentBooking, shipment_booking
from orders import payment_hooks
from orders.errors import (
    IllegalOrderTransition,
    UnknownBooking,
)
from orders.models import (
    LineStatus,
    MerchantOrder,
    MerchantOrderStatus,
    PurchaseOrderLine,
)
from orders.services.common import (
    _release_lines,
    buyer_required,
    merchant_staff_required,
)
from orders.services.status import (
    _lines,
    _locked,
    _notify_buyer,
    _notify_merchant,
    _refresh_status,
    _refuse,
    _save,
    merchant_order_payload,
)


@transaction.atomic
def merchant_order_accept(
    *, merchant_order: MerchantOrder, acting_user: User, line_ids: Sequence[int] | None = None
) -> MerchantOrder:
    """Accept a pending merchant order: every line, or only ``line_ids`` (the others are
    rejected and their stock released). Refused for a merchant not in good standing."""
    merchant_staff_required(organization=merchant_order.organization, user=acting_user)
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
            buyer=merchant_order.buyer,
            status=LineStatus.REJECTED,
            note=merchant_order.number,
            acting_user=acting_user,
        )
    PurchaseOrderLine.objects.visible_to(merchant_order.organization).filter(
        pk__in=[line.pk for line in accepted]
    ).update(status=LineStatus.ACCEPTED)
    merchant_order.status = target
    merchant_order.accepted_at = timezone.now()
    merchant_order.subtotal_usd = sum((line.line_total_usd for line in accepted), Decimal("0.00"))
    _save(merchant_order, "accepted_at", "subtotal_usd")
    _refresh_status(purchase_order)
    payment_hooks.merchant_order_event(
        merchant_order=merchant_order, event="accepted", acting_user=acting_user
    )
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
    merchant_staff_required(organization=merchant_order.organization, user=acting_user)
    reason = (reason or "").strip()
    if not reason:
        raise IllegalOrderTransition(_("Tell the buyer why you reject the order."))
    purchase_order, merchant_order = _locked(merchant_order)
    target = _refuse(merchant_order, "reject")
    _release_lines(
        _lines(merchant_order),
        buyer=merchant_order.buyer,
        status=LineStatus.REJECTED,
        note=merchant_order.number,
        acting_user=acting_user,
    )
    merchant_order.status = target
    merchant_order.status_reason = reason[:500]
    merchant_order.ended_at = timezone.now()
    _save(merchant_order, "status_reason", "ended_at")
    _refresh_status(purchase_order)
    payment_hooks.merchant_order_event(
        merchant_order=merchant_order, event="ended", acting_user=acting_user
    )
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
    merchant_staff_required(organization=merchant_order.organization, user=acting_user)
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
    carrier_booking: ShipmentBooking | None = None,
    acting_user: User,
) -> MerchantOrder:
    """Ship a packed merchant order: the reserved units leave the stock on hand, the carrier
    and references are recorded, and the buyer is told. A booking reference must be one of the
    merchant's own bookings that carries goods (``UnknownBooking`` otherwise); its carrier is
    the shipment's carrier. ``carrier_booking`` is the booking a shipment of the merchant's
    travels on (a shared container's included), as shipping vouches for it."""
    merchant_staff_required(organization=merchant_order.organization, user=acting_user)
    carrier_name = (carrier_name or "").strip()
    booking_reference = (booking_reference or "").strip()
    if carrier_booking is not None:
        if not carrier_booking.carries_goods:
            raise UnknownBooking(
                _("Booking %(reference)s is %(status)s: it carries no goods.")
                % {
                    "reference": carrier_booking.reference,
                    "status": carrier_booking.status_label.lower(),
                }
            )
        booking_reference = carrier_booking.reference
        carrier_name = carrier_name or carrier_booking.carrier_name
    elif booking_reference:
        booking = _shipment_booking(merchant_order, booking_reference, carrier_name)
        booking_reference, carrier_name = booking.reference, carrier_name or booking.carrier_name
    if not carrier_name:
        raise IllegalOrderTransition(_("Name the carrier that takes the goods."))
    purchase_order, merchant_order = _locked(merchant_order)
    target = _refuse(merchant_order, "ship")
    payment_hooks.check_shipment(merchant_order=merchant_order)
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
    PurchaseOrderLine.objects.visible_to(merchant_order.organization).filter(
        pk__in=[line.pk for line in lines]
    ).update(status=LineStatus.SHIPPED, reserved_quantity=0)
    merchant_order.status = target
    merchant_order.carrier_name = carrier_name[:100]
    merchant_order.tracking_number = (tracking_number or "").strip()[:60]
    merchant_order.booking_reference = (booking_reference or "").strip()[:60]
    merchant_order.shipped_at = timezone.now()
    _save(merchant_order, "carrier_name", "tracking_number", "booking_reference", "shipped_at")
    _refresh_status(purchase_order)
    payment_hooks.merchant_order_event(
        merchant_order=merchant_order, event="shipped", acting_user=acting_user
    )
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
        merchant_staff_required(organization=merchant_order.organization, user=acting_user)
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
        buyer_required(organization=merchant_order.buyer, user=acting_user)
    merchant_order = _advance(
        merchant_order,
        stamp="closed_at",
        verb="close",
        action="merchant_order.closed",
        acting_user=acting_user,
    )
    payment_hooks.merchant_order_event(
        merchant_order=merchant_order, event="received", acting_user=acting_user
    )
    _notify_merchant(merchant_order, "closed")
    return merchant_order
