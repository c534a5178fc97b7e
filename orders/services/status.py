"""A merchant order's status: the transition table, the locks every transition takes (the
purchase order, then the merchant order), the purchase order's status derived from its merchant
orders', and what the buyer and the merchant are told."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.models import Membership, Role, User
from network.selectors import organization_staff
from network.services import notification_send
from network.shipments import tracking_urls
from network.transitions import Transition, transition, transition_check
from orders.errors import (
    IllegalOrderTransition,
)
from orders.models import (
    CANCELLABLE,
    MerchantOrder,
    MerchantOrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from orders.services.common import _link


def merchant_order_payload(merchant_order: MerchantOrder) -> dict[str, Any]:
    lines = list(
        PurchaseOrderLine.objects.visible_to(merchant_order.organization)
        .filter(merchant_order=merchant_order)
        .order_by("pk")
    )
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
                "is_sample": line.is_sample,
                "price_source": line.price_source,
                "price_reference": line.price_reference,
            }
            for line in lines
        ],
    }


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
    """Derive the purchase order's status from all its merchant orders (as its buyer sees
    them: every merchant's) and store it."""
    buyer = purchase_order.organization
    statuses = (
        MerchantOrder.objects.visible_to(buyer)
        .filter(purchase_order=purchase_order)
        .values_list("status", flat=True)
    )
    status = derive_status(statuses)
    if status != purchase_order.status:
        purchase_order.status = status
        changes: dict[str, Any] = {"status": status}
        if status == PurchaseOrderStatus.CANCELLED and purchase_order.cancelled_at is None:
            purchase_order.cancelled_at = changes["cancelled_at"] = timezone.now()
        PurchaseOrder.objects.visible_to(buyer).filter(pk=purchase_order.pk).update(**changes)
    return status


def _locked(merchant_order: MerchantOrder) -> tuple[PurchaseOrder, MerchantOrder]:
    """Lock the purchase order, then the merchant order (the app's lock order). Both are read
    as the buyer sees them: the merchant order names its buyer, whose purchase order it is."""
    buyer = merchant_order.buyer
    purchase_order = (
        PurchaseOrder.objects.visible_to(buyer)
        .select_for_update(of=("self",))
        .select_related("organization", "placed_by")
        .get(pk=merchant_order.purchase_order_id)
    )
    locked = (
        MerchantOrder.objects.visible_to(buyer)
        .select_for_update(of=("self",))
        .select_related("organization", "buyer")
        .get(pk=merchant_order.pk)
    )
    locked.purchase_order = purchase_order
    return purchase_order, locked


def _lines(merchant_order: MerchantOrder, **filters: Any) -> list[PurchaseOrderLine]:
    """The merchant order's lines, as its merchant sees them."""
    return list(
        PurchaseOrderLine.objects.visible_to(merchant_order.organization)
        .filter(merchant_order=merchant_order, **filters)
        .order_by("pk")
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
    "receive": transition(gettext_lazy("confirm receipt"), {MO.SHIPPED, MO.DELIVERED}, MO.CLOSED),
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
        "receive": _(
            "Only a merchant order that has shipped can be confirmed as received; this one is "
            "%(status)s."
        ),
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
    merchant_order.save(update_fields=["status", *fields])
