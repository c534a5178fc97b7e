"""The claims of a merchant order, for the payment panel of the order pages."""

from __future__ import annotations

from typing import Any

from django import template

from network.models import Organization, Role
from network.permissions import membership_allows
from orders.models import MerchantOrder
from payments.selectors_claims import claims_of_order
from payments.services.claims import may_open_claim

register = template.Library()


@register.simple_tag
def order_claims(merchant_order: MerchantOrder, request: Any) -> dict[str, Any]:
    """{"claims": the order's claims the viewer may see, "can_open": whether the viewer may
    open a claim on it now (its buyer's people, goods sent, money held, none open)}."""
    organization = getattr(request, "organization", None)
    if organization is None or merchant_order is None:
        return {"claims": [], "can_open": False}
    claims = claims_of_order(organization=organization, merchant_order=merchant_order)
    can_open = (
        organization.pk == merchant_order.buyer_id
        and membership_allows(
            getattr(request, "membership", None), role=Role.BUYER, kinds=[Organization.Kind.BUYER]
        )
        and may_open_claim(merchant_order)
    )
    return {"claims": claims, "can_open": can_open}
