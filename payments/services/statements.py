"""Importing the bank's statements of the collection account, and the operators' queue of what
could not be matched.

A statement (camt.053) or notification (camt.054) is imported once per message id; each entry
once per bank reference, whichever message reported it first: the database's unique keys are
the gate, so two imports of the same file at once (or a notification and the day's statement)
credit an entry once — the second insert waits for the first transaction and then finds the
row taken.

A received entry (CRDT) in USD whose remittance carries a purchase order's RF reference with
good check digits is the buyer's money for that order (``collection.funds_receive``: applied
to its plans, any excess stays the buyer's credit). Anything else received waits in suspense
for an operator, who matches it to a purchase order or returns it. A sent entry (DBIT) is one
of our payouts or refunds (``payouts.payout_match_debit``) or not ours to match."""

from __future__ import annotations

import hashlib
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import iso11649

from network.models import Membership, Organization, Role, User
from network.permissions import require_operator
from network.selectors import organization_staff
from network.services import audit, notification_send, webhook_emit
from orders.models import PurchaseOrder
from payments.camt import CamtEntry, CamtError, CamtMessage, camt_parse
from payments.errors import (
    BankEntryNotMatchable,
    IllegalPaymentTransition,
    PaymentPermissionDenied,
    StatementInvalid,
)
from payments.ledger import (
    ZERO,
    accounts_locked,
    balance,
    credit,
    debit,
    in_english,
    ledger_post,
    money,
    network_account,
    network_books,
)
from payments.models import (
    USD,
    AccountKind,
    BankEntry,
    BankStatement,
    PaymentPlan,
    PurchaseOrderPayment,
    TransactionKind,
)
from payments.services import collection, payouts, plans


def _network_wide() -> AbstractContextManager[Any]:
    # Statements and the queue are the operators' network-wide work: an entry may pay any
    # buyer's order, and imports also run from the demo, outside any request's scope.
    return network_books()


# A reference as printed: one word (``RF18539007547034``) or groups of four
# (``RF18 5390 0754 7034``).
RF_START = re.compile(r"^RF\d{2}[A-Z0-9]*$")
GROUP = re.compile(r"^[A-Z0-9]{1,4}$")
BUYER_ROLES = (Role.OWNER, Role.ADMIN, Role.STAFF, Role.BUYER)


@dataclass
class ImportResult:
    statement: BankStatement
    already_imported: bool = False
    matched: int = 0
    unmatched: int = 0
    sent: int = 0
    known: int = 0  # entries an earlier message reported
    entries: list[BankEntry] = field(default_factory=list)


# --- Finding the purchase order ----------------------------------------------------------------


def _candidates(text: str) -> list[list[str]]:
    """For each place a reference begins in ``text``: its readings, shortest first (the word
    alone, then with each following group of up to four characters joined on)."""
    words = re.findall(r"[A-Z0-9]+", text.upper())
    found = []
    for index, word in enumerate(words):
        if not RF_START.match(word):
            continue
        readings = [word]
        if len(word) <= 4:
            for group in words[index + 1 : index + 7]:
                if not GROUP.match(group) or len(readings[-1]) + len(group) > 25:
                    break
                readings.append(readings[-1] + group)
        found.append(readings)
    return found


def references_in(entry: CamtEntry) -> tuple[list[str], list[str]]:
    """(valid RF references, ones with wrong check digits) in the entry's structured
    creditor reference (taken whole) and its remittance text."""
    valid: list[str] = []
    invalid: list[str] = []
    readings = [[ref.upper().replace(" ", "")] for ref in entry.creditor_references]
    for candidate in readings + _candidates(entry.remittance):
        good = [reading for reading in candidate if iso11649.is_valid(reading)]
        if good:
            if good[-1] not in valid:
                valid.append(good[-1])
        elif candidate[0].startswith("RF"):
            invalid.append(candidate[-1][:25] if len(candidate) > 1 else candidate[0][:25])
    return valid, invalid


def _order_for(entry: CamtEntry) -> tuple[PurchaseOrder | None, str]:
    """The purchase order the received entry pays, or why none (the entry's note)."""
    if entry.currency != USD:
        return None, _("Sent in %(currency)s, not USD.") % {"currency": entry.currency}
    valid, invalid = references_in(entry)
    if not valid:
        if invalid:
            return None, _("The reference %(reference)s has wrong check digits.") % {
                "reference": invalid[0]
            }
        return None, _("No payment reference in the remittance information.")
    with _network_wide():
        payment = (
            PurchaseOrderPayment.objects.filter(reference__in=valid)
            .select_related("purchase_order__organization")
            .first()
        )
    if payment is None:
        return None, _("No purchase order has the reference %(reference)s.") % {
            "reference": valid[0]
        }
    return payment.purchase_order, ""


