"""The claims of a merchant order, for the payment panel of the order pages."""

from __future__ import annotations

from typing import Any

from django import template

from network.models import Organization, Role
from network.permissions import membership_allows
from orders.models import MerchantOrder
from payments.selectors_claims import order_claims_info

register = template.Library()


@register.simple_tag
def order_claims(merchant_order: MerchantOrder, request: Any) -> dict[str, Any]:
    """{"claims": the order's claims the viewer may see, "can_open": whether the viewer may
    open a claim on it now (its buyer's people, goods sent, money held, none open)}."""
    organization = getattr(request, "organization", None)
    if organization is None or merchant_order is None:
        return {"claims": [], "can_open": False}
    # The panel shows every merchant order of the purchase order: their claims are read once,
    # for all of them, on the first call of the request.
    cache = getattr(request, "_order_claims", {})
    if merchant_order.pk not in cache:
        siblings = list(
            MerchantOrder.objects.visible_to(organization)
            .filter(purchase_order_id=merchant_order.purchase_order_id)
            .select_related("buyer")
        ) or [merchant_order]
        cache = order_claims_info(organization=organization, merchant_orders=siblings)
        request._order_claims = cache
    info = cache.get(merchant_order.pk, {"claims": [], "may_open": False})
    can_open = (
        organization.pk == merchant_order.buyer_id
        and membership_allows(
            getattr(request, "membership", None), role=Role.BUYER, kinds=[Organization.Kind.BUYER]
        )
        and info["may_open"]
    )
    return {"claims": info["claims"], "can_open": can_open}
