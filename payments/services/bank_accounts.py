"""Where a merchant's payouts go: its US bank account.

The routing number must be a valid ABA number (python-stdnum checks its check digit); the
account number (4–17 digits) is stored encrypted with a key derived from ``SECRET_KEY`` and is
shown by its last four digits only. A new or changed account waits (``pending``) until the
person who entered it proves their TOTP second factor, or an owner of the merchant follows the
signed link mailed to the owners; confirming it replaces the account in use. Only owners and
admins register accounts."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from allauth.mfa.models import Authenticator  # type: ignore[import-untyped]
from allauth.mfa.totp.internal.auth import TOTP  # type: ignore[import-untyped]
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.us import rtn

from network.models import Membership, Organization, Role, User
from network.permissions import require_member
from network.services import audit, notification_send
from network.transitions import transition, transition_apply
from payments.errors import (
    BankAccountConfirmationInvalid,
    BankAccountInvalid,
    IllegalPaymentTransition,
    PaymentPermissionDenied,
)
from payments.ledger import network_books
from payments.models import MerchantBankAccount

Status = MerchantBankAccount.Status

BANK_ACCOUNT_TRANSITIONS = {
    "confirm": transition(gettext_lazy("confirm"), [Status.PENDING], Status.ACTIVE),
    "replace": transition(
        gettext_lazy("replace"), [Status.PENDING, Status.ACTIVE], Status.REPLACED
    ),
}

# How long the mailed confirmation link works.
LINK_MAX_AGE = 3 * 24 * 3600
LINK_SALT = "payments.bank-account-confirm"
ACCOUNT_NUMBER = re.compile(r"^\d{4,17}$")


# --- The account number, encrypted -------------------------------------------------------------


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"payments.bank-account-number:" + str(settings.SECRET_KEY).encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def account_number_encrypt(number: str) -> str:
    return _fernet().encrypt(number.encode()).decode()


def account_number_decrypt(token: str) -> str:
    """The full account number (for the payout file only; pages show ``account_last4``)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:  # SECRET_KEY changed since the account was saved
        raise BankAccountInvalid(
            _("The saved account number can no longer be read; enter the account again.")
        ) from error


def account_number_masked(account: MerchantBankAccount) -> str:
    return f"••••{account.account_last4}"


def _digits(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


# --- Registering and confirming ----------------------------------------------------------------


def _owners(organization: Organization) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organization=organization, role=Role.OWNER, user__is_active=True
        ).select_related("user")
    ]


def confirmation_link(account: MerchantBankAccount) -> str:
    token = signing.dumps(
        {"account": account.pk, "nonce": account.confirmation_token}, salt=LINK_SALT
    )
    return settings.SITE_URL + reverse("payments:bank_account_confirm_link", args=[token])


def _mail_owners(account: MerchantBankAccount, *, event: str, person: User, link: str) -> None:
    """Mail the owners the account's details (masked): ``confirm`` it, or it has ``changed``."""
    organization = account.organization
    for owner in _owners(organization):
        notification_send(
            email=owner.email,
            recipient=owner,
            organization=organization,
            kind=f"payments.bank_account_{event}",
            template=f"payments/email/payout_bank_account_{event}",
            context={
                "merchant": organization.name,
                "person": person.full_name or person.email,
                "holder_name": account.holder_name,
                "routing_number": account.routing_number,
                "account": account_number_masked(account),
            },
            link=link,
        )


def _require_admin(organization: Organization, user: User) -> None:
    require_member(
        organization=organization,
        user=user,
        role=Role.ADMIN,
        kinds=(Organization.Kind.MERCHANT,),
        error=PaymentPermissionDenied,
        message=_("Only owners and admins of a merchant can change where payouts go."),
    )


@transaction.atomic
def bank_account_register(
    *,
    organization: Organization,
    holder_name: str,
    bank_name: str,
    routing_number: str,
    account_number: str,
    account_type: str,
    acting_user: User,
) -> MerchantBankAccount:
    """Save a new payout account, pending until confirmed (earlier pending ones are dropped).
    Mails the owners a confirmation link. Raises ``BankAccountInvalid`` for a routing number
    that is not ABA-valid or an account number that is not 4–17 digits."""
    _require_admin(organization, acting_user)
    routing_number = _digits(routing_number)
    account_number = _digits(account_number)
    if not rtn.is_valid(routing_number):
        raise BankAccountInvalid(
            _("This is not a valid US routing number (ABA): check its nine digits."),
            field="routing_number",
        )
    if not ACCOUNT_NUMBER.match(account_number):
        raise BankAccountInvalid(_("An account number has 4 to 17 digits."), field="account_number")
    if account_type not in MerchantBankAccount.AccountType.values:
        raise BankAccountInvalid(_("Choose checking or savings."), field="account_type")
    holder_name = holder_name.strip()
    if not holder_name:
        raise BankAccountInvalid(_("Enter the account holder's name."), field="holder_name")

    _replace_all(organization, Status.PENDING, acting_user=acting_user)
    account = MerchantBankAccount(
        organization=organization,
        holder_name=holder_name[:140],
        bank_name=bank_name.strip()[:140],
        routing_number=routing_number,
        account_number=account_number_encrypt(account_number),
        account_last4=account_number[-4:],
        account_type=account_type,
        confirmation_token=secrets.token_urlsafe(32),
        created_by=acting_user,
    )
    account.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="payments.bank_account.registered",
        target=account,
        changes={"routing_number": routing_number, "account_last4": account.account_last4},
    )
    _mail_owners(
        account,
        event="confirm",
        person=acting_user,
        link=confirmation_link(account),
    )
    return account