# --- Import ------------------------------------------------------------------------------------


def _statement_row(
    *, message: CamtMessage, data: bytes, filename: str, acting_user: User
) -> tuple[BankStatement, bool]:
    """The message's statement row, made now (True) or by an earlier or concurrent import."""
    with _network_wide():
        existing = BankStatement.objects.filter(message_id=message.message_id).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                statement = BankStatement.objects.create(
                    kind=message.kind,
                    message_id=message.message_id,
                    account=message.account,
                    created_on=message.created_at
                    and (
                        message.created_at
                        if timezone.is_aware(message.created_at)
                        else timezone.make_aware(message.created_at)
                    ),
                    sha256=hashlib.sha256(data).hexdigest(),
                    entry_count=len(message.entries),
                    uploaded_by=acting_user,
                )
        except IntegrityError:  # the same message imported at this moment: it waited for it
            return BankStatement.objects.get(message_id=message.message_id), False
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[-80:] or "statement.xml"
    statement.file.save(f"{message.message_id[:60]}-{safe_name}", ContentFile(data), save=True)
    return statement, True


def _entry_row(statement: BankStatement, row: CamtEntry) -> BankEntry | None:
    """A new BankEntry for ``row``; None when an earlier (or concurrent) message has it."""
    with _network_wide():
        if BankEntry.objects.filter(bank_reference=row.bank_reference).exists():
            return None
        try:
            with transaction.atomic():
                return BankEntry.objects.create(
                    statement=statement,
                    bank_reference=row.bank_reference,
                    direction=row.direction,
                    amount=money(row.amount),
                    currency=row.currency[:3],
                    booking_date=row.booking_date,
                    value_date=row.value_date,
                    remittance=row.remittance,
                    end_to_end_id=row.end_to_end_id,
                    counterparty=row.counterparty,
                    counterparty_account=row.counterparty_account,
                    counterparty_bic=row.counterparty_bic,
                    status=BankEntry.Status.UNMATCHED,
                )
        except IntegrityError:
            return None


@transaction.atomic
def statement_import(*, data: bytes, filename: str, acting_user: User) -> ImportResult:
    """Import an uploaded camt.053 / camt.054 message (operators only)."""
    require_operator(acting_user, error=PaymentPermissionDenied)
    try:
        message = camt_parse(data)
    except CamtError as error:
        raise StatementInvalid(
            _("This is not a bank statement we can read (camt.053 or camt.054): %(error)s")
            % {"error": str(error)[:200]}
        ) from error
    statement, created = _statement_row(
        message=message, data=data, filename=filename, acting_user=acting_user
    )
    result = ImportResult(statement=statement, already_imported=not created)
    if not created:
        return result
    for row in message.entries:
        entry = _entry_row(statement, row)
        if entry is None:
            result.known += 1
            continue
        result.entries.append(entry)
        if row.direction == BankEntry.Direction.DEBIT:
            _book_debit(entry)
            result.sent += 1
        else:
            order, note = _order_for(row)
            if order is not None:
                _receive(entry, order, acting_user=None)
                result.matched += 1
            else:
                _suspend(entry, note)
                result.unmatched += 1
    statement.new_entry_count = len(result.entries)
    statement.save(update_fields=["new_entry_count"])
    audit(
        actor=acting_user,
        organization=None,
        action="bank_statement.imported",
        target=statement,
        changes={
            "kind": statement.kind,
            "entries": statement.entry_count,
            "new": statement.new_entry_count,
            "matched": result.matched,
            "unmatched": result.unmatched,
        },
    )
    return result


def _book_debit(entry: BankEntry) -> None:
    entry.status = BankEntry.Status.IGNORED
    entry.note = _("Sent from the collection account; not one of our payouts.")
    entry.save(update_fields=["status", "note"])
    if payouts.payout_match_debit(entry):
        entry.refresh_from_db()
        if entry.status == BankEntry.Status.IGNORED:
            entry.status = BankEntry.Status.MATCHED
            entry.note = ""
            entry.save(update_fields=["status", "note"])


