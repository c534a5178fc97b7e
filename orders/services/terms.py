"""A merchant's terms for incoming orders (its minimum order value)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from network.models import Organization, Role, User
from network.permissions import require_member
from network.services import audit
from orders.errors import (
    OrderPermissionDenied,
)
from orders.models import (
    MerchantOrderSettings,
)
from orders.services.common import MERCHANTS


@transaction.atomic
def merchant_order_settings_update(
    *, organization: Organization, minimum_order_value_usd: Decimal, acting_user: User
) -> MerchantOrderSettings:
    """Set the merchant's minimum order value (owners and admins)."""
    require_member(
        organization=organization,
        user=acting_user,
        role=Role.ADMIN,
        kinds=MERCHANTS,
        error=OrderPermissionDenied,
        message=_("Only an owner or admin of %(org)s can change its order terms.")
        % {"org": organization.name},
    )
    order_settings, _created = (
        MerchantOrderSettings.objects.visible_to(organization)
        .select_for_update()
        .get_or_create(organization=organization)
    )
    before = order_settings.minimum_order_value_usd
    order_settings.minimum_order_value_usd = minimum_order_value_usd
    order_settings.full_clean(validate_unique=False)
    order_settings.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="order_settings.changed",
        target=order_settings,
        changes={"minimum_order_value_usd": [str(before), str(minimum_order_value_usd)]},
    )
    return order_settings