def _replace_all(organization: Organization, status: str, *, acting_user: User) -> None:
    """Retire the organisation's accounts in ``status``: the active one when a new one is
    confirmed, a pending one (and its link) when another is entered."""
    for account in (
        MerchantBankAccount.objects.visible_to(organization)
        .select_for_update()
        .filter(organization=organization, status=status)
    ):
        transition_apply(
            BANK_ACCOUNT_TRANSITIONS,
            "replace",
            account,
            acting_user=acting_user,
            organization=organization,
            audit_action=f"payments.bank_account.replaced_{status}",
            changes={"confirmation_token": ""},
            error=IllegalPaymentTransition,
        )


def _activate(account: MerchantBankAccount, *, acting_user: User, how: str) -> MerchantBankAccount:
    organization = account.organization
    _replace_all(organization, Status.ACTIVE, acting_user=acting_user)
    transition_apply(
        BANK_ACCOUNT_TRANSITIONS,
        "confirm",
        account,
        acting_user=acting_user,
        organization=organization,
        audit_action="payments.bank_account.confirmed",
        changes={"confirmed_at": timezone.now(), "confirmation_token": ""},
        audit_changes={"confirmed_by": how},
        error=IllegalPaymentTransition,
    )
    # Every owner learns where the money goes now, whoever confirmed it.
    _mail_owners(
        account,
        event="changed",
        person=acting_user,
        link=settings.SITE_URL + reverse("payments:merchant_overview"),
    )
    return account


def _pending_locked(organization: Organization, pk: int) -> MerchantBankAccount:
    account = (
        MerchantBankAccount.objects.visible_to(organization)
        .select_for_update()
        .select_related("organization")
        .filter(organization=organization, pk=pk)
        .first()
    )
    if account is None or account.status != Status.PENDING:
        raise BankAccountConfirmationInvalid(
            _("This account is not waiting for confirmation any more.")
        )
    return account


@transaction.atomic
def bank_account_confirm_totp(
    *, organization: Organization, pk: int, code: str, acting_user: User
) -> MerchantBankAccount:
    """Confirm a pending account with the acting owner's or admin's current TOTP code; it
    becomes the account payouts go to. Raises ``BankAccountConfirmationInvalid`` for a wrong
    code or an account no longer pending."""
    _require_admin(organization, acting_user)
    account = _pending_locked(organization, pk)
    authenticator = Authenticator.objects.filter(
        user=acting_user, type=Authenticator.Type.TOTP
    ).first()
    if authenticator is None:
        raise BankAccountConfirmationInvalid(
            _("You have no authenticator app set up: use the link mailed to the owners.")
        )
    if not TOTP(authenticator).validate_code(_digits(code)):
        raise BankAccountConfirmationInvalid(
            _("That code is not right. Enter the current code from your authenticator app."),
            field="code",
        )
    return _activate(account, acting_user=acting_user, how="totp")


@transaction.atomic
def bank_account_confirm_link(*, token: str, acting_user: User) -> MerchantBankAccount:
    """Confirm a pending account by the link mailed to the owners; the signed-in person must be
    an owner of the merchant. Raises ``BankAccountConfirmationInvalid`` for a forged, expired,
    used or superseded link."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature as error:
        raise BankAccountConfirmationInvalid(
            _("This confirmation link is not valid or has expired.")
        ) from error
    membership_orgs = Membership.objects.filter(user=acting_user, role=Role.OWNER).values(
        "organization"
    )
    account = None
    if acting_user.is_authenticated:
        # The link names the account, not the organisation: look among the person's own.
        with network_books():
            account = (
                MerchantBankAccount.objects.filter(
                    pk=data["account"], organization__in=membership_orgs
                )
                .select_related("organization")
                .first()
            )
    if account is None:
        raise PaymentPermissionDenied(
            _("Only an owner of the merchant can confirm its payout account.")
        )
    account = _pending_locked(account.organization, account.pk)
    if not secrets.compare_digest(account.confirmation_token, str(data.get("nonce", ""))):
        raise BankAccountConfirmationInvalid(
            _("This confirmation link is not valid or has expired.")
        )
    return _activate(account, acting_user=acting_user, how="link")
