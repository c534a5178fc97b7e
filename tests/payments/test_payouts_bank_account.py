"""A merchant's payout account: the routing number is checked, the account number kept
encrypted and shown by its last four digits, and a new account used only once confirmed by the
acting person's second factor or by the link mailed to the owners."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.urls import reverse
from django_scopes import scopes_disabled

from network.models import AuditEvent, Notification, Role
from payments.errors import (
    BankAccountConfirmationInvalid,
    BankAccountInvalid,
    PaymentPermissionDenied,
)
from payments.models import MerchantBankAccount
from payments.services import bank_accounts
from tests.factories import TOTP_SECRET, member, sign_in
from tests.orders.factories import merchant
from tests.payments.payouts_factories import (
    ACCOUNT,
    ROUTING,
    confirmed_account,
    link_token,
    register,
)

pytestmark = pytest.mark.django_db

Status = MerchantBankAccount.Status


def _code() -> str:
    from allauth.mfa.totp.internal.auth import yield_hotp_counters_from_time

    return format_hotp_value(hotp_value(TOTP_SECRET, next(iter(yield_hotp_counters_from_time()))))


def _accounts(organization):
    with scopes_disabled():
        return list(MerchantBankAccount.objects.filter(organization=organization).order_by("pk"))


def test_a_routing_number_with_a_wrong_check_digit_is_refused():
    organization, owner = merchant()
    with pytest.raises(BankAccountInvalid) as refused:
        bank_accounts.bank_account_register(
            organization=organization,
            holder_name="Great Lakes Maple Co.",
            bank_name="",
            routing_number="021000022",
            account_number=ACCOUNT,
            account_type="checking",
            acting_user=owner,
        )
    assert refused.value.details["field"] == "routing_number"
    assert _accounts(organization) == []


@pytest.mark.parametrize("number", ["123", "123456789012345678", "12345abc"])
def test_an_account_number_must_have_4_to_17_digits(number):
    organization, owner = merchant()
    with pytest.raises(BankAccountInvalid):
        register(organization, owner, account_number=number)


def test_the_account_number_is_stored_encrypted_and_shown_by_its_last_four(client):
    organization, owner = merchant()
    account = confirmed_account(organization, owner, account_number="0001234567")
    assert "1234567" not in account.account_number
    assert bank_accounts.account_number_decrypt(account.account_number) == "0001234567"
    assert account.account_last4 == "4567"
    sign_in(client, owner)
    page = client.get(reverse("payments:merchant_overview")).content.decode()
    assert "••••4567" in page
    assert "0001234567" not in page
    assert ROUTING in page


def test_a_new_account_waits_until_confirmed_by_the_acting_persons_totp(client):
    organization, owner = merchant()
    admin = member(organization, Role.ADMIN)
    TOTP.activate(admin, TOTP_SECRET)
    sign_in(client, admin)
    response = client.post(
        reverse("payments:bank_account"),
        {
            "holder_name": "Great Lakes Maple Co.",
            "bank_name": "Chase",
            "routing_number": "0210-0002 1",
            "account_number": ACCOUNT,
            "account_number_again": ACCOUNT,
            "account_type": "checking",
        },
    )
    (account,) = _accounts(organization)
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:bank_account_confirm")
    assert account.status == Status.PENDING
    assert account.routing_number == ROUTING
    # The owners are mailed a confirmation link.
    with scopes_disabled():
        mailed = Notification.objects.get(kind="payments.bank_account_confirm")
    assert mailed.email == owner.email
    assert "/payments/bank-account/confirm/" in mailed.body
    assert ACCOUNT not in mailed.body

    url = reverse("payments:bank_account_confirm")
    wrong = client.post(url, {"code": "000000"})
    assert wrong.status_code == 200
    assert "not right" in wrong.content.decode()
    assert _accounts(organization)[0].status == Status.PENDING

    assert client.post(url, {"code": _code()}).status_code == 302
    (account,) = _accounts(organization)
    assert account.status == Status.ACTIVE
    assert account.confirmed_at is not None
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="payments.bank_account.confirmed").exists()
        assert Notification.objects.filter(
            kind="payments.bank_account_changed", email=owner.email
        ).exists()


def test_the_mailed_link_confirms_on_post_for_an_owner_only(client):
    organization, owner = merchant()
    admin = member(organization, Role.ADMIN)
    account = register(organization, admin)
    url = reverse("payments:bank_account_confirm_link", args=[link_token(account)])

    sign_in(client, admin)  # not an owner
    assert client.post(url).status_code == 400
    assert _accounts(organization)[0].status == Status.PENDING

    sign_in(client, owner)
    assert client.get(url).status_code == 200  # a GET (a mail scanner) confirms nothing
    assert _accounts(organization)[0].status == Status.PENDING
    assert client.post(url).status_code == 302
    assert _accounts(organization)[0].status == Status.ACTIVE
    # A link works once.
    with pytest.raises(BankAccountConfirmationInvalid):
        bank_accounts.bank_account_confirm_link(token=link_token(account), acting_user=owner)


def test_a_forged_link_confirms_nothing():
    organization, owner = merchant()
    register(organization, owner)
    with pytest.raises(BankAccountConfirmationInvalid):
        bank_accounts.bank_account_confirm_link(token="forged:token", acting_user=owner)


def test_confirming_a_new_account_replaces_the_one_in_use():
    organization, owner = merchant()
    first = confirmed_account(organization, owner)
    pending = register(organization, owner, account_number="99887766")
    # Until the new one is confirmed, payouts still go to the first.
    assert [a.status for a in _accounts(organization)] == [Status.ACTIVE, Status.PENDING]
    with scopes_disabled():
        bank_accounts.bank_account_confirm_link(token=link_token(pending), acting_user=owner)
    statuses = {a.pk: a.status for a in _accounts(organization)}
    assert statuses == {first.pk: Status.REPLACED, pending.pk: Status.ACTIVE}


def test_a_second_pending_account_supersedes_the_first_link():
    organization, owner = merchant()
    first = register(organization, owner)
    register(organization, owner, account_number="55554444")
    with pytest.raises(BankAccountConfirmationInvalid):
        bank_accounts.bank_account_confirm_link(token=link_token(first), acting_user=owner)


def test_staff_may_not_change_the_payout_account(client):
    organization, _owner = merchant()
    staff = member(organization, Role.STAFF)
    with pytest.raises(PaymentPermissionDenied):
        register(organization, staff)
    sign_in(client, staff)
    assert client.get(reverse("payments:bank_account")).status_code == 403


def test_another_merchants_owner_cannot_confirm_the_account():
    organization, owner = merchant()
    other, other_owner = merchant("Vermont Syrup Co.")
    account = register(organization, owner)
    with pytest.raises(PaymentPermissionDenied):
        bank_accounts.bank_account_confirm_link(token=link_token(account), acting_user=other_owner)
    with pytest.raises(BankAccountConfirmationInvalid):
        bank_accounts.bank_account_confirm_totp(
            organization=other, pk=account.pk, code="123456", acting_user=other_owner
        )
    assert _accounts(organization)[0].status == Status.PENDING


def test_the_form_shows_a_bad_routing_number_beside_its_field(client):
    organization, owner = merchant()
    sign_in(client, owner)
    response = client.post(
        reverse("payments:bank_account"),
        {
            "holder_name": "Great Lakes Maple Co.",
            "routing_number": "123456789",
            "account_number": ACCOUNT,
            "account_number_again": ACCOUNT,
            "account_type": "checking",
        },
    )
    assert response.status_code == 200
    assert "not a valid US routing number" in response.content.decode()
    assert _accounts(organization) == []
