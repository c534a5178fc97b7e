"""Demo data of trade assurance. ``prepare`` runs before the orders' demo: the operators have
granted the demo buyers net terms up to a credit limit (the orders' demo places net-30 orders)."""

from __future__ import annotations

from decimal import Decimal

from network.models import Organization
from payments.models import BuyerCredit

DEMO_CREDIT_LIMIT = Decimal("250000.00")


def prepare() -> None:
    for buyer in Organization.objects.filter(kind=Organization.Kind.BUYER):
        BuyerCredit.objects.get_or_create(
            organization=buyer, defaults={"limit_usd": DEMO_CREDIT_LIMIT}
        )


def seed() -> dict[str, int]:
    return {}
