"""What beat's re-drives pick up: only work whose task was lost, never work in hand.

Purchase orders: placed over the threshold ago and still not fanned out — not a fresh one, not
one already fanned out, not a cancelled one. Bookings: an unsent carrier message with no live
lease. The re-drive tasks enqueue exactly those ids, for any organisation (they run as the
system), and the work they enqueue is idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Role
from orders import services as order_services
from shipping import services as shipping_services
from tests.factories import OrganizationFactory, member
from tests.orders import factories as order_factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(settings):
    from network.celery import app

    # Placed without running the fan-out, as when its task is lost.
    broker_url = app.conf.broker_url
    app.conf.task_always_eager = False
    settings.CELERY_BROKER_URL = "memory://"
    app.conf.broker_url = "memory://"
    app._pool = None
    app.amqp._producer_pool = None
    buyer_org, buyer_user = order_factories.buyer()
    teammate = member(buyer_org, Role.BUYER)
    maple, maple_owner = order_factories.merchant("Great Lakes Maple Co.")
    syrup = order_factories.sku(maple, maple_owner, code="MAPLE-500")
    orders = [
        order_factories.place(buyer_org, person, [(syrup, 12)])
        for person in (buyer_user, teammate, buyer_user)
    ]
    yield orders, buyer_user
    app.conf.task_always_eager = True
    app.conf.broker_url = broker_url
    app._pool = None
    app.amqp._producer_pool = None


def test_only_purchase_orders_left_unfanned_are_re_driven(placed):
    from orders.models import PurchaseOrder, PurchaseOrderStatus

    (lost, fanned, cancelled), _buyer_user = placed
    with scopes_disabled():
        PurchaseOrder.objects.update(placed_at=timezone.now() - timedelta(minutes=5))
        order_factories.fan_out(fanned)
        PurchaseOrder.objects.filter(pk=cancelled.pk).update(status=PurchaseOrderStatus.CANCELLED)
    due = order_services.purchase_orders_awaiting_fan_out_ids(older_than=timedelta(minutes=2))
    assert due == [lost.pk]
    # A fresh order is still in its own task's hands.
    assert order_services.purchase_orders_awaiting_fan_out_ids(older_than=timedelta(hours=1)) == []


def test_the_re_drive_fans_out_once_however_often_it_runs(placed):
    from network.celery import app
    from orders.models import MerchantOrder
    from orders.tasks import redrive_purchase_order_fan_outs

    orders, _buyer_user = placed
    app.conf.task_always_eager = True
    assert redrive_purchase_order_fan_outs(older_than_seconds=0) == 3
    assert redrive_purchase_order_fan_outs(older_than_seconds=0) == 0
    with scopes_disabled():
        for order in orders:
            assert MerchantOrder.objects.filter(purchase_order=order).count() == 1


def test_only_bookings_with_an_unsent_message_and_no_live_lease_are_re_driven():
    from shipping.models import Booking
    from tests.shipping.factories import SailingFactory, approve, request_booking

    maple = OrganizationFactory(name="Great Lakes Maple Co.")
    approve(maple)
    owner, teammate = member(maple, Role.OWNER), member(maple, Role.STAFF)
    rival = OrganizationFactory(name="Cascadia Botanicals")
    approve(rival, legal_name="Cascadia Botanicals Inc.")
    outsider = member(rival, Role.OWNER)
    sailing = SailingFactory()
    with scopes_disabled():
        sent = request_booking(maple, sailing, owner, units=1)
        lost = request_booking(maple, sailing, teammate, units=1)
        leased = request_booking(rival, sailing, outsider, units=1)
        now = timezone.now()
        Booking.objects.filter(pk=sent.pk).update(carrier_sync="")
        Booking.objects.filter(pk__in=[lost.pk, leased.pk]).update(carrier_sync="submit")
        Booking.objects.filter(pk=leased.pk).update(carrier_lease_until=now + timedelta(minutes=2))
        Booking.objects.update(updated_at=now - timedelta(minutes=5))
    ids = shipping_services.bookings_awaiting_sync_ids(older_than=timedelta(minutes=2))
    assert ids == [lost.pk]
    with scopes_disabled():
        Booking.objects.filter(pk=leased.pk).update(carrier_lease_until=now - timedelta(seconds=1))
    ids = shipping_services.bookings_awaiting_sync_ids(older_than=timedelta(minutes=2))
    assert sorted(ids) == sorted([lost.pk, leased.pk])
