"""Two operators upload at the same moment: the same statement twice, or a notification and the
day's statement reporting the same entry. Each on its own connection; the entry is credited
once and the buyer's money is counted once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from payments.camt_samples import camt053, camt054, credit
from payments.models import BankEntry, BankStatement, LedgerTransaction
from tests.factories import operator
from tests.payments.bank_world import bank, escrow, imported, ordered, reference

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _at_once(files: list[bytes], staff) -> list:
    barrier = threading.Barrier(len(files), timeout=30)

    def run(data: bytes):
        try:
            barrier.wait()
            return imported(data, staff)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(files)) as pool:
        return list(pool.map(run, files))


def test_two_imports_of_the_same_statement_at_once_credit_once():
    order, _store, _user, maple, _owner = ordered("prepaid")
    staff = operator()
    data = camt053([credit(order.total_usd, reference=reference(order))])
    results = _at_once([data, data], staff)
    assert sorted(r.already_imported for r in results) == [False, True]
    assert escrow(order, maple) == order.total_usd and bank() == order.total_usd
    with scopes_disabled():
        assert BankStatement.objects.count() == 1 and BankEntry.objects.count() == 1
        assert LedgerTransaction.objects.filter(kind="payment_received").count() == 1


def test_a_notification_and_the_statement_at_once_credit_the_entry_once():
    order, _store, _user, maple, _owner = ordered("prepaid")
    staff = operator()
    entry = credit(order.total_usd, reference=reference(order))
    results = _at_once([camt054([entry]), camt053([entry], version="02")], staff)
    assert sorted(r.matched for r in results) == [0, 1]
    assert sorted(r.known for r in results) == [0, 1]
    assert escrow(order, maple) == order.total_usd and bank() == order.total_usd
    with scopes_disabled():
        assert BankStatement.objects.count() == 2 and BankEntry.objects.count() == 1
