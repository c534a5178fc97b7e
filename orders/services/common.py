"""What the use cases of ordering share: who may act for a buyer or a merchant, the deadline
for accepting, giving reserved stock back, and links in mail."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.stock import stock_release
from network.models import Membership, Organization, Role, User
from network.permissions import require_member
from orders.errors import OrderPermissionDenied
from orders.models import (
    PurchaseOrderLine,
)

BUYERS = (Organization.Kind.BUYER,)
MERCHANTS = (Organization.Kind.MERCHANT,)


def accept_within_days() -> int:
    return settings.ORDERS_ACCEPT_WITHIN_DAYS


def buyer_refusal(organization: Organization) -> str:
    """What someone who may not order for ``organization`` is told."""
    if organization.kind != Organization.Kind.BUYER:
        return _("Only buyer organisations place orders.")
    return _("Only buyers, admins and owners of %(org)s can order.") % {"org": organization.name}


def merchant_staff_refusal(organization: Organization) -> str:
    """What someone who may not handle ``organization``'s orders is told."""
    return _("Only staff, admins and owners of %(org)s can handle its orders.") % {
        "org": organization.name
    }


def buyer_required(
    *, organization: Organization, user: User, membership: Membership | None = None
) -> None:
    """Refuse (OrderPermissionDenied) anyone who may not order for ``organization``;
    ``membership``: the person's, as the request already read it."""
    require_member(
        organization=organization,
        user=user,
        role=Role.BUYER,
        kinds=BUYERS,
        error=OrderPermissionDenied,
        message=buyer_refusal(organization),
        known=membership,
    )


def merchant_staff_required(*, organization: Organization, user: User) -> None:
    """Refuse (OrderPermissionDenied) anyone who may not handle ``organization``'s orders."""
    require_member(
        organization=organization,
        user=user,
        role=Role.STAFF,
        kinds=MERCHANTS,
        error=OrderPermissionDenied,
        message=merchant_staff_refusal(organization),
    )


def _release_lines(
    lines: Sequence[PurchaseOrderLine],
    *,
    buyer: Organization,
    status: str,
    note: str,
    acting_user: User | None,
) -> None:
    """Give back the stock the lines (of ``buyer``'s purchase order) hold and mark them
    ``status``."""
    quantities: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.sku_id and line.reserved_quantity:
            quantities[line.sku_id] += line.reserved_quantity
    stock_release(quantities, note=note, acting_user=acting_user)
    PurchaseOrderLine.objects.visible_to(buyer).filter(pk__in=[line.pk for line in lines]).update(
        status=status, reserved_quantity=0
    )
    for line in lines:
        line.status, line.reserved_quantity = status, 0


def _link(name: str, number: str) -> str:
    return settings.SITE_URL + reverse(name, args=[number])
