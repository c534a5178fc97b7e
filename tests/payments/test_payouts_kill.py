"""A worker killed (``kill -9``) half-way through the payout run: the run started again
completes the same run and pays no one twice; two workers running it at once pay no one twice
either."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from payments import ledger
from payments.models import AccountKind, LedgerTransaction, Payout, PayoutRun, TransactionKind
from payments.services.payouts import payout_run_execute, week_of
from tests.payments.payouts_factories import owed, paid_merchant, release

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_a_run_killed_after_its_first_payout_pays_no_one_twice_when_run_again():
    merchants = [paid_merchant(name)[0] for name in ("Maple Co.", "Vermont Co.", "Ohio Co.")]
    for n, merchant in enumerate(merchants):
        release(merchant, Decimal("100.00") * (n + 1))

    worker = subprocess.run(
        [sys.executable, "-m", "tests.payments.payout_run_killed"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _database_url(), "CELERY_TASK_ALWAYS_EAGER": "false"},
        capture_output=True,
        timeout=120,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr.decode()[-2000:]

    with scopes_disabled():
        (run,) = PayoutRun.objects.all()
        assert run.status == PayoutRun.Status.BUILDING
        (first,) = Payout.objects.filter(run=run)
    assert owed(first.organization) == Decimal("0.00")  # its payout and its posting committed

    again = payout_run_execute(week=run.week)

    assert again.pk == run.pk
    assert again.status == PayoutRun.Status.READY
    with scopes_disabled():
        payouts = list(Payout.objects.filter(run=run))
        sent = LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_SENT)
        assert sent.count() == 3
    assert sorted(p.organization_id for p in payouts) == sorted(m.pk for m in merchants)
    assert sorted(p.amount_usd for p in payouts) == [
        Decimal("100.00"),
        Decimal("200.00"),
        Decimal("300.00"),
    ]
    assert all(owed(m) == Decimal("0.00") for m in merchants)
    in_transit = ledger.balance(ledger.network_account(AccountKind.PAYOUTS_IN_TRANSIT))
    assert in_transit == Decimal("600.00")
    assert again.payout_count == 3


@pytest.mark.concurrency
def test_two_runs_of_one_week_at_once_pay_each_merchant_once():
    merchants = [paid_merchant(f"Merchant {n}")[0] for n in range(4)]
    for merchant in merchants:
        release(merchant, "25.00")
    week = week_of(datetime.date(2026, 12, 9))
    barrier = threading.Barrier(4, timeout=60)

    def run(_n):
        barrier.wait()
        try:
            return payout_run_execute(week=week).pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = set(pool.map(run, range(4)))

    assert len(runs) == 1
    with scopes_disabled():
        payouts = list(Payout.objects.all())
        assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_SENT).count() == 4
        assert PayoutRun.objects.get().status == PayoutRun.Status.READY
    assert sorted(p.organization_id for p in payouts) == sorted(m.pk for m in merchants)
    assert all(owed(m) == Decimal("0.00") for m in merchants)
