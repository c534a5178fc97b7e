"""Celery tasks of wholesale ordering (queue "orders"), each defined beside the logic it runs and
named here, where Celery's autodiscovery looks for them. Each takes ids and is safe to run
twice."""

from orders.dashboard import daily_sales_refresh_task as daily_sales_refresh
from orders.services.cancellation import expire_unaccepted_merchant_orders
from orders.services.fan_out import purchase_order_fan_out_task as purchase_order_fan_out
from orders.services.fan_out import redrive_purchase_order_fan_outs

__all__ = [
    "daily_sales_refresh",
    "expire_unaccepted_merchant_orders",
    "purchase_order_fan_out",
    "redrive_purchase_order_fan_outs",
]
