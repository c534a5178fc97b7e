"""The weekly payout run: each merchant owed released funds and holding a confirmed account is
paid once, in a pain.001 file that parses back with the same library; refunds by transfer go in
the same file; the bank's debit settles each payout."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from network import services as network_services
from network.models import Notification, WebhookDelivery
from payments import ledger
from payments.models import (
    AccountKind,
    BankEntry,
    BankStatement,
    Claim,
    ClaimReason,
    ClaimStatus,
    LedgerTransaction,
    Payout,
    PayoutRun,
    TransactionKind,
)
from payments.pain001 import pain001_parse
from payments.services.payouts import payout_match_debit, payout_run_execute, week_of
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku
from tests.payments.paying import pay
from tests.payments.payouts_factories import (
    ACCOUNT,
    ROUTING,
    owed,
    paid_merchant,
    release,
    statement_debit,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 12, 7)


def _in_transit() -> Decimal:
    return ledger.balance(ledger.network_account(AccountKind.PAYOUTS_IN_TRANSIT))


def _payouts(run: PayoutRun) -> list[Payout]:
    with scopes_disabled():
        return list(Payout.objects.filter(run=run).select_related("organization").order_by("pk"))


def test_each_merchant_owed_is_paid_once_in_a_pain001_file_that_parses_back():
    maple, maple_owner, maple_account = paid_merchant()
    vermont, _vermont_owner, _vermont_account = paid_merchant("Vermont Syrup Co.")
    no_account, _owner = merchant("Ohio Honey Co.")
    paid_merchant("Nothing Owed Inc.")
    release(maple, "950.00")
    release(maple, "50.25")
    release(vermont, "120.00")
    release(no_account, "70.00")
    network_services.webhook_endpoint_create(
        organization=maple,
        url="https://hooks.example/maple",
        events=["payout.sent"],
        acting_user=maple_owner,
    )

    run = payout_run_execute(week=MONDAY)

    assert run.status == PayoutRun.Status.READY
    assert run.week == MONDAY
    payouts = {p.organization.name: p for p in _payouts(run)}
    assert {name: p.amount_usd for name, p in payouts.items()} == {
        "Great Lakes Maple Co.": Decimal("1000.25"),
        "Vermont Syrup Co.": Decimal("120.00"),
    }
    assert run.payout_count == 2
    assert run.total_usd == Decimal("1120.25")
    # The merchants' released funds are now on their way; the one without an account waits.
    assert owed(maple) == owed(vermont) == Decimal("0.00")
    assert owed(no_account) == Decimal("70.00")
    assert _in_transit() == Decimal("1120.25")
    # Pages never show the full number, and neither does the payout row.
    assert ACCOUNT not in payouts["Great Lakes Maple Co."].creditor_account

    with run.file.open("rb") as handle:
        document = pain001_parse(handle.read())
    initiation = document.cstmr_cdt_trf_initn
    assert initiation.grp_hdr.msg_id == run.message_id
    assert initiation.grp_hdr.nb_of_txs == "2"
    assert initiation.grp_hdr.ctrl_sum == Decimal("1120.25")
    (instruction,) = initiation.pmt_inf
    assert instruction.dbtr_acct.id.othr.id == "000123456789"
    transfers = {t.pmt_id.end_to_end_id: t for t in instruction.cdt_trf_tx_inf}
    maple_transfer = transfers[payouts["Great Lakes Maple Co."].end_to_end_id]
    assert maple_transfer.amt.instd_amt.value == Decimal("1000.25")
    assert maple_transfer.amt.instd_amt.ccy == "USD"
    assert maple_transfer.cdtr.nm == maple_account.holder_name
    assert maple_transfer.cdtr_acct.id.othr.id == ACCOUNT
    member = maple_transfer.cdtr_agt.fin_instn_id.clr_sys_mmb_id
    assert (member.clr_sys_id.cd, member.mmb_id) == ("USABA", ROUTING)

    with scopes_disabled():
        assert WebhookDelivery.objects.filter(organization=maple, event="payout.sent").count() == 1
        sent_mail = Notification.objects.filter(kind="payments.payout_sent")
        assert {n.organization_id for n in sent_mail} == {maple.pk, vermont.pk}
        assert "1,000.25" in sent_mail.get(organization=maple).subject


def test_running_the_week_again_pays_no_one_twice():
    maple, _owner, _account = paid_merchant()
    release(maple, "300.00")
    first = payout_run_execute(week=MONDAY)
    release(maple, "40.00")  # released after this week's file was built
    again = payout_run_execute(week=MONDAY + datetime.timedelta(days=2))
    assert again.pk == first.pk
    assert [p.amount_usd for p in _payouts(first)] == [Decimal("300.00")]
    assert owed(maple) == Decimal("40.00")
    # Next week's run pays what came since.
    next_week = payout_run_execute(week=MONDAY + datetime.timedelta(days=7))
    assert [p.amount_usd for p in _payouts(next_week)] == [Decimal("40.00")]
    with scopes_disabled():
        assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_SENT).count() == 2


def test_a_week_with_nothing_owed_is_settled_without_a_file():
    run = payout_run_execute(week=MONDAY)
    assert run.status == PayoutRun.Status.SETTLED
    assert run.payout_count == 0
    assert not run.file


def test_a_returned_transfer_is_sent_back_in_the_run():
    with scopes_disabled():
        statement = BankStatement.objects.create(
            message_id="STMT-1", kind=BankStatement.Kind.CAMT053, sha256="1" * 64
        )
        entry = BankEntry.objects.create(
            statement=statement,
            bank_reference="IN-1",
            direction=BankEntry.Direction.CREDIT,
            amount=Decimal("88.00"),
            currency="USD",
            counterparty="Unknown Trading Ltd",
            counterparty_account="DE89370400440532013000",
            counterparty_bic="DEUTDEFFXXX",
            status=BankEntry.Status.RETURNED,
        )
        with transaction.atomic():
            bank = ledger.network_account(AccountKind.BANK)
            suspense = ledger.network_account(AccountKind.SUSPENSE)
            refunds = ledger.network_account(AccountKind.REFUNDS)
            ledger.ledger_post(
                kind=TransactionKind.PAYMENT_UNMATCHED,
                key="in:IN-1",
                legs=[ledger.debit(bank, 88), ledger.credit(suspense, 88)],
            )
            ledger.ledger_post(
                kind=TransactionKind.PAYMENT_RETURNED,
                key="return:IN-1",
                legs=[ledger.debit(suspense, 88), ledger.credit(refunds, 88)],
            )

    run = payout_run_execute(week=MONDAY)

    (payout,) = _payouts(run)
    assert payout.kind == Payout.Kind.REFUND
    assert payout.returns_entry_id == entry.pk
    assert payout.amount_usd == Decimal("88.00")
    assert ledger.balance(ledger.network_account(AccountKind.REFUNDS)) == Decimal("0.00")
    with run.file.open("rb") as handle:
        (transfer,) = pain001_parse(handle.read()).cstmr_cdt_trf_initn.pmt_inf[0].cdt_trf_tx_inf
    assert transfer.cdtr_acct.id.iban == "DE89370400440532013000"
    assert transfer.cdtr_agt.fin_instn_id.bicfi == "DEUTDEFFXXX"
    assert transfer.cdtr.nm == "Unknown Trading Ltd"
    # A second run (next week) does not send it again.
    assert _payouts(payout_run_execute(week=MONDAY + datetime.timedelta(days=7))) == []
    # The bank's debit settles it like a merchant's payout.
    assert payout_match_debit(statement_debit(payout)) is True
    assert _in_transit() == Decimal("0.00")


def test_the_statement_debit_settles_the_payout_once():
    maple, _owner, _account = paid_merchant()
    release(maple, "500.00")
    run = payout_run_execute(week=MONDAY)
    (payout,) = _payouts(run)
    bank_before = ledger.balance(ledger.network_account(AccountKind.BANK))
    entry = statement_debit(payout)

    assert payout_match_debit(entry) is True

    with scopes_disabled():
        payout.refresh_from_db()
        run.refresh_from_db()
        entry.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert payout.bank_entry_id == entry.pk
    assert payout.paid_at is not None
    assert entry.status == BankEntry.Status.MATCHED
    assert run.status == PayoutRun.Status.SETTLED
    assert _in_transit() == Decimal("0.00")
    assert ledger.balance(ledger.network_account(AccountKind.BANK)) == bank_before - Decimal(
        "500.00"
    )
    # The same entry again (a camt.054, then the day's camt.053) settles nothing more.
    assert payout_match_debit(entry) is True
    with scopes_disabled():
        assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_SETTLED).count() == 1
        assert Notification.objects.filter(kind="payments.payout_paid", organization=maple).exists()


def test_a_debit_is_matched_by_the_id_quoted_in_its_remittance():
    maple, _owner, _account = paid_merchant()
    release(maple, "75.00")
    (payout,) = _payouts(payout_run_execute(week=MONDAY))
    entry = statement_debit(
        payout, end_to_end_id="", remittance=f"NOTPROVIDED {payout.end_to_end_id} payout"
    )
    assert payout_match_debit(entry) is True


def test_a_debit_of_another_amount_or_unknown_id_is_not_ours_to_settle():
    maple, _owner, _account = paid_merchant()
    release(maple, "75.00")
    (payout,) = _payouts(payout_run_execute(week=MONDAY))
    assert payout_match_debit(statement_debit(payout, amount=Decimal("74.00"))) is False
    assert payout_match_debit(statement_debit(payout, end_to_end_id="SOMEONE-ELSE")) is False
    with scopes_disabled():
        payout.refresh_from_db()
    assert payout.status == Payout.Status.SENT
    assert _in_transit() == Decimal("75.00")


def test_week_of_is_the_monday():
    assert week_of(datetime.date(2026, 12, 13)) == MONDAY
    assert week_of(MONDAY) == MONDAY


def test_a_claim_refunded_by_transfer_is_paid_back_to_the_buyer():
    maple, owner, _account = paid_merchant()
    buyer_org, buyer_user = buyer()
    purchase_order = place(buyer_org, buyer_user, [(sku(maple, owner), 24)])
    fan_out(purchase_order)
    pay(purchase_order)
    merchant_order = merchant_order_of(purchase_order, maple)
    with transaction.atomic(), scopes_disabled():
        claim = Claim.objects.create(
            organization=buyer_org,
            merchant=maple,
            merchant_order=merchant_order,
            number="CL-TEST-1",
            reason=ClaimReason.SHORT,
            description="Two cases missing",
            amount_usd=Decimal("34.00"),
            refund_method=Claim.RefundMethod.TRANSFER,
            refund_account_name="Hangzhou Westlake Global Store",
            refund_account_number="6222020200112233445",
            refund_bank_bic="ICBKCNBJHZH",
            status=ClaimStatus.REFUNDED,
            refund_usd=Decimal("34.00"),
            respond_by=timezone.now(),
        )
        ledger.ledger_post(
            kind=TransactionKind.REFUND_TRANSFER,
            key=f"refund:{claim.number}",
            legs=[
                ledger.debit(ledger.escrow_account(merchant_order), Decimal("34.00")),
                ledger.credit(ledger.network_account(AccountKind.REFUNDS), Decimal("34.00")),
            ],
            buyer=buyer_org,
            merchant=maple,
            merchant_order=merchant_order,
        )

    run = payout_run_execute(week=MONDAY)

    (refund,) = [p for p in _payouts(run) if p.kind == Payout.Kind.REFUND]
    assert (refund.claim_id, refund.organization_id, refund.amount_usd) == (
        claim.pk,
        buyer_org.pk,
        Decimal("34.00"),
    )
    with run.file.open("rb") as handle:
        transfers = pain001_parse(handle.read()).cstmr_cdt_trf_initn.pmt_inf[0].cdt_trf_tx_inf
    (transfer,) = [t for t in transfers if t.pmt_id.end_to_end_id == refund.end_to_end_id]
    assert transfer.cdtr_acct.id.othr.id == "6222020200112233445"
    assert transfer.cdtr_agt.fin_instn_id.bicfi == "ICBKCNBJHZH"
    assert ledger.balance(ledger.network_account(AccountKind.REFUNDS)) == Decimal("0.00")
    assert _payouts(payout_run_execute(week=MONDAY + datetime.timedelta(days=7))) == []
