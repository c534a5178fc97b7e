"""The payment panel of the order pages (placeholder: see CONTRACT)."""

from __future__ import annotations

from django.http import HttpRequest

from orders.models import MerchantOrder, PurchaseOrder


def order_payment_panel(
    *,
    request: HttpRequest,
    purchase_order: PurchaseOrder | None = None,
    merchant_order: MerchantOrder | None = None,
) -> str:
    return ""
