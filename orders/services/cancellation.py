"""Cancelling: a merchant order by its merchant, its buyer or an operator, a whole purchase order
by its buyer, and the beat that cancels merchant orders not accepted in time; the stock they held
is released."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from network.models import Membership, User
from network.selectors import user_is_operator
from network.services import audit
from network.tenancy import row_scope
from network.transitions import transition
from orders import payment_hooks
from orders.errors import (
    IllegalOrderTransition,
)
from orders.models import (
    CANCELLABLE,
    LineStatus,
    MerchantOrder,
    MerchantOrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from orders.services.common import (
    _release_lines,
    accept_within_days,
    buyer_required,
    merchant_staff_required,
)
from orders.services.status import (
    TRANSITIONS,
    _lines,
    _locked,
    _notify_buyer,
    _notify_merchant,
    _refresh_status,
    _refuse,
    _save,
)


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
        buyer=merchant_order.buyer,
        status=LineStatus.CANCELLED,
        note=merchant_order.number,
        acting_user=acting_user,
    )
    merchant_order.status = MerchantOrderStatus.CANCELLED
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
        not operator
        and acting_user.is_authenticated
        and Membership.objects.filter(
            organization=merchant_order.organization, user=acting_user
        ).exists()
    )
    if merchant_side:
        merchant_staff_required(organization=merchant_order.organization, user=acting_user)
    elif not operator:
        buyer_required(organization=merchant_order.buyer, user=acting_user)
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
    buyer = purchase_order.organization
    buyer_required(organization=buyer, user=acting_user)
    reason = (reason or "").strip() or _("Withdrawn by the buyer.")
    purchase_order = (
        PurchaseOrder.objects.visible_to(buyer)
        .select_for_update(of=("self",))
        .select_related("organization", "placed_by")
        .get(pk=purchase_order.pk)
    )
    merchant_orders = list(
        MerchantOrder.objects.visible_to(buyer)
        .select_for_update(of=("self",))
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
    loose = list(
        PurchaseOrderLine.objects.visible_to(buyer).filter(
            purchase_order=purchase_order, merchant_order__isnull=True
        )
    )
    if loose:
        _release_lines(
            loose,
            buyer=buyer,
            status=LineStatus.CANCELLED,
            note=purchase_order.number,
            acting_user=acting_user,
        )
    purchase_order.status = PurchaseOrderStatus.CANCELLED
    purchase_order.cancelled_at = timezone.now()
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
    # Periodic sweep of every merchant's orders, ids only: each is cancelled in its own scope.
    with scopes_disabled():
        overdue = list(
            MerchantOrder.objects.filter(
                status=MerchantOrderStatus.PENDING, accept_by__lt=now
            ).values_list("pk", flat=True)
        )
    count = 0
    for merchant_order_id in overdue:
        with transaction.atomic(), row_scope(MerchantOrder, merchant_order_id) as merchant:
            merchant_order = (
                MerchantOrder.objects.visible_to(merchant).filter(pk=merchant_order_id).first()
            )
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


@shared_task(name="orders.tasks.expire_unaccepted_merchant_orders", acks_late=True)
def expire_unaccepted_merchant_orders() -> int:
    """Beat: cancel merchant orders not accepted in time and release their stock."""
    return merchant_orders_expire()
