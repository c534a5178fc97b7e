"""The movements of ``catalog.stock``: each writes a ledger entry that balances the row's
change, rows are locked and written in primary-key order, on hand never goes below reserved,
and the low-stock alert goes out once, when the available stock crosses the threshold."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from catalog import stock
from catalog.errors import InvalidStockChange
from catalog.models import SKU, Inventory, InventoryLedger
from network.models import Notification
from tests.mailbox import mailed
from tests.orders.factories import merchant
from tests.orders.factories import sku as orderable_sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def maple():
    return merchant()


def _row(sku: SKU) -> tuple[int, int]:
    with scopes_disabled():
        row = Inventory.objects.get(sku=sku)
    return row.on_hand, row.reserved


def _ledger(sku: SKU) -> list[tuple[str, int, int, int, int]]:
    with scopes_disabled():
        return list(
            InventoryLedger.objects.filter(sku=sku)
            .order_by("pk")
            .values_list(
                "reason", "on_hand_before", "on_hand_after", "reserved_before", "reserved_after"
            )
        )


def _locked(organization, sku: SKU) -> tuple[int, int, int, int, bool, int]:
    """The row as the bulk API reads it, locked."""
    code, (sku_id, on_hand, reserved, threshold, active, product_id) = next(
        iter(stock.stock_lock_codes(organization, [sku.code]).items())
    )
    assert code == sku.code
    return sku_id, on_hand, reserved, threshold, active, product_id


def test_every_movement_writes_a_ledger_entry_that_balances(maple):
    organization, owner = maple
    syrup = orderable_sku(organization, owner, code="SYRUP", on_hand=100)
    with scopes_disabled():
        stock.stock_set(sku=syrup, on_hand=120, reason="received", acting_user=owner)
        stock.stock_set(sku=syrup, delta=-5, reason="damaged", acting_user=owner)
        stock.stock_reserve({syrup.pk: 30}, note="PO-1", acting_user=owner)
        stock.stock_release({syrup.pk: 10}, note="PO-1", acting_user=owner)
        stock.stock_ship({syrup.pk: 20}, note="MO-1", acting_user=owner)
        sku_id, on_hand, reserved, threshold, active, product_id = _locked(organization, syrup)
        stock.stock_set_many(
            organization=organization,
            changes=[
                stock.OnHandChange(sku_id, on_hand, 60, reserved, active, threshold, product_id)
            ],
            reason="count",
            note="",
            acting_user=owner,
        )
        stock.stock_import(
            organization=organization,
            rows=[stock.ImportedStock(syrup.pk, 70, -1)],
            existing_sku_ids=[syrup.pk],
            acting_user=owner,
        )
    entries = _ledger(syrup)
    assert entries == [
        ("count", 0, 100, 0, 0),
        ("received", 100, 120, 0, 0),
        ("damaged", 120, 115, 0, 0),
        ("reserved", 115, 115, 0, 30),
        ("released", 115, 115, 30, 20),
        ("shipped", 115, 95, 20, 0),
        ("count", 95, 60, 0, 0),
        ("import", 60, 70, 0, 0),
    ]
    # Each entry starts where the one before ended, and the last ends where the row is.
    for before, after in zip(entries, entries[1:], strict=False):
        assert (after[1], after[3]) == (before[2], before[4])
    assert _row(syrup) == (entries[-1][2], entries[-1][4]) == (70, 0)


def test_a_movement_that_changes_nothing_writes_no_ledger_entry(maple):
    organization, owner = maple
    syrup = orderable_sku(organization, owner, code="SYRUP", on_hand=100)
    with scopes_disabled():
        stock.stock_set(sku=syrup, on_hand=100, reason="count", acting_user=owner)
        stock.stock_reserve({syrup.pk: 0}, note="", acting_user=owner)
    assert len(_ledger(syrup)) == 1  # the opening stock only


def test_rows_are_locked_and_written_in_primary_key_order(maple):
    organization, owner = maple
    first, second, third = (
        orderable_sku(organization, owner, code=f"SYRUP-{n}", on_hand=100) for n in range(3)
    )
    assert first.pk < second.pk < third.pk
    with scopes_disabled(), CaptureQueriesContext(connection) as queries:
        locked = stock.stock_lock([third.pk, first.pk, second.pk])
        stock.stock_reserve(
            {third.pk: 12, first.pk: 12, second.pk: 12}, note="PO-1", acting_user=owner
        )
    assert list(locked) == [first.pk, second.pk, third.pk]
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locks and all('ORDER BY "catalog_inventory"."sku_id" ASC' in sql for sql in locks)
    # The locked rows are written by one statement, in the same order.
    updates = [q["sql"] for q in queries.captured_queries if "UPDATE catalog_inventory" in q["sql"]]
    assert len(updates) == 1
    assert f"ARRAY[{first.pk},{second.pk},{third.pk}]::bigint[]" in updates[0]
    with CaptureQueriesContext(connection) as queries:
        stock.stock_lock_codes(organization, [third.code, first.code])
    assert "ORDER BY i.sku_id" in queries.captured_queries[0]["sql"]


def test_on_hand_never_goes_below_reserved(maple):
    organization, owner = maple
    syrup = orderable_sku(organization, owner, code="SYRUP", on_hand=100)
    with scopes_disabled():
        stock.stock_reserve({syrup.pk: 60}, note="PO-1", acting_user=owner)
        with pytest.raises(InvalidStockChange, match="60 units are reserved"):
            stock.stock_set(sku=syrup, on_hand=59, reason="count", acting_user=owner)
        with pytest.raises(InvalidStockChange, match="60 units are reserved"):
            stock.stock_set(sku=syrup, delta=-41, reason="damaged", acting_user=owner)
        with pytest.raises(InvalidStockChange):
            stock.stock_set_many(
                organization=organization,
                changes=[stock.OnHandChange(syrup.pk, 100, 59, 60, True, 0, syrup.product_id)],
                reason="count",
                note="",
                acting_user=owner,
            )
        with pytest.raises(InvalidStockChange, match="60 units are reserved"):
            stock.stock_import(
                organization=organization,
                rows=[stock.ImportedStock(syrup.pk, 10, -1)],
                existing_sku_ids=[syrup.pk],
                acting_user=owner,
            )
        with pytest.raises(InvalidStockChange) as caught:
            stock.stock_reserve({syrup.pk: 41}, note="PO-2", acting_user=owner)
        assert caught.value.code == "insufficient_stock"
        # Releasing or shipping more than is held takes out only what is held.
        stock.stock_release({syrup.pk: 500}, note="PO-1", acting_user=owner)
    assert _row(syrup) == (100, 0)
    assert _ledger(syrup)[-1] == ("released", 100, 100, 60, 0)


def test_the_low_stock_alert_goes_out_once_when_crossing(maple, django_capture_on_commit_callbacks):
    organization, owner = maple
    syrup = orderable_sku(organization, owner, code="SYRUP", on_hand=100)

    def alerts():
        with scopes_disabled():
            return Notification.objects.filter(kind="catalog.low_stock").count()

    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        stock.stock_set(
            sku=syrup, on_hand=100, low_stock_threshold=20, reason="count", acting_user=owner
        )
        stock.stock_set(sku=syrup, delta=-70, reason="damaged", acting_user=owner)  # 30 left
        assert alerts() == 0
        stock.stock_set(sku=syrup, delta=-10, reason="damaged", acting_user=owner)  # 20: crosses
        assert alerts() == 1
        stock.stock_set(sku=syrup, delta=-5, reason="damaged", acting_user=owner)  # below
        assert alerts() == 1
        sku_id, on_hand, reserved, threshold, active, product_id = _locked(organization, syrup)
        stock.stock_set_many(  # still below: no second alert
            organization=organization,
            changes=[
                stock.OnHandChange(sku_id, on_hand, 10, reserved, active, threshold, product_id)
            ],
            reason="count",
            note="",
            acting_user=owner,
        )
        assert alerts() == 1
        stock.stock_set(sku=syrup, on_hand=80, reason="received", acting_user=owner)  # above
        sku_id, on_hand, reserved, threshold, active, product_id = _locked(organization, syrup)
        stock.stock_set_many(  # crosses again: a second alert
            organization=organization,
            changes=[
                stock.OnHandChange(sku_id, on_hand, 20, reserved, active, threshold, product_id)
            ],
            reason="count",
            note="",
            acting_user=owner,
        )
        assert alerts() == 2
        # A spreadsheet import counts the same way.
        stock.stock_set(sku=syrup, on_hand=80, reason="received", acting_user=owner)
        for figure in (20, 10):
            stock.stock_import(
                organization=organization,
                rows=[stock.ImportedStock(syrup.pk, figure, -1)],
                existing_sku_ids=[syrup.pk],
                acting_user=owner,
            )
        assert alerts() == 3
    assert len(mailed()) == 3
    assert all("SYRUP" in message.subject for message in mailed())


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_callers_naming_the_same_skus_in_different_orders_never_deadlock():
    """Reservations, releases, shipments and counts run at once on other connections, each
    naming the same SKUs in its own order: every movement locks in primary-key order, so none
    deadlocks, and each SKU's ledger is one unbroken chain ending at what its row holds."""
    import threading

    from django.db import transaction
    from django.db.models import F

    organization, owner = merchant()
    skus = [orderable_sku(organization, owner, code=f"RACE-{n}", on_hand=600) for n in range(4)]
    ids = [s.pk for s in skus]
    errors: list[BaseException] = []
    barrier = threading.Barrier(4, timeout=60)

    def run(work):
        try:
            barrier.wait()
            for round_number in range(8):
                with transaction.atomic():
                    work(round_number)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    def order(offset, round_number):
        # A different order of the same SKUs for each caller and round.
        turned = ids[(offset + round_number) % len(ids) :] + ids[: (offset + round_number) % 4]
        return turned if (offset + round_number) % 2 else list(reversed(turned))

    def buyer(offset):
        def work(round_number):
            chosen = order(offset, round_number)
            stock.stock_reserve({i: 12 for i in chosen}, note="PO", acting_user=owner)
            stock.stock_release({i: 6 for i in reversed(chosen)}, note="PO", acting_user=owner)
            stock.stock_ship({i: 3 for i in chosen[:2]}, note="MO", acting_user=owner)

        return work

    def counter(round_number):
        codes = [s.code for s in skus]
        codes = codes if round_number % 2 else list(reversed(codes))
        locked = stock.stock_lock_codes(organization, codes)
        changes = [
            stock.OnHandChange(
                sku_id, on_hand, on_hand + 5, reserved, active, threshold, product_id
            )
            for sku_id, on_hand, reserved, threshold, active, product_id in locked.values()
        ]
        stock.stock_set_many(
            organization=organization,
            changes=list(reversed(changes)),
            reason="received",
            note="",
            acting_user=owner,
        )

    with scopes_disabled():
        threads = [threading.Thread(target=run, args=(counter,))] + [
            threading.Thread(target=run, args=(buyer(n),)) for n in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    with scopes_disabled():
        assert not Inventory.objects.filter(reserved__gt=F("on_hand")).exists()
        for sku in skus:
            entries = _ledger(sku)
            assert len(entries) == 1 + 8 + 3 * 8 * 2 + sum(
                1 for n in range(3) for r in range(8) if sku.pk in order(n, r)[:2]
            )
            for before, after in zip(entries, entries[1:], strict=False):
                assert (after[1], after[3]) == (before[2], before[4])
            assert _row(sku) == (entries[-1][2], entries[-1][4])
