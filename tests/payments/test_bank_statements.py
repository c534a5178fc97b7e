"""Importing the bank's camt.053 statements and camt.054 notifications: entries are matched to
purchase orders by their RF reference; partial and over-payments are applied as far as they go;
the same message or the same entry is never credited twice; what cannot be matched waits in
suspense for an operator, who matches or returns it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from network.models import Role, WebhookDelivery
from payments.camt import CamtError, camt_parse
from payments.camt_samples import camt053, camt054, credit, debit
from payments.errors import BankEntryNotMatchable, PaymentPermissionDenied, StatementInvalid
from payments.ledger import balance, network_account
from payments.models import AccountKind, BankEntry, BankStatement, LedgerTransaction, Payout
from payments.services import plans
from payments.services.payouts import payout_run_execute
from payments.services.statements import (
    bank_entry_match,
    bank_entry_return,
    references_in,
    statement_import,
)
from tests.factories import member, operator
from tests.mailbox import mailed
from tests.orders.factories import merchant_order_of
from tests.payments.bank_world import (
    bank,
    buyer_credit,
    escrow,
    imported,
    ordered,
    reference,
    suspense,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("version", ["02", "08"])
def test_a_statement_pays_the_order_its_reference_names(
    version, django_capture_on_commit_callbacks
):
    order, store, _user, maple, _owner = ordered("prepaid")
    staff = operator()
    data = camt053([credit(order.total_usd, reference=reference(order))], version=version)
    with django_capture_on_commit_callbacks(execute=True):
        result = imported(data, staff)
    assert (result.matched, result.unmatched, result.already_imported) == (1, 0, False)
    assert escrow(order, maple) == order.total_usd
    assert buyer_credit(store) == 0 and bank() == order.total_usd
    with scopes_disabled():
        entry = BankEntry.objects.get()
        statement = BankStatement.objects.get()
        plan = merchant_order_of(order, maple).payment_plan
    assert entry.status == "matched" and entry.purchase_order_id == order.pk
    assert entry.organization_id == store.pk and entry.counterparty.startswith("HANGZHOU")
    assert statement.kind == "camt.053" and statement.new_entry_count == 1 and statement.file
    assert plans.pre_shipment_outstanding(plan) == 0
    subjects = sorted(message.subject for message in mailed())
    assert any("received" in s and order.number in s for s in subjects)
    assert any("you can ship" in s for s in subjects)


def test_a_reference_in_the_free_text_with_spaces_still_matches():
    order, _store, _user, maple, _owner = ordered("prepaid")
    ref = reference(order)
    spaced = " ".join(ref[i : i + 4] for i in range(0, len(ref), 4))
    result = imported(
        camt053([credit(order.total_usd, text=f"PAYMENT {spaced} THANK YOU")]), operator()
    )
    assert result.matched == 1 and escrow(order, maple) == order.total_usd


def test_a_partial_payment_pays_the_deposit_and_waits_for_the_rest():
    order, store, _user, maple, _owner = ordered("deposit")
    deposit = (order.total_usd * Decimal("0.30")).quantize(Decimal("0.01"))
    imported(camt053([credit(deposit, reference=reference(order))]), operator())
    with scopes_disabled():
        plan = merchant_order_of(order, maple).payment_plan
    assert plan.deposit_usd == deposit
    assert escrow(order, maple) == deposit
    assert plans.pre_shipment_outstanding(plan) == order.total_usd - deposit
    assert buyer_credit(store) == 0


def test_an_over_payment_stays_the_buyers_credit():
    order, store, _user, maple, _owner = ordered("prepaid")
    imported(camt053([credit(order.total_usd + 50, reference=reference(order))]), operator())
    assert escrow(order, maple) == order.total_usd
    assert buyer_credit(store) == Decimal("50.00")
    with scopes_disabled():
        assert "50.00" in BankEntry.objects.get().note


def test_the_same_statement_twice_credits_nothing_twice():
    order, store, _user, maple, _owner = ordered("prepaid")
    staff = operator()
    data = camt053([credit("100.00", reference=reference(order))])
    imported(data, staff)
    again = imported(data, staff)
    assert again.already_imported and again.matched == 0
    assert escrow(order, maple) == Decimal("100.00") and bank() == Decimal("100.00")
    with scopes_disabled():
        assert BankStatement.objects.count() == 1 and BankEntry.objects.count() == 1


def test_an_entry_notified_by_camt054_and_then_in_the_days_camt053_is_credited_once():
    order, _store, _user, maple, _owner = ordered("prepaid")
    staff = operator()
    entry = credit(order.total_usd, reference=reference(order))
    first = imported(camt054([entry], version="02"), staff)
    second = imported(camt053([entry, credit("10.00", reference="RF18539007547034")]), staff)
    assert (first.matched, second.matched, second.known, second.unmatched) == (1, 0, 1, 1)
    assert escrow(order, maple) == order.total_usd
    assert bank() == order.total_usd + Decimal("10.00")
    with scopes_disabled():
        assert BankEntry.objects.count() == 2
        kinds = set(BankStatement.objects.values_list("kind", flat=True))
    assert kinds == {"camt.053", "camt.054"}


@pytest.mark.parametrize(
    "entry_fields, note",
    [
        ({"reference": "RF18539007547034"}, "No purchase order"),
        ({"reference": "", "text": "INVOICE 2291 GOODS"}, "No payment reference"),
    ],
    ids=["unknown-reference", "no-reference"],
)
def test_what_cannot_be_matched_waits_in_suspense(entry_fields, note):
    order, store, _user, maple, _owner = ordered("prepaid")
    fields = {"reference": reference(order), **entry_fields}
    imported(camt053([credit("75.00", **fields)]), operator())
    with scopes_disabled():
        entry = BankEntry.objects.get()
    assert entry.status == "unmatched" and note in entry.note
    assert suspense() == Decimal("75.00") and escrow(order, maple) == 0
    assert buyer_credit(store) == 0


def test_a_reference_with_wrong_check_digits_matches_nothing():
    order, _store, _user, maple, _owner = ordered("prepaid")
    good = reference(order)
    wrong = good[:2] + f"{(int(good[2:4]) + 1) % 100:02d}" + good[4:]
    imported(camt053([credit(order.total_usd, reference=wrong)]), operator())
    with scopes_disabled():
        entry = BankEntry.objects.get()
    assert entry.status == "unmatched" and "check digits" in entry.note
    assert escrow(order, maple) == 0


def test_an_operator_matches_a_waiting_entry_to_the_order():
    order, store, _user, maple, _owner = ordered("prepaid")
    staff = operator()
    imported(camt053([credit(order.total_usd, text="FOR OUR MAPLE SYRUP")]), staff)
    with scopes_disabled():
        entry = BankEntry.objects.get()
        applied = bank_entry_match(entry=entry, purchase_order=order, acting_user=staff)
        entry.refresh_from_db()
    assert applied == order.total_usd and escrow(order, maple) == order.total_usd
    assert suspense() == 0 and entry.status == "matched" and entry.decided_by == staff
    assert entry.organization_id == store.pk
    with scopes_disabled(), pytest.raises(Exception, match="not waiting"):
        bank_entry_match(entry=entry, purchase_order=order, acting_user=staff)


def test_an_operator_returns_a_waiting_entry_to_its_sender():
    staff = operator()
    imported(camt053([credit("75.00", text="NOT FOR THIS NETWORK")]), staff)
    with scopes_disabled():
        entry = BankEntry.objects.get()
        with pytest.raises(BankEntryNotMatchable):
            bank_entry_return(entry=entry, note=" ", acting_user=staff)
        bank_entry_return(entry=entry, note="Meant for another company", acting_user=staff)
        entry.refresh_from_db()
    assert entry.status == "returned" and entry.note == "Meant for another company"
    assert suspense() == 0
    assert balance(network_account(AccountKind.REFUNDS)) == Decimal("75.00")
    with scopes_disabled():
        assert BankEntry.objects.filter(status="returned", return_payout__isnull=True).count() == 1


def test_a_euro_entry_cannot_pay_an_order_and_never_enters_the_dollar_books():
    order, *_rest = ordered("prepaid")
    staff = operator()
    imported(camt053([credit("75.00", currency="EUR")]), staff)
    with scopes_disabled(), pytest.raises(BankEntryNotMatchable):
        bank_entry_match(entry=BankEntry.objects.get(), purchase_order=order, acting_user=staff)
    with scopes_disabled():
        entry = BankEntry.objects.get()
        assert entry.status == BankEntry.Status.UNMATCHED and "EUR" in entry.note
        assert (bank(), suspense()) == (0, 0)
        assert not LedgerTransaction.objects.exists()
        # Returned through the bank in euros: the dollar payout file does not pay it back.
        bank_entry_return(entry=entry, note="Sent in EUR to a USD account.", acting_user=staff)
        run = payout_run_execute()
        assert BankEntry.objects.get().status == BankEntry.Status.RETURNED
        assert not Payout.objects.filter(run=run).exists()
        assert not LedgerTransaction.objects.exists()


def test_a_debit_that_is_no_payout_of_ours_is_ignored():
    imported(camt053([debit("120.00", end_to_end_id="SOMEONE-ELSE")]), operator())
    with scopes_disabled():
        entry = BankEntry.objects.get()
    assert entry.status == "ignored" and suspense() == 0
    with scopes_disabled():
        assert not LedgerTransaction.objects.exists()


def test_pending_entries_are_not_booked():
    order, *_rest = ordered("prepaid")
    result = imported(
        camt053([credit("10.00", reference=reference(order), status="PDNG")]), operator()
    )
    assert result.statement.entry_count == 0 and not result.entries


def test_only_operators_import_and_bad_files_are_refused():
    order, store, user, _maple, _owner = ordered("prepaid")
    with scopes_disabled(), pytest.raises(PaymentPermissionDenied):
        statement_import(data=camt053([]), filename="s.xml", acting_user=user)
    for data in (b"<x/>", b"%PDF-1.4", camt053([])[:-20]):
        with scopes_disabled(), pytest.raises(StatementInvalid):
            statement_import(data=data, filename="s.xml", acting_user=operator())


def test_the_payment_received_webhook_goes_to_the_buyer(django_capture_on_commit_callbacks):
    from network.services import webhook_endpoint_create

    order, store, _user, _maple, _owner = ordered("prepaid")
    with scopes_disabled():
        webhook_endpoint_create(
            organization=store,
            url="https://erp.example.com/hooks",
            events=["payment.received"],
            acting_user=member(store, Role.OWNER),
        )
    imported(camt053([credit("100.00", reference=reference(order))]), operator())
    with scopes_disabled():
        delivery = WebhookDelivery.objects.get(event="payment.received")
    assert delivery.organization_id == store.pk
    assert delivery.payload["purchase_order"] == order.number
    assert delivery.payload["amount_usd"] == "100.00"
    assert delivery.payload["owed_usd"] == str(order.total_usd - Decimal("100.00"))


def test_references_are_found_in_structured_and_free_text():
    [entry] = camt_parse(
        camt053([credit("1.00", text="PO RF18 5390 0754 7034 AND RF00BAD")])
    ).entries
    valid, invalid = references_in(entry)
    assert valid == ["RF18539007547034"] and invalid == ["RF00BAD"]


def test_other_messages_are_not_statements():
    with pytest.raises(CamtError):
        camt_parse(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"></Document>')


def test_the_buyer_is_told_in_its_own_language(django_capture_on_commit_callbacks):
    from tests.orders.factories import merchant

    maple = merchant()
    order, store, _user, _maple, _owner = ordered("prepaid", maple=maple)
    member(store, Role.OWNER, language="zh-hans", email="wang.li@westlake.example")
    with django_capture_on_commit_callbacks(execute=True):
        imported(camt053([credit(order.total_usd, reference=reference(order))]), operator())
    chinese = [m for m in mail.outbox if m.to == ["wang.li@westlake.example"]]
    assert chinese and "已收到" in chinese[0].subject and order.number in chinese[0].subject
    assert "托管" in chinese[0].body
