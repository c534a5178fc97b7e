"""Merchant order state machine: every transition legal and illegal, per-line acceptance,
stock released on rejection, cancellation and expiry, stock committed on shipment, and the
purchase order's status derived from its merchant orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import InventoryLedger, LedgerReason
from merchants.errors import MerchantNotApproved
from merchants.models import ApplicationStatus, MerchantApplication
from network.models import AuditEvent, Role
from orders import services, tasks
from orders.errors import IllegalOrderTransition, OrderPermissionDenied
from orders.models import LineStatus, MerchantOrder, PurchaseOrderLine
from orders.models import MerchantOrderStatus as S
from orders.models import PurchaseOrderStatus as P
from tests.factories import member, operator
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maple, owner = merchant("Great Lakes Maple Co.")
    syrup = sku(maple, owner, code="MAPLE-500", on_hand=100_000)
    candy = sku(maple, owner, code="MAPLE-CANDY", title="Maple candy", on_hand=100_000)
    store, wang = buyer()
    return {
        "maple": maple,
        "owner": owner,
        "syrup": syrup,
        "candy": candy,
        "store": store,
        "wang": wang,
    }


def _order(world, items=None):
    purchase_order = place(
        world["store"], world["wang"], items or [(world["syrup"], 48), (world["candy"], 12)]
    )
    fan_out(purchase_order)
    return merchant_order_of(purchase_order, world["maple"])


def _drive(world, merchant_order, target: str):
    """Take a pending merchant order to ``target`` through the services."""
    owner = world["owner"]
    path = {
        S.PENDING: [],
        S.ACCEPTED: ["accept"],
        S.REJECTED: ["reject"],
        S.PACKED: ["accept", "pack"],
        S.SHIPPED: ["accept", "pack", "ship"],
        S.DELIVERED: ["accept", "pack", "ship", "deliver"],
        S.CLOSED: ["accept", "pack", "ship", "deliver", "close"],
        S.CANCELLED: ["cancel"],
    }[target]
    for step in path:
        merchant_order = _act(world, merchant_order, step, owner)
    return merchant_order


def _act(world, merchant_order, action: str, user=None):
    user = user or world["owner"]
    if action == "accept":
        return services.merchant_order_accept(merchant_order=merchant_order, acting_user=user)
    if action == "reject":
        return services.merchant_order_reject(
            merchant_order=merchant_order, reason="Out of season", acting_user=user
        )
    if action == "pack":
        return services.merchant_order_pack(merchant_order=merchant_order, acting_user=user)
    if action == "ship":
        return services.merchant_order_ship(
            merchant_order=merchant_order,
            carrier_name="Maersk",
            tracking_number="1Z999",
            acting_user=user,
        )
    if action == "deliver":
        return services.merchant_order_mark_delivered(
            merchant_order=merchant_order, acting_user=user
        )
    if action == "close":
        return services.merchant_order_close(
            merchant_order=merchant_order, acting_user=world["wang"]
        )
    if action == "cancel":
        return services.merchant_order_cancel(
            merchant_order=merchant_order, reason="Cannot supply", acting_user=user
        )
    raise AssertionError(action)


LEGAL = {
    "accept": {S.PENDING: S.ACCEPTED},
    "reject": {S.PENDING: S.REJECTED},
    "pack": {S.ACCEPTED: S.PACKED},
    "ship": {S.PACKED: S.SHIPPED},
    "deliver": {S.SHIPPED: S.DELIVERED},
    "close": {S.DELIVERED: S.CLOSED},
    "cancel": {S.PENDING: S.CANCELLED, S.ACCEPTED: S.CANCELLED, S.PACKED: S.CANCELLED},
}


@pytest.mark.slow
def test_every_transition_is_legal_or_refused_exactly_as_the_state_machine_says(world):
    wrong = []
    for action, legal in LEGAL.items():
        for status in S.values:
            merchant_order = _drive(world, _order(world), status)
            assert merchant_order.status == status
            if status in legal:
                result = _act(world, merchant_order, action)
                if result.status != legal[status]:
                    wrong.append((action, status, result.status))
            else:
                try:
                    _act(world, merchant_order, action)
                except IllegalOrderTransition as error:
                    assert error.status == 409
                else:
                    wrong.append((action, status, "allowed"))
    assert wrong == []
    with scopes_disabled():
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "merchant_order.accepted",
        "merchant_order.rejected",
        "merchant_order.packed",
        "merchant_order.shipped",
        "merchant_order.delivered",
        "merchant_order.closed",
        "merchant_order.cancelled",
    } <= actions


def test_accepting_some_lines_rejects_the_others_and_releases_their_stock(world):
    merchant_order = _order(world)
    with scopes_disabled():
        syrup_line = PurchaseOrderLine.objects.get(sku=world["syrup"])
    services.merchant_order_accept(
        merchant_order=merchant_order, line_ids=[syrup_line.pk], acting_user=world["owner"]
    )
    merchant_order.refresh_from_db()
    assert merchant_order.status == S.ACCEPTED
    assert merchant_order.subtotal_usd == Decimal("7.90") * 48
    with scopes_disabled():
        statuses = dict(PurchaseOrderLine.objects.values_list("sku_code", "status"))
    assert statuses == {"MAPLE-500": LineStatus.ACCEPTED, "MAPLE-CANDY": LineStatus.REJECTED}
    assert stock(world["syrup"]).reserved == 48
    assert stock(world["candy"]).reserved == 0


def test_accepting_no_line_or_a_foreign_line_is_refused(world):
    merchant_order = _order(world)
    other = _order(world)
    with scopes_disabled():
        foreign = PurchaseOrderLine.objects.filter(merchant_order=other).first()
    with pytest.raises(IllegalOrderTransition, match="Accept at least one line"):
        services.merchant_order_accept(
            merchant_order=merchant_order, line_ids=[], acting_user=world["owner"]
        )
    with pytest.raises(IllegalOrderTransition, match="not part of this order"):
        services.merchant_order_accept(
            merchant_order=merchant_order, line_ids=[foreign.pk], acting_user=world["owner"]
        )


def test_rejection_and_cancellation_release_the_stock_with_ledger_entries(world):
    rejected = _order(world)
    cancelled = _drive(world, _order(world), S.PACKED)
    assert stock(world["syrup"]).reserved == 96
    _act(world, rejected, "reject")
    _act(world, cancelled, "cancel")
    assert (stock(world["syrup"]).reserved, stock(world["syrup"]).on_hand) == (0, 100_000)
    assert stock(world["candy"]).reserved == 0
    with scopes_disabled():
        released = InventoryLedger.objects.filter(sku=world["syrup"], reason=LedgerReason.RELEASED)
        assert released.count() == 2
        assert set(released.values_list("note", flat=True)) == {rejected.number, cancelled.number}


def test_shipping_takes_the_units_out_of_stock(world):
    merchant_order = _drive(world, _order(world), S.SHIPPED)
    assert (stock(world["syrup"]).on_hand, stock(world["syrup"]).reserved) == (99_952, 0)
    assert (stock(world["candy"]).on_hand, stock(world["candy"]).reserved) == (99_988, 0)
    assert merchant_order.carrier_name == "Maersk"
    with scopes_disabled():
        entry = InventoryLedger.objects.get(sku=world["syrup"], reason=LedgerReason.SHIPPED)
        assert set(PurchaseOrderLine.objects.values_list("status", flat=True)) == {"shipped"}
    assert (entry.on_hand_before, entry.on_hand_after) == (100_000, 99_952)


def test_shipping_needs_a_carrier(world):
    merchant_order = _drive(world, _order(world), S.PACKED)
    with pytest.raises(IllegalOrderTransition, match="Name the carrier"):
        services.merchant_order_ship(
            merchant_order=merchant_order, carrier_name=" ", acting_user=world["owner"]
        )


def test_unaccepted_orders_expire_by_beat_and_release_stock(
    world, settings, django_capture_on_commit_callbacks
):
    settings.ORDERS_ACCEPT_WITHIN_DAYS = 2
    overdue = _order(world)
    fresh = _order(world)
    accepted = _drive(world, _order(world), S.ACCEPTED)
    with scopes_disabled():
        MerchantOrder.objects.filter(pk__in=[overdue.pk, accepted.pk]).update(
            accept_by=timezone.now() - timedelta(minutes=1)
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_unaccepted_merchant_orders.delay().get() == 1
    assert tasks.expire_unaccepted_merchant_orders.delay().get() == 0  # twice = once
    overdue.refresh_from_db()
    fresh.refresh_from_db()
    assert overdue.status == S.CANCELLED
    assert overdue.status_reason == "Not accepted within 2 days."
    assert fresh.status == S.PENDING
    assert stock(world["syrup"]).reserved == 96  # the fresh and the accepted order
    assert {m.to[0] for m in mail.outbox} == {world["wang"].email, world["owner"].email}
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="merchant_order.expired").count() == 1
    _ = accepted


def test_only_the_merchants_staff_handle_its_orders(world):
    merchant_order = _order(world)
    viewer = member(world["maple"], Role.VIEWER)
    stranger_org, stranger = merchant("Cascadia Botanicals")
    for user in (viewer, stranger, world["wang"]):
        with pytest.raises(OrderPermissionDenied):
            services.merchant_order_accept(merchant_order=merchant_order, acting_user=user)
    staff = member(world["maple"], Role.STAFF)
    assert (
        services.merchant_order_accept(merchant_order=merchant_order, acting_user=staff).status
        == S.ACCEPTED
    )


def test_a_suspended_merchant_cannot_accept(world):
    merchant_order = _order(world)
    with scopes_disabled():
        MerchantApplication.objects.filter(organization=world["maple"]).update(
            status=ApplicationStatus.SUSPENDED
        )
    with pytest.raises(MerchantNotApproved):
        services.merchant_order_accept(merchant_order=merchant_order, acting_user=world["owner"])


def test_the_buyer_may_cancel_only_before_acceptance_and_operators_before_shipment(world):
    pending = _order(world)
    accepted = _drive(world, _order(world), S.ACCEPTED)
    wang = world["wang"]
    assert (
        services.merchant_order_cancel(
            merchant_order=pending, reason="Changed plan", acting_user=wang
        ).status
        == S.CANCELLED
    )
    with pytest.raises(IllegalOrderTransition, match="has accepted this order"):
        services.merchant_order_cancel(merchant_order=accepted, reason="x", acting_user=wang)
    olivia = operator()
    assert (
        services.merchant_order_cancel(
            merchant_order=accepted, reason="Counterfeit report", acting_user=olivia
        ).status
        == S.CANCELLED
    )
    shipped = _drive(world, _order(world), S.SHIPPED)
    with pytest.raises(IllegalOrderTransition):
        services.merchant_order_cancel(merchant_order=shipped, reason="x", acting_user=olivia)


def test_the_buyer_cancels_a_whole_purchase_order_before_any_acceptance(world):
    purchase_order = place(world["store"], world["wang"], [(world["syrup"], 48)])
    # Not even split yet: its lines hold the stock.
    services.purchase_order_cancel(
        purchase_order=purchase_order, reason="Duplicate", acting_user=world["wang"]
    )
    assert stock(world["syrup"]).reserved == 0
    assert fan_out(purchase_order) == []  # a late fan-out does nothing
    split = _order(world)
    _act(world, split, "accept")
    with pytest.raises(IllegalOrderTransition, match="already accepted"):
        services.purchase_order_cancel(
            purchase_order=split.purchase_order, reason="", acting_user=world["wang"]
        )


DERIVATION = [
    ([], P.PLACED),
    ([S.PENDING, S.PENDING], P.PLACED),
    ([S.PENDING, S.REJECTED], P.PLACED),
    ([S.PENDING, S.ACCEPTED], P.PARTLY_ACCEPTED),
    ([S.PENDING, S.SHIPPED], P.PARTLY_ACCEPTED),
    ([S.ACCEPTED, S.ACCEPTED], P.IN_FULFILMENT),
    ([S.ACCEPTED, S.REJECTED], P.IN_FULFILMENT),
    ([S.PACKED, S.SHIPPED], P.IN_FULFILMENT),
    ([S.SHIPPED, S.SHIPPED], P.SHIPPED),
    ([S.SHIPPED, S.DELIVERED, S.CANCELLED], P.SHIPPED),
    ([S.CLOSED, S.DELIVERED], P.SHIPPED),
    ([S.CLOSED, S.CLOSED, S.REJECTED], P.COMPLETED),
    ([S.CLOSED], P.COMPLETED),
    ([S.REJECTED, S.CANCELLED], P.CANCELLED),
    ([S.REJECTED], P.CANCELLED),
]


@pytest.mark.parametrize(("merchant_statuses", "expected"), DERIVATION)
def test_purchase_order_status_derivation_table(merchant_statuses, expected):
    assert services.derive_status(merchant_statuses) == expected


def test_the_stored_purchase_order_status_follows_its_merchant_orders(world):
    cheese, cheese_owner = merchant("Driftless Cheese Makers")
    cheddar = sku(cheese, cheese_owner, code="CHEDDAR", title="Aged cheddar")
    purchase_order = place(world["store"], world["wang"], [(world["syrup"], 12), (cheddar, 12)])
    fan_out(purchase_order)
    maple_part = merchant_order_of(purchase_order, world["maple"])
    cheese_part = merchant_order_of(purchase_order, cheese)

    def status():
        with scopes_disabled():
            purchase_order.refresh_from_db()
        return purchase_order.status

    assert status() == P.PLACED
    _act(world, maple_part, "accept")
    assert status() == P.PARTLY_ACCEPTED
    services.merchant_order_reject(
        merchant_order=cheese_part, reason="Sold out", acting_user=cheese_owner
    )
    assert status() == P.IN_FULFILMENT
    _act(world, maple_part, "pack")
    _act(world, maple_part, "ship")
    assert status() == P.SHIPPED
    _act(world, maple_part, "deliver")
    _act(world, maple_part, "close")
    assert status() == P.COMPLETED


def test_a_move_not_in_the_table_is_refused_by_the_shared_mechanism(world):
    from network import transitions

    merchant_order = _order(world)
    with pytest.raises(transitions.IllegalTransition) as error:
        services.merchant_order_pack(merchant_order=merchant_order, acting_user=world["owner"])
    assert error.value.code == "illegal_transition"
    assert str(error.value) == (
        "Only an accepted merchant order can be packed; this one is awaiting acceptance."
    )
    merchant_order.refresh_from_db()
    assert merchant_order.status == S.PENDING
    assert services.TRANSITIONS["pack"].from_statuses == {S.ACCEPTED}
