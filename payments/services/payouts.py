"""Paying merchants and refunds out: the weekly payout run and its settlement.

``payout_run_execute`` makes (or completes) the run of one week: for each merchant whose
account holds released funds and who has a confirmed bank account, one ``Payout`` and its
ledger transaction (merchant → payouts in transit) committed together; for each refund by
transfer (a claim decided so, or a received transfer the operators returned) one refund payout
(refunds → payouts in transit); then the pain.001 file of every payout of the run. Each payout
is its own transaction under the run's row lock and is unique per merchant (or claim, or
returned entry) per run, so a run killed half-way and started again finishes the same run and
pays no one twice.

``payout_match_debit`` settles a payout when the bank's statement shows its debit (matched by
the end-to-end id): payouts in transit → bank, the payout paid."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network.models import Organization
from network.selectors import organization_staff
from network.services import audit, notification_send, webhook_emit
from network.transitions import transition, transition_apply
from payments.errors import IllegalPaymentTransition
from payments.ledger import (
    ZERO,
    accounts_locked,
    balance,
    credit,
    debit,
    in_english,
    ledger_post,
    merchant_account,
    network_account,
    network_books,
)
from payments.models import (
    AccountKind,
    BankEntry,
    Claim,
    ClaimStatus,
    LedgerAccount,
    MerchantBankAccount,
    Payout,
    PayoutRun,
    Posting,
    TransactionKind,
)
from payments.pain001 import CreditTransfer, pain001_build
from payments.services.bank_accounts import account_number_decrypt, account_number_masked

logger = logging.getLogger(__name__)

RUN_TRANSITIONS = {
    "build": transition(
        gettext_lazy("build the file of"), [PayoutRun.Status.BUILDING], PayoutRun.Status.READY
    ),
    "settle": transition(
        gettext_lazy("settle"), [PayoutRun.Status.READY], PayoutRun.Status.SETTLED
    ),
}
PAYOUT_TRANSITIONS = {
    "pay": transition(gettext_lazy("mark paid"), [Payout.Status.SENT], Payout.Status.PAID),
}


def week_of(day: date) -> date:
    """The Monday of ``day``'s week: what names a run."""
    return day - timedelta(days=day.weekday())


def _run_message_id(week: date) -> str:
    return f"GUMN-PAYOUTS-{week:%Y%m%d}"


def _end_to_end_id(week: date, tag: str) -> str:
    return f"GUMN-{week:%Y%m%d}-{tag}"[:35]


# --- The run -----------------------------------------------------------------------------------


def _run_of_week(week: date) -> PayoutRun:
    with network_books():
        run = PayoutRun.objects.filter(week=week).first()
        if run is not None:
            return run
        try:
            with transaction.atomic():
                return PayoutRun.objects.create(week=week, message_id=_run_message_id(week))
        except IntegrityError:  # another worker started the same week's run meanwhile
            return PayoutRun.objects.get(week=week)


def _run_locked(run: PayoutRun) -> PayoutRun:
    with network_books():
        return PayoutRun.objects.select_for_update().get(pk=run.pk)


def _merchants_owed() -> list[int]:
    """Ids of merchants whose account holds released funds (one query)."""
    with network_books():
        rows = (
            Posting.objects.filter(account__kind=AccountKind.MERCHANT)
            .values("account__organization")
            .annotate(total=Sum("amount"))
            .filter(total__lt=0)
            .order_by("account__organization")
        )
        return [row["account__organization"] for row in rows]


def _payout_post(
    payout: Payout,
    *,
    source: LedgerAccount,
    kind: str,
    memo: str,
    buyer: Organization | None = None,
    merchant: Organization | None = None,
) -> None:
    """The payout's money leaves ``source`` for payouts in transit (until the bank debits it),
    in the transaction that created the payout; audited."""
    ledger_post(
        kind=kind,
        key=f"payout:{payout.end_to_end_id}",
        legs=[
            debit(source, payout.amount_usd),
            credit(network_account(AccountKind.PAYOUTS_IN_TRANSIT), payout.amount_usd),
        ],
        buyer=buyer,
        merchant=merchant,
        memo=memo,
    )
    audit(
        actor=None,
        organization=buyer or merchant,
        action=f"payments.payout.{payout.kind}_created",
        target=payout,
        changes={"amount_usd": str(payout.amount_usd), "run": payout.run.message_id},
    )


