"""Celery tasks of wholesale ordering (queue "orders"). Each takes ids, delegates to
``orders.services`` and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from orders import services


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def purchase_order_fan_out(self, purchase_order_id: int) -> int:
    """Split a placed purchase order into merchant orders and notify each merchant; a second
    run finds every line assigned and does nothing. Returns how many merchant orders it made."""
    return len(services.purchase_order_fan_out(purchase_order_id=purchase_order_id))


@shared_task(acks_late=True)
def redrive_purchase_order_fan_outs(older_than_seconds: int = 120) -> int:
    """Beat: enqueue the fan-out again for purchase orders still not fanned out (a lost task);
    the fan-out is idempotent, so a late original run and the re-drive make it once."""
    from datetime import timedelta

    ids = services.purchase_orders_awaiting_fan_out_ids(
        older_than=timedelta(seconds=older_than_seconds)
    )
    for purchase_order_id in ids:
        purchase_order_fan_out.delay(purchase_order_id)
    return len(ids)


@shared_task(acks_late=True)
def expire_unaccepted_merchant_orders() -> int:
    """Beat: cancel merchant orders not accepted in time and release their stock."""
    return services.merchant_orders_expire()


@shared_task(acks_late=True)
def daily_sales_refresh(days: int = 7) -> int:
    """Beat: rebuild the dashboards' daily sales summary for the last ``days`` days; safe to run
    twice (it replaces those days)."""
    from orders.dashboard import daily_sales_refresh as refresh

    return refresh(days=days)
