"""Every write of wholesale ordering, one module per use case: the cart, placing a purchase order
with its stock reserved, the fan-out into merchant orders, the merchant's work on each, the
cancellations, and the merchant's order terms. The names other code uses are re-exported here.

Locks are taken in one order everywhere, so two transactions never wait on each other in a
circle: the purchase order row, then its merchant order rows, then ``Inventory`` rows by
primary key (the SKU id). Stock moves only through ``catalog.stock``."""

from orders.selectors import list_unit_price, minimum_order_values, quote
from orders.services.cancellation import (
    expire_unaccepted_merchant_orders,
    merchant_order_cancel,
    merchant_orders_expire,
    purchase_order_cancel,
)
from orders.services.cart import (
    LineOutcome,
    cart_add,
    cart_add_many,
    cart_add_quoted,
    cart_add_sample,
    cart_for,
    cart_line_drop_quotation,
    cart_line_remove,
    cart_line_update,
)
from orders.services.common import accept_within_days
from orders.services.fan_out import (
    purchase_order_fan_out,
    purchase_order_fan_out_task,
    purchase_orders_awaiting_fan_out_ids,
    redrive_purchase_order_fan_outs,
)
from orders.services.fulfilment import (
    merchant_order_accept,
    merchant_order_close,
    merchant_order_mark_delivered,
    merchant_order_pack,
    merchant_order_reject,
    merchant_order_ship,
)
from orders.services.placement import (
    Checkout,
    OrderItem,
    purchase_order_payload,
    purchase_order_place,
    purchase_order_place_from_cart,
)
from orders.services.receipt import (
    goods_arrived,
    merchant_order_confirm_receipt,
    receipt_problem_report,
)
from orders.services.status import TRANSITIONS, derive_status, merchant_order_payload
from orders.services.terms import merchant_order_settings_update

__all__ = [
    "TRANSITIONS",
    "Checkout",
    "LineOutcome",
    "OrderItem",
    "accept_within_days",
    "cart_add",
    "cart_add_many",
    "cart_add_quoted",
    "cart_add_sample",
    "cart_for",
    "cart_line_drop_quotation",
    "cart_line_remove",
    "cart_line_update",
    "derive_status",
    "expire_unaccepted_merchant_orders",
    "goods_arrived",
    "list_unit_price",
    "merchant_order_accept",
    "merchant_order_cancel",
    "merchant_order_close",
    "merchant_order_confirm_receipt",
    "merchant_order_mark_delivered",
    "merchant_order_pack",
    "merchant_order_payload",
    "merchant_order_reject",
    "merchant_order_settings_update",
    "merchant_order_ship",
    "merchant_orders_expire",
    "minimum_order_values",
    "purchase_order_cancel",
    "purchase_order_fan_out",
    "purchase_order_fan_out_task",
    "purchase_order_payload",
    "purchase_order_place",
    "purchase_order_place_from_cart",
    "purchase_orders_awaiting_fan_out_ids",
    "quote",
    "receipt_problem_report",
    "redrive_purchase_order_fan_outs",
]
