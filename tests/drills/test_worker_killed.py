"""A Celery worker killed with SIGKILL (all its processes, as when its container is killed)
in the middle of a purchase order's fan-out, and in the middle of a booking's submission to the
carrier. After a new worker starts and beat's re-drive runs, every purchase order is fanned out
exactly once and every booking reaches a final state, holding its space once.

The task is caught mid-way by holding a row lock the task needs, so the kill lands while the
task is inside its transaction; the message is then unacknowledged in Redis, as after a real
crash, and only the re-drive (or the visibility timeout, an hour later) brings it back."""

from __future__ import annotations

import psycopg2
import pytest
from django.db import connection
from django_scopes import scopes_disabled

from network.celery import app
from network.models import AuditEvent, Notification, Role
from scripts.drills.processes import celery_worker, wait_for
from tests.factories import member
from tests.orders import factories as order_factories

pytestmark = pytest.mark.django_db(transaction=True)


def _psycopg_connection():
    database = connection.settings_dict
    conn = psycopg2.connect(
        host=database["HOST"],
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname=database["NAME"],
    )
    return conn


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _unacked(redis_url: str) -> int:
    import redis

    return redis.Redis.from_url(redis_url).hlen("unacked")


def _succeeded(redis_url: str, task_name: str) -> int:
    """How many runs of the task workers counted as succeeded (``network.metrics``)."""
    import redis

    from network.metrics import TASK_COUNTS_KEY

    value = redis.Redis.from_url(redis_url).hget(TASK_COUNTS_KEY, f"{task_name}|succeeded")
    return int(value or 0)


def test_a_killed_worker_fans_out_every_purchase_order_exactly_once(
    real_broker, drill_env, tmp_path
):
    from orders.models import MerchantOrder, PurchaseOrder, PurchaseOrderLine

    buyer_org, buyer_user = order_factories.buyer()
    maple, maple_owner = order_factories.merchant("Great Lakes Maple Co.")
    member(maple, Role.ADMIN)  # a teammate who is told as well
    cider, cider_owner = order_factories.merchant("Hudson Valley Cider")
    _outsider, _outsider_owner = order_factories.merchant("Cascadia Botanicals")
    syrup = order_factories.sku(maple, maple_owner, code="MAPLE-500")
    juice = order_factories.sku(cider, cider_owner, code="CIDER-750", title="Cider 750 ml")

    # Lock the first purchase order's row before it exists elsewhere: place, then lock.
    orders = [
        order_factories.place(buyer_org, buyer_user, [(syrup, 12), (juice, 12)]) for _ in range(3)
    ]
    locker = _psycopg_connection()
    locker.cursor().execute(
        "SELECT id FROM orders_purchaseorder WHERE id = %s FOR UPDATE", [orders[0].pk]
    )

    first = celery_worker(drill_env, tmp_path / "worker-1.log", name="drill-1")
    try:
        wait_for(_waiting_on_a_lock, seconds=60, what="the fan-out to wait on the locked order")
        assert _unacked(real_broker.url) >= 1
        first.kill9()
    finally:
        locker.rollback()
        locker.close()
        if first.alive():
            first.kill9()

    with scopes_disabled():
        assert not PurchaseOrder.objects.get(pk=orders[0].pk).fanned_out_at
    assert _unacked(real_broker.url) >= 1  # the killed task's message, not yet back in line

    second = celery_worker(drill_env, tmp_path / "worker-2.log", name="drill-2")
    try:
        # What beat sends every minute; "older than 0 s" so the drill need not wait.
        app.send_task(
            "orders.tasks.redrive_purchase_order_fan_outs", kwargs={"older_than_seconds": 0}
        )
        with scopes_disabled():
            wait_for(
                lambda: not PurchaseOrder.objects.filter(fanned_out_at__isnull=True).exists(),
                seconds=90,
                what="every purchase order to be fanned out",
            )
            # Late duplicates (the original message coming back, the re-drive twice) must
            # change nothing.
            before = _succeeded(real_broker.url, "orders.tasks.purchase_order_fan_out")
            for order in orders:
                app.send_task("orders.tasks.purchase_order_fan_out", args=[order.pk])
            wait_for(
                lambda: (
                    _succeeded(real_broker.url, "orders.tasks.purchase_order_fan_out") >= before + 3
                ),
                seconds=60,
                what="the duplicate fan-outs to run",
            )
    finally:
        second.stop()

    with scopes_disabled():
        for order in orders:
            merchant_orders = MerchantOrder.objects.filter(purchase_order=order)
            assert sorted(merchant_orders.values_list("organization_id", flat=True)) == sorted(
                [maple.pk, cider.pk]
            )
            assert not PurchaseOrderLine.objects.filter(
                purchase_order=order, merchant_order__isnull=True
            ).exists()
        created = AuditEvent.objects.filter(action="merchant_order.created")
        assert created.count() == 6  # two merchant orders per purchase order, each once
        # Each merchant's owner and admin told once per merchant order, never the outsider.
        told = Notification.objects.filter(kind="orders.merchant_order_created")
        assert told.filter(organization=maple).count() == 3 * 2
        assert told.filter(organization=cider).count() == 3
        assert not told.exclude(organization__in=[maple, cider]).exists()


