"""Refusals of the payments services, each with a stable code for the API."""

from __future__ import annotations

from network.errors import DomainError, PermissionDenied
from network.transitions import IllegalTransition


class PaymentPermissionDenied(PermissionDenied):
    """The acting person's organisation or role may not do this."""


class PaymentOutstanding(DomainError):
    """A merchant order may not ship before its pre-shipment amount is paid."""

    code = "payment_outstanding"
    status = 409


class CreditLimitExceeded(DomainError):
    """A net-terms order would take the buyer over the credit limit the operators set."""

    code = "credit_limit_exceeded"
    status = 409


class StatementInvalid(DomainError):
    """An uploaded file that is not a camt.053 / camt.054 message we can read."""

    code = "statement_invalid"
    status = 400
    field = "file"


class IllegalPaymentTransition(IllegalTransition):
    """A claim, bank entry or payout's status does not allow the action."""


class ClaimInvalid(DomainError):
    code = "claim_invalid"
    status = 400


class BankAccountInvalid(DomainError):
    code = "bank_account_invalid"
    status = 400


class BankAccountConfirmationInvalid(DomainError):
    """A wrong second-factor code, or a confirmation link that is bad, expired or used."""

    code = "bank_account_confirmation_invalid"
    status = 400


class BankEntryNotMatchable(DomainError):
    """A waiting bank entry the operator's match or return does not fit (another currency, no
    reason given)."""

    code = "bank_entry_not_matchable"
    status = 400


class CreditLimitInvalid(DomainError):
    code = "credit_limit_invalid"
    status = 400
    field = "limit_usd"
