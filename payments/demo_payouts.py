"""Demo data of payouts: every demo merchant has a confirmed US payout account (entered and
confirmed by its owner through the same services a person uses), so released funds can be paid
out by the weekly run. Called from ``payments.demo.seed``."""

from __future__ import annotations

from django.db import transaction

from network.models import Membership, Organization, Role
from payments.ledger import network_books
from payments.models import MerchantBankAccount
from payments.services import bank_accounts

# Valid ABA routing numbers of real US banks (the demo's account numbers are made up).
ROUTING_NUMBERS = ["072000096", "021000021", "026009593", "121000248", "011000138"]


def seed_payout_accounts() -> dict[str, int]:
    """Give each merchant without a payout account a confirmed one; returns how many."""
    made = 0
    with network_books():
        merchants = Organization.objects.filter(kind=Organization.Kind.MERCHANT).order_by("pk")
        for n, merchant in enumerate(merchants):
            if MerchantBankAccount.objects.filter(organization=merchant).exists():
                continue
            owner = (
                Membership.objects.filter(organization=merchant, role=Role.OWNER)
                .select_related("user")
                .order_by("pk")
                .first()
            )
            if owner is None:
                continue
            with transaction.atomic():
                account = bank_accounts.bank_account_register(
                    organization=merchant,
                    holder_name=merchant.name,
                    bank_name="",
                    routing_number=ROUTING_NUMBERS[n % len(ROUTING_NUMBERS)],
                    account_number=f"{4400000000 + merchant.pk * 7919}",
                    account_type=MerchantBankAccount.AccountType.CHECKING,
                    acting_user=owner.user,
                )
                token = bank_accounts.confirmation_link(account).rstrip("/").rsplit("/", 1)[1]
                bank_accounts.bank_account_confirm_link(token=token, acting_user=owner.user)
            made += 1
    return {"payout accounts": made}