def _merchant_payout(run: PayoutRun, merchant_id: int) -> Payout | None:
    """Pay the merchant's whole balance to its active account, once per run."""
    with transaction.atomic(), network_books():
        run = _run_locked(run)
        if run.status != PayoutRun.Status.BUILDING:
            return None
        if Payout.objects.filter(
            run=run, kind=Payout.Kind.MERCHANT, organization_id=merchant_id
        ).exists():
            return None
        bank_account = (
            MerchantBankAccount.objects.filter(
                organization_id=merchant_id, status=MerchantBankAccount.Status.ACTIVE
            )
            .select_related("organization")
            .first()
        )
        if bank_account is None:
            return None
        merchant = bank_account.organization
        owed_account = merchant_account(merchant)
        accounts_locked([owed_account])
        amount = balance(owed_account)
        if amount <= ZERO:
            return None
        payout = Payout.objects.create(
            run=run,
            kind=Payout.Kind.MERCHANT,
            organization=merchant,
            bank_account=bank_account,
            amount_usd=amount,
            end_to_end_id=_end_to_end_id(run.week, f"M{merchant.pk}"),
            creditor_name=bank_account.holder_name,
            creditor_account=account_number_masked(bank_account),
            creditor_agent=bank_account.routing_number,
        )
        _payout_post(
            payout,
            source=owed_account,
            kind=TransactionKind.PAYOUT_SENT,
            merchant=merchant,
            memo=in_english("Payout %(id)s to the account ending %(last4)s")
            % {"id": payout.end_to_end_id, "last4": bank_account.account_last4},
        )
        return payout


def _refund_payout(
    run: PayoutRun, *, claim: Claim | None = None, entry: BankEntry | None = None
) -> Payout | None:
    """Send a refund by transfer (a claim's) or a returned receipt back, once."""
    buyer: Organization | None
    with transaction.atomic(), network_books():
        run = _run_locked(run)
        if run.status != PayoutRun.Status.BUILDING:
            return None
        if claim is not None:
            if Payout.objects.filter(claim=claim).exists():
                return None
            amount = claim.refund_usd or ZERO
            fields = {
                "claim": claim,
                "organization": claim.organization,
                "end_to_end_id": _end_to_end_id(run.week, f"C{claim.pk}"),
                "creditor_name": claim.refund_account_name,
                "creditor_account": claim.refund_account_number,
                "creditor_agent": claim.refund_bank_bic,
            }
            memo = _("Refund of claim %(number)s") % {"number": claim.number}
            buyer = claim.organization
        else:
            assert entry is not None
            if Payout.objects.filter(returns_entry=entry).exists():
                return None
            amount = entry.amount
            fields = {
                "returns_entry": entry,
                "organization": entry.organization,
                "end_to_end_id": _end_to_end_id(run.week, f"R{entry.pk}"),
                "creditor_name": entry.counterparty or entry.counterparty_account,
                "creditor_account": entry.counterparty_account,
                "creditor_agent": entry.counterparty_bic,
            }
            memo = _("Transfer %(reference)s returned") % {"reference": entry.bank_reference}
            buyer = entry.organization
        if amount <= ZERO or not fields["creditor_account"] or not fields["creditor_agent"]:
            logger.warning("refund without an amount or bank details skipped: %s", fields)
            return None
        refunds = network_account(AccountKind.REFUNDS)
        accounts_locked([refunds])
        if balance(refunds) < amount:
            logger.error("refunds account short of %s for %s", amount, fields["end_to_end_id"])
            return None
        payout = Payout.objects.create(
            run=run, kind=Payout.Kind.REFUND, amount_usd=amount, **fields
        )
        _payout_post(
            payout, source=refunds, kind=TransactionKind.REFUND_SENT, buyer=buyer, memo=memo
        )
        return payout


def _refunds_waiting() -> tuple[list[Claim], list[BankEntry]]:
    with network_books():
        claims = list(
            Claim.objects.filter(
                status=ClaimStatus.REFUNDED,
                refund_method=Claim.RefundMethod.TRANSFER,
                refund_usd__gt=0,
                refund_payout__isnull=True,
            )
            .select_related("organization")
            .order_by("pk")
        )
        entries = list(
            # Only US-dollar transfers were booked for return; others go back through the bank.
            BankEntry.objects.filter(
                status=BankEntry.Status.RETURNED, return_payout__isnull=True, currency="USD"
            ).order_by("pk")
        )
    return claims, entries