def _suspend(entry: BankEntry, note: str) -> None:
    """Received money we cannot place: bank → suspense, waiting for an operator. The ledger is
    in US dollars: a transfer in another currency never enters it, and waits only in the queue
    (to be returned through the bank in its own currency)."""
    if entry.currency == USD:
        _suspend_usd(entry)
    entry.status = BankEntry.Status.UNMATCHED
    entry.note = note[:500]
    entry.save(update_fields=["status", "note"])


def _suspend_usd(entry: BankEntry) -> None:
    ledger_post(
        kind=TransactionKind.PAYMENT_UNMATCHED,
        key=f"bank:{entry.bank_reference}",
        legs=[
            debit(network_account(AccountKind.BANK), entry.amount),
            credit(network_account(AccountKind.SUSPENSE), entry.amount),
        ],
        memo=in_english("Transfer received, not matched: %(reference)s")
        % {"reference": entry.bank_reference},
    )


def _pre_shipment_due(order: PurchaseOrder) -> dict[int, Decimal]:
    order_plans = plans.plans_of([order])
    paid = plans.paid_amounts(order_plans)
    return {p.pk: plans.pre_shipment_outstanding(p, paid[p.pk]) for p in order_plans}


def _receive(
    entry: BankEntry,
    order: PurchaseOrder,
    *,
    acting_user: User | None,
    from_suspense: bool = False,
    key: str = "",
) -> Decimal:
    """The entry's money is the buyer's, for ``order``: credit, applied to its plans; the
    buyer and the merchants who may now ship are told."""
    due_before = _pre_shipment_due(order)
    _receipt, applied = collection.funds_receive(
        purchase_order=order,
        amount=entry.amount,
        key=key or f"bank:{entry.bank_reference}",
        acting_user=acting_user,
        from_suspense=from_suspense,
        memo=in_english("Transfer %(reference)s received for purchase order %(number)s")
        % {"reference": entry.bank_reference, "number": order.number},
    )
    entry.status = BankEntry.Status.MATCHED
    entry.organization_id = order.organization_id
    entry.purchase_order = order
    excess = entry.amount - applied
    if excess > ZERO:
        entry.note = _("US$%(excess)s more than the order wanted: kept as the buyer's credit.") % {
            "excess": f"{excess:,.2f}"
        }
    entry.save(update_fields=["status", "organization", "purchase_order", "note"])
    _tell_received(entry, order, applied=applied, due_before=due_before)
    return applied


# --- Telling people ----------------------------------------------------------------------------


def _link(name: str, *args: str) -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.SITE_URL + reverse(name, args=list(args))


def buyer_people(organization: Organization) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organization=organization, role__in=BUYER_ROLES
        ).select_related("user")
    ]


def payment_payload(entry: BankEntry, order: PurchaseOrder, applied: Decimal) -> dict:
    owed = plans_owed(order)
    return {
        "purchase_order": order.number,
        "reference": plans.purchase_order_payment(order).reference,
        "bank_reference": entry.bank_reference,
        "amount_usd": str(entry.amount),
        "applied_usd": str(applied),
        "owed_usd": str(owed),
        "booked_on": entry.booking_date.isoformat() if entry.booking_date else None,
    }


def plans_owed(order: PurchaseOrder) -> Decimal:
    """What the purchase order's plans still want (ended orders want nothing)."""
    order_plans = plans.plans_of([order])
    paid = plans.paid_amounts(order_plans)
    return sum(
        (
            max(p.total_usd - paid[p.pk], ZERO)
            for p in order_plans
            if p.merchant_order.status not in plans.ENDED
        ),
        ZERO,
    )


def _tell_received(
    entry: BankEntry, order: PurchaseOrder, *, applied: Decimal, due_before: dict[int, Decimal]
) -> None:
    buyer = order.organization
    payload = payment_payload(entry, order, applied)
    webhook_emit(organization=buyer, event="payment.received", payload=payload)
    for user in buyer_people(buyer):
        notification_send(
            email=user.email,
            recipient=user,
            organization=buyer,
            kind="payments.payment_received",
            template="payments/email/payment_received",
            context={
                "number": order.number,
                "amount": f"{entry.amount:,.2f}",
                "applied": f"{applied:,.2f}",
                "owed": payload["owed_usd"],
                "credit_left": f"{max(entry.amount - applied, ZERO):,.2f}",
            },
            link=_link("orders:purchase_order_detail", order.number),
        )
    due_after = _pre_shipment_due(order)
    with _network_wide():
        ready = list(
            PaymentPlan.objects.filter(pk__in=[pk for pk, due in due_before.items() if due > ZERO])
            .select_related("merchant_order", "merchant")
            .order_by("pk")
        )
    for plan in ready:
        if due_after.get(plan.pk, ZERO) > ZERO:
            continue
        merchant_order = plan.merchant_order
        for user in organization_staff(organization=plan.merchant):
            notification_send(
                email=user.email,
                recipient=user,
                organization=plan.merchant,
                kind="payments.payment_ship",
                template="payments/email/payment_ship",
                context={
                    "number": merchant_order.number,
                    "buyer": buyer.name,
                    "paid": f"{plan.pre_shipment_usd:,.2f}",
                },
                link=_link("orders:merchant_order_detail", merchant_order.number),
            )


