"""The fan-out: a placed purchase order split into one merchant order per merchant, each
merchant told; and the beat that re-drives fan-outs whose task was lost."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from celery import Task, shared_task
from django.db import OperationalError, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Organization
from network.selectors import organization_staff
from network.services import audit, notification_send, webhook_emit
from network.tenancy import row_scope
from orders import payment_hooks
from orders.models import (
    MerchantOrder,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from orders.services.common import _link, accept_within_days
from orders.services.status import _refresh_status, merchant_order_payload


@transaction.atomic
def purchase_order_fan_out(*, purchase_order_id: int) -> list[MerchantOrder]:
    """Split the purchase order into one merchant order per merchant and tell each merchant
    (mail and webhook). Returns the merchant orders it created: none on a second run. Runs in
    the scope of the purchase order's buyer, whose rows these all are."""
    with row_scope(PurchaseOrder, purchase_order_id) as buyer:
        purchase_order = (
            PurchaseOrder.objects.visible_to(buyer)
            .select_for_update(of=("self",))
            .select_related("organization")
            .filter(pk=purchase_order_id)
            .first()
        )
        if purchase_order is None or purchase_order.status == PurchaseOrderStatus.CANCELLED:
            return []
        buyer = purchase_order.organization
        lines_of_order = PurchaseOrderLine.objects.visible_to(buyer)
        waiting = list(
            lines_of_order.filter(
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
            for mo in MerchantOrder.objects.visible_to(buyer).filter(purchase_order=purchase_order)
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
                    buyer=buyer,
                    number=f"{purchase_order.number}-{sequence:02d}",
                    accept_by=now + timedelta(days=accept_within_days()),
                    created_at=now,
                )
                merchant_order.full_clean(validate_unique=False, validate_constraints=False)
                merchant_order.save()
                created.append(merchant_order)
            lines_of_order.filter(pk__in=[line.pk for line in lines]).update(
                merchant_order=merchant_order
            )
            merchant_order.subtotal_usd = sum(
                (
                    line.line_total_usd
                    for line in lines_of_order.filter(merchant_order=merchant_order)
                ),
                Decimal("0.00"),
            )
            merchant_order.save(update_fields=["subtotal_usd"])
        PurchaseOrder.objects.visible_to(buyer).filter(pk=purchase_order.pk).update(
            fanned_out_at=now
        )
        _refresh_status(purchase_order)
        for merchant_order in created:
            payment_hooks.merchant_order_event(merchant_order=merchant_order, event="created")
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
    # Periodic sweep of every buyer's orders, ids only: each fan-out runs in its buyer's scope.
    with scopes_disabled():
        return list(
            PurchaseOrder.objects.filter(
                fanned_out_at__isnull=True, placed_at__lte=timezone.now() - older_than
            )
            .exclude(status=PurchaseOrderStatus.CANCELLED)
            .order_by("placed_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )


@shared_task(
    name="orders.tasks.purchase_order_fan_out",
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def purchase_order_fan_out_task(self: Task, purchase_order_id: int) -> int:
    """Split a placed purchase order into merchant orders and notify each merchant; a second
    run finds every line assigned and does nothing. Returns how many merchant orders it made."""
    return len(purchase_order_fan_out(purchase_order_id=purchase_order_id))


@shared_task(name="orders.tasks.redrive_purchase_order_fan_outs", acks_late=True)
def redrive_purchase_order_fan_outs(older_than_seconds: int = 120) -> int:
    """Beat: enqueue the fan-out again for purchase orders still not fanned out (a lost task);
    the fan-out is idempotent, so a late original run and the re-drive make it once."""
    ids = purchase_orders_awaiting_fan_out_ids(older_than=timedelta(seconds=older_than_seconds))
    for purchase_order_id in ids:
        purchase_order_fan_out_task.delay(purchase_order_id)
    return len(ids)
