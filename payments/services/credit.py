"""The net-terms credit limit operators grant a buyer."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from network.models import Organization, User
from network.permissions import require_operator
from network.services import audit
from payments.errors import CreditLimitInvalid, PaymentPermissionDenied
from payments.ledger import money
from payments.models import BuyerCredit

MAX_LIMIT = Decimal("100000000.00")


@transaction.atomic
def credit_limit_set(*, buyer: Organization, limit_usd: Decimal, acting_user: User) -> BuyerCredit:
    """Set the buyer's net-terms limit (0 closes net terms). A lower limit refuses new
    net-terms orders; orders already placed stand."""
    require_operator(acting_user, error=PaymentPermissionDenied)
    if buyer.kind != Organization.Kind.BUYER:
        raise CreditLimitInvalid(_("Only buyers are given credit."))
    limit_usd = money(limit_usd)
    if limit_usd < 0 or limit_usd > MAX_LIMIT:
        raise CreditLimitInvalid(
            _("Enter a limit between US$0 and US$%(max)s.") % {"max": f"{MAX_LIMIT:,.0f}"}
        )
    rows = BuyerCredit.objects.visible_to(buyer)
    row, _created = rows.select_for_update().get_or_create(organization=buyer)
    before = row.limit_usd
    row.limit_usd = limit_usd
    row.updated_at = timezone.now()
    row.updated_by = acting_user
    row.save(update_fields=["limit_usd", "updated_at", "updated_by"])
    audit(
        actor=acting_user,
        organization=buyer,
        action="buyer_credit.set",
        target=row,
        changes={"limit_usd": [str(before), str(limit_usd)]},
    )
    return row