def test_a_killed_worker_leaves_no_booking_short_of_a_final_state(real_broker, drill_env, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from shipping.models import Booking, BookingStatus
    from tests.factories import OrganizationFactory
    from tests.shipping.factories import SailingFactory, approve, request_booking

    maple = OrganizationFactory(name="Great Lakes Maple Co.")
    approve(maple)
    owner = member(maple, Role.OWNER)
    teammate = member(maple, Role.STAFF)
    rival = OrganizationFactory(name="Cascadia Botanicals")
    approve(rival, legal_name="Cascadia Botanicals Inc.")
    sailing = SailingFactory()
    with scopes_disabled():
        bookings = [
            request_booking(maple, sailing, person, units=1) for person in (owner, teammate)
        ]
        # A booking whose earlier sender died holding the lease, after the carrier got it.
        stranded = request_booking(maple, sailing, owner, units=1)
    locker = _psycopg_connection()
    locker.cursor().execute(
        "SELECT id FROM shipping_booking WHERE id = %s FOR UPDATE", [bookings[0].pk]
    )
    first = celery_worker(drill_env, tmp_path / "worker-1.log", name="drill-1")
    try:
        wait_for(_waiting_on_a_lock, seconds=60, what="the submission to wait on the booking")
        first.kill9()
    finally:
        locker.rollback()
        locker.close()
        if first.alive():
            first.kill9()

    with scopes_disabled():
        Booking.objects.filter(pk=stranded.pk).update(
            carrier_sync="submit", carrier_lease_until=timezone.now() + timedelta(minutes=2)
        )
        # The re-drive leaves a live lease alone ...
        from shipping.services import bookings_awaiting_sync_ids

        assert stranded.pk not in bookings_awaiting_sync_ids(older_than=timedelta(0))
        # ... and takes it once it has run out (two minutes, moved forward here).
        Booking.objects.filter(pk=stranded.pk).update(
            carrier_lease_until=timezone.now() - timedelta(seconds=1)
        )

    second = celery_worker(drill_env, tmp_path / "worker-2.log", name="drill-2")
    final = {BookingStatus.CONFIRMED, BookingStatus.REJECTED, BookingStatus.DECLINED}
    try:
        app.send_task("shipping.tasks.redrive_booking_syncs", kwargs={"older_than_seconds": 0})
        with scopes_disabled():
            wait_for(
                lambda: (
                    set(Booking.objects.filter(organization=maple).values_list("status", flat=True))
                    <= final
                    and not Booking.objects.exclude(carrier_sync="").exists()
                ),
                seconds=90,
                what="every booking to reach a final state",
            )
    finally:
        second.stop()

    with scopes_disabled():
        sailing.refresh_from_db()
        now = list(Booking.objects.filter(sailing=sailing))
        assert len(now) == 3
        assert {b.organization_id for b in now} == {maple.pk}  # nothing for the rival
        assert {b.status for b in now} == {BookingStatus.CONFIRMED}
        # Each booking holds its space once, and the sailing counts each hold once.
        assert all(b.teu_held == b.teu for b in now)
        assert sailing.booked_teu == sum(b.teu_held for b in now)


def test_a_killed_pool_process_gives_its_task_back_at_once(real_broker, drill_env, tmp_path):
    """Only the pool process running the fan-out is killed: the worker sees it lost, puts the
    message back (late acknowledgement, reject on worker lost), and runs it again without
    waiting for beat."""
    import os
    import signal

    import psutil

    from orders.models import MerchantOrder, PurchaseOrder

    buyer_org, buyer_user = order_factories.buyer()
    maple, maple_owner = order_factories.merchant("Great Lakes Maple Co.")
    syrup = order_factories.sku(maple, maple_owner, code="MAPLE-500")
    order = order_factories.place(buyer_org, buyer_user, [(syrup, 12)])
    locker = _psycopg_connection()
    locker.cursor().execute(
        "SELECT id FROM orders_purchaseorder WHERE id = %s FOR UPDATE", [order.pk]
    )
    worker = celery_worker(drill_env, tmp_path / "worker.log", name="drill")
    try:
        wait_for(_waiting_on_a_lock, seconds=60, what="the fan-out to wait on the locked order")
        children = psutil.Process(worker.pid).children()
        assert len(children) == 1
        os.kill(children[0].pid, signal.SIGKILL)
        wait_for(
            lambda: "WorkerLostError" in worker.output(), seconds=30, what="the loss to be seen"
        )
        locker.rollback()
        with scopes_disabled():
            wait_for(
                lambda: PurchaseOrder.objects.get(pk=order.pk).fanned_out_at,
                seconds=60,
                what="the fan-out to run again",
            )
    finally:
        locker.rollback()
        locker.close()
        worker.stop()
    with scopes_disabled():
        assert MerchantOrder.objects.filter(purchase_order=order).count() == 1