# --- The operators' queue ----------------------------------------------------------------------


def _entry_locked(entry: BankEntry) -> BankEntry:
    with _network_wide():
        return BankEntry.objects.select_for_update().get(pk=entry.pk)


@transaction.atomic
def bank_entry_match(
    *, entry: BankEntry, purchase_order: PurchaseOrder, note: str = "", acting_user: User
) -> Decimal:
    """An operator says whose money a waiting entry is: suspense → the purchase order's buyer,
    applied to the order. Returns the amount applied."""
    require_operator(acting_user, error=PaymentPermissionDenied)
    entry = _entry_locked(entry)
    if entry.status != BankEntry.Status.UNMATCHED or entry.direction != BankEntry.Direction.CREDIT:
        raise IllegalPaymentTransition(_("This entry is not waiting to be matched."))
    if entry.currency != USD:
        raise BankEntryNotMatchable(
            _("Only a transfer in USD can pay an order; return this one to its sender.")
        )
    suspense = network_account(AccountKind.SUSPENSE)
    accounts_locked([suspense])
    if balance(suspense) < entry.amount:  # never: the entry's money is in suspense
        raise BankEntryNotMatchable(_("The entry's money is no longer in suspense."))
    applied = _receive(
        entry,
        purchase_order,
        acting_user=acting_user,
        from_suspense=True,
        key=f"match:{entry.bank_reference}",
    )
    entry.decided_by = acting_user
    entry.decided_at = timezone.now()
    entry.note = (note or entry.note)[:500]
    entry.save(update_fields=["decided_by", "decided_at", "note"])
    audit(
        actor=acting_user,
        organization=purchase_order.organization,
        action="bank_entry.matched",
        target=entry,
        changes={"purchase_order": purchase_order.number, "applied_usd": str(applied)},
    )
    return applied


@transaction.atomic
def bank_entry_return(*, entry: BankEntry, note: str, acting_user: User) -> BankEntry:
    """An operator sends a waiting entry back to its sender: suspense → refunds to transfer;
    the next payout run pays it back."""
    require_operator(acting_user, error=PaymentPermissionDenied)
    entry = _entry_locked(entry)
    if entry.status != BankEntry.Status.UNMATCHED or entry.direction != BankEntry.Direction.CREDIT:
        raise IllegalPaymentTransition(_("This entry is not waiting to be matched."))
    if not note.strip():
        raise BankEntryNotMatchable(_("Say why the transfer goes back."), field="note")
    if entry.currency == USD:
        # The next payout run sends it back; a transfer in another currency never entered the
        # US-dollar books and goes back through the bank in its own currency.
        suspense = network_account(AccountKind.SUSPENSE)
        refunds = network_account(AccountKind.REFUNDS)
        accounts_locked([suspense, refunds])
        ledger_post(
            kind=TransactionKind.PAYMENT_RETURNED,
            key=f"return:{entry.bank_reference}",
            legs=[debit(suspense, entry.amount), credit(refunds, entry.amount)],
            memo=in_english("Transfer %(reference)s returned to %(sender)s")
            % {"reference": entry.bank_reference, "sender": entry.counterparty or "?"},
            acting_user=acting_user,
        )
    entry.status = BankEntry.Status.RETURNED
    entry.note = note.strip()[:500]
    entry.decided_by = acting_user
    entry.decided_at = timezone.now()
    entry.save(update_fields=["status", "note", "decided_by", "decided_at"])
    audit(
        actor=acting_user,
        organization=None,
        action="bank_entry.returned",
        target=entry,
        changes={"amount": str(entry.amount), "note": entry.note},
    )
    return entry
