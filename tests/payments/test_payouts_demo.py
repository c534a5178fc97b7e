"""The demo's merchants can be paid out: each has a confirmed payout account."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from payments.demo_payouts import seed_payout_accounts
from payments.models import MerchantBankAccount
from tests.orders.factories import merchant

pytestmark = pytest.mark.django_db


def test_every_merchant_gets_one_confirmed_account_once():
    maple, _owner = merchant()
    vermont, _owner = merchant("Vermont Syrup Co.")
    assert seed_payout_accounts() == {"payout accounts": 2}
    assert seed_payout_accounts() == {"payout accounts": 0}
    with scopes_disabled():
        active = MerchantBankAccount.objects.filter(status=MerchantBankAccount.Status.ACTIVE)
        assert sorted(a.organization_id for a in active) == sorted([maple.pk, vermont.pk])
