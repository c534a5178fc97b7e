"""The payment panel of the order pages: what the buyer owes and has paid (with the reference,
the collection account and the notice), what the merchant may ship and holds in escrow, all
of it for operators. The claims of each merchant order come with it."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from network.models import Organization
from orders.models import MerchantOrder, PurchaseOrder
from payments import selectors_bank as selectors
from payments.selectors_claims import order_claims_info


def order_payment_panel(
    *,
    request: HttpRequest,
    purchase_order: PurchaseOrder | None = None,
    merchant_order: MerchantOrder | None = None,
) -> str:
    membership = getattr(request, "membership", None)
    if membership is None:
        return ""
    organization = membership.organization
    order = purchase_order or (merchant_order.purchase_order if merchant_order else None)
    if order is None:
        return ""
    # The order page has already checked who may see the order; what is read here is what
    # the viewer's organisation may see of it (``visible_to``).
    payment = selectors.order_payment(order, organization=organization)
    lines = payment.lines
    if merchant_order is not None:
        lines = [line for line in lines if line.merchant_order.pk == merchant_order.pk]
    if not lines:
        return ""
    # The claims of these merchant orders (``claims_tags.order_claims``), from the plans and
    # escrow balances just read rather than reading them again.
    for line in payment.lines:
        line.merchant_order.buyer = order.organization  # their buyer, read once
    request._order_claims = order_claims_info(  # type: ignore[attr-defined]
        organization=organization,
        merchant_orders=[line.merchant_order for line in payment.lines],
        held={line.merchant_order.pk: line.held for line in payment.lines},
    )
    viewer = organization.kind
    html = render_to_string(
        "payments/bank/_panel.html",
        {
            "payment": payment,
            "lines": lines,
            "viewer": viewer,
            "is_buyer": viewer == Organization.Kind.BUYER,
            "is_merchant": viewer == Organization.Kind.MERCHANT,
            "is_operator": viewer == Organization.Kind.OPERATOR,
            "credit": selectors.buyer_credit(order.organization)
            if viewer != Organization.Kind.MERCHANT
            else None,
            "account": selectors.collection_account(),
        },
        request=request,
    )
    return html