def _transfer(payout: Payout) -> CreditTransfer:
    if payout.kind == Payout.Kind.MERCHANT:
        assert payout.bank_account is not None
        return CreditTransfer(
            end_to_end_id=payout.end_to_end_id,
            amount_usd=payout.amount_usd,
            creditor_name=payout.creditor_name,
            account_number=account_number_decrypt(payout.bank_account.account_number),
            routing_number=payout.bank_account.routing_number,
            remittance=f"{settings.PAYMENTS_COLLECTION_ACCOUNT['name']} payout "
            f"{payout.end_to_end_id}",
        )
    return CreditTransfer(
        end_to_end_id=payout.end_to_end_id,
        amount_usd=payout.amount_usd,
        creditor_name=payout.creditor_name,
        account_number=payout.creditor_account,
        bic=payout.creditor_agent,
        remittance=f"Refund {payout.claim.number if payout.claim else payout.end_to_end_id}",
    )


def _payout_payload(payout: Payout) -> dict:
    return {
        "end_to_end_id": payout.end_to_end_id,
        "kind": payout.kind,
        "amount_usd": str(payout.amount_usd),
        "currency": "USD",
        "status": payout.status,
        "run": payout.run.message_id,
        "week": payout.run.week.isoformat(),
        "account_last4": payout.bank_account.account_last4 if payout.bank_account else "",
        "claim": payout.claim.number if payout.claim else None,
        "paid_at": payout.paid_at,
    }


def _mail_merchant(payout: Payout, *, event: str) -> None:
    """Mail the merchant's staff that its payout was ``sent`` or ``paid``."""
    if payout.organization is None:
        return
    for user in organization_staff(organization=payout.organization):
        notification_send(
            email=user.email,
            recipient=user,
            organization=payout.organization,
            kind=f"payments.payout_{event}",
            template=f"payments/email/payout_{event}",
            context={
                "amount": payout.amount_usd,
                "reference": payout.end_to_end_id,
                "account": account_number_masked(payout.bank_account)
                if payout.bank_account
                else "",
            },
            link=settings.SITE_URL + reverse("payments:merchant_overview"),
        )


def _announce_sent(payout: Payout) -> None:
    """Webhook ``payout.sent`` to the party paid; mail a merchant's staff."""
    if payout.organization is None:
        return
    webhook_emit(
        organization=payout.organization, event="payout.sent", payload=_payout_payload(payout)
    )
    if payout.kind == Payout.Kind.MERCHANT:
        _mail_merchant(payout, event="sent")


def _settle_if_all_paid(run: PayoutRun) -> None:
    """A ready run (locked by the caller) whose every payout the bank debited is settled (one
    with no payouts at once)."""
    with network_books():
        waiting = Payout.objects.filter(run=run, status=Payout.Status.SENT).exists()
    if run.status == PayoutRun.Status.READY and not waiting:
        transition_apply(
            RUN_TRANSITIONS,
            "settle",
            run,
            acting_user=None,
            organization=None,
            audit_action="payments.payout_run.settled",
            error=IllegalPaymentTransition,
        )


def _file_build(run: PayoutRun) -> PayoutRun:
    with transaction.atomic(), network_books():
        run = _run_locked(run)
        if run.status != PayoutRun.Status.BUILDING:
            return run
        payouts = list(
            Payout.objects.filter(run=run)
            .select_related("bank_account", "claim", "organization", "run")
            .order_by("pk")
        )
        now = timezone.now()
        changes: dict = {
            "payout_count": len(payouts),
            "total_usd": sum((p.amount_usd for p in payouts), Decimal("0.00")),
            "file_built_at": now,
        }
        if payouts:
            content = pain001_build(
                message_id=run.message_id,
                created_at=now,
                execution_date=timezone.localdate(now) + timedelta(days=1),
                transfers=[_transfer(p) for p in payouts],
            )
            run.file.save(f"{run.message_id}.xml", ContentFile(content), save=False)
        transition_apply(
            RUN_TRANSITIONS,
            "build",
            run,
            acting_user=None,
            organization=None,
            audit_action="payments.payout_run.ready",
            changes=changes,
            audit_changes={"payout_count": len(payouts)},
            error=IllegalPaymentTransition,
        )
        for payout in payouts:
            _announce_sent(payout)
        _settle_if_all_paid(run)
        return run


def payout_run_execute(
    *,
    week: date | None = None,
    after_payout: Callable[[Payout], None] | None = None,
) -> PayoutRun:
    """Make the run of ``week`` (default: this week) or finish it if it was interrupted: pay
    every merchant owed released funds to its confirmed account and every refund by transfer
    waiting, once each, then build the pain.001 file (status ready). A run already ready is
    returned as it is. ``after_payout`` is called after each payout commits."""
    week = week_of(week or timezone.localdate())
    run = _run_of_week(week)
    if run.status != PayoutRun.Status.BUILDING:
        return run
    for merchant_id in _merchants_owed():
        payout = _merchant_payout(run, merchant_id)
        if payout is not None and after_payout is not None:
            after_payout(payout)
    claims, entries = _refunds_waiting()
    for claim in claims:
        _refund_payout(run, claim=claim)
    for entry in entries:
        _refund_payout(run, entry=entry)
    return _file_build(run)


@shared_task(name="payments.tasks.payout_run", acks_late=True)
def payout_run_task() -> str:
    """The weekly run: the first time it fires in a week it pays out; afterwards (or if run
    again after a crash) it finishes the same week's run and pays no one twice."""
    run = payout_run_execute()
    return f"{run.message_id}: {run.status}, {run.payout_count} payouts"


# --- Settlement --------------------------------------------------------------------------------


def _payout_for_entry(entry: BankEntry) -> Payout | None:
    with network_books():
        query = Q()
        if entry.end_to_end_id:
            query |= Q(end_to_end_id=entry.end_to_end_id)
        if not query and "GUMN-" in entry.remittance:
            candidates = [word.strip(".,;:") for word in entry.remittance.split()]
            query = Q(end_to_end_id__in=[c for c in candidates if c.startswith("GUMN-")])
        if not query:
            return None
        return (
            Payout.objects.select_for_update(of=("self",))
            .select_related("run", "organization", "bank_account", "claim")
            .filter(query)
            .first()
        )


@transaction.atomic
def payout_match_debit(entry: BankEntry) -> bool:
    """Whether a debit entry of the statement is one of our payouts (by its end-to-end id, or
    the id quoted in the remittance text), in full and in USD; it is then settled once:
    payouts in transit → bank, the payout paid (the merchant is mailed), the entry matched, the
    run settled when all its payouts are. A debit we do not recognise returns False."""
    if entry.direction != BankEntry.Direction.DEBIT:
        return False
    payout = _payout_for_entry(entry)
    if payout is None or entry.currency != "USD" or entry.amount != payout.amount_usd:
        return False
    if payout.status == Payout.Status.PAID:
        # The same debit reported again (a camt.054, then the day's camt.053) is the same entry.
        return payout.bank_entry_id is None or payout.bank_entry_id == entry.pk
    ledger_post(
        kind=TransactionKind.PAYOUT_SETTLED,
        key=f"payout-settled:{payout.end_to_end_id}",
        legs=[
            debit(network_account(AccountKind.PAYOUTS_IN_TRANSIT), payout.amount_usd),
            credit(network_account(AccountKind.BANK), payout.amount_usd),
        ],
        merchant=payout.organization if payout.kind == Payout.Kind.MERCHANT else None,
        buyer=payout.organization if payout.kind == Payout.Kind.REFUND else None,
        memo=in_english("Payout %(id)s debited by the bank") % {"id": payout.end_to_end_id},
    )
    if entry.pk is not None:
        entry.status = BankEntry.Status.MATCHED
        entry.save(update_fields=["status"])
    transition_apply(
        PAYOUT_TRANSITIONS,
        "pay",
        payout,
        acting_user=None,
        organization=payout.organization,
        audit_action="payments.payout.paid",
        changes={"paid_at": timezone.now(), "bank_entry": entry if entry.pk else None},
        error=IllegalPaymentTransition,
    )
    with network_books():
        _settle_if_all_paid(PayoutRun.objects.select_for_update().get(pk=payout.run_id))
    if payout.kind == Payout.Kind.MERCHANT:
        _mail_merchant(payout, event="paid")
    return True
