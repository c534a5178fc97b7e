"""A shared container's life: opened on a sailing with its own carrier booking, receiving closed
after its cut-off, merged or released when under-filled before the carrier's cancellation
deadline (every merchant told), and never carrying dangerous goods."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import (
    AuditEvent,
    Notification,
    Organization,
    WebhookDelivery,
    WebhookEndpoint,
)
from network.transitions import IllegalTransition
from shipping import services
from shipping.errors import ContainerClosed, ContainerFull, ContainerInvalid, DangerousGoodsRefused
from shipping.models import BookingStatus, ContainerStatus, Sailing, SpaceRequest
from shipping.services.consolidation import container_decide_at, container_space_totals
from tests.factories import member
from tests.shipping.containers import book_space, open_container, reload_container, reload_space
from tests.shipping.factories import SailingFactory


def test_opening_a_container_books_one_box_in_the_networks_name(sailing, operator):
    container = open_container(sailing, operator)
    booking = container.booking
    assert booking.organization.kind == Organization.Kind.OPERATOR
    assert (booking.units, booking.equipment_code) == (1, "45G1")
    assert booking.status == BookingStatus.RECEIVED
    assert booking.carrier_sync == "submit" or booking.carrier_booking_request_reference
    sailing.refresh_from_db()
    assert sailing.booked_teu == 2
    assert sailing.booked_weight_kg == 26_000
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="container.opened").count() == 1


def test_the_receiving_cutoff_must_be_before_the_carriers_cargo_cutoff(sailing, operator):
    with pytest.raises(ContainerInvalid):
        open_container(sailing, operator, receiving_cutoff=sailing.cargo_cutoff)
    with pytest.raises(ContainerInvalid):
        open_container(
            sailing, operator, receiving_cutoff=sailing.cargo_cutoff + timedelta(hours=1)
        )
    sailing.refresh_from_db()
    assert sailing.booked_teu == 0  # nothing held for a refused container


def test_the_payload_cannot_exceed_the_boxs(sailing, operator):
    with pytest.raises(ContainerInvalid):
        open_container(sailing, operator, capacity_kg=30_000)


def test_a_merchant_cannot_open_a_container(sailing, owner):
    from network.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        open_container(sailing, owner)


def test_dangerous_goods_are_refused(maple, owner, sailing, operator):
    container = open_container(sailing, operator)
    with pytest.raises(DangerousGoodsRefused) as refused:
        book_space(maple, container, owner, no_dangerous_goods=False)
    assert refused.value.code == "dangerous_goods_refused"
    assert reload_container(container).booked_m3 == 0


def test_space_is_refused_past_the_receiving_cutoff_and_the_container_closes(
    maple, owner, sailing, operator
):
    container = open_container(sailing, operator)
    book_space(maple, container, owner, volume="3.0")
    with scopes_disabled():
        type(container).objects.filter(pk=container.pk).update(
            receiving_cutoff=timezone.now() - timedelta(minutes=1)
        )
    with pytest.raises(ContainerClosed) as refused:
        book_space(maple, container, owner)
    assert refused.value.code == "container_closed"
    assert services.containers_close_receiving() == 1
    assert reload_container(container).status == ContainerStatus.CLOSED
    assert services.containers_close_receiving() == 0  # safe to run twice


def test_space_beyond_what_is_left_is_refused(maple, owner, sailing, operator):
    container = open_container(sailing, operator, capacity_m3=Decimal("10.0"), capacity_kg=5000)
    book_space(maple, container, owner, volume="8.0", weight_kg=1000)
    with pytest.raises(ContainerFull) as refused:
        book_space(maple, container, owner, volume="2.1", weight_kg=100)
    assert refused.value.code == "container_full"
    with pytest.raises(ContainerFull):
        book_space(maple, container, owner, volume="1.0", weight_kg=4001)
    book_space(maple, container, owner, volume="2.0", weight_kg=4000)
    container = reload_container(container)
    assert (container.booked_m3, container.booked_kg) == (Decimal("10.0"), 5000)


def test_cancelling_gives_the_space_back(maple, owner, sailing, operator):
    container = open_container(sailing, operator)
    space = book_space(maple, container, owner, volume="4.5", weight_kg=900)
    services.space_request_cancel(space_request=space, acting_user=owner)
    assert reload_space(space).status == SpaceRequest.Status.CANCELLED
    assert reload_container(container).booked_m3 == 0
    with pytest.raises(IllegalTransition):
        services.space_request_cancel(space_request=space, acting_user=owner)


@pytest.fixture
def three_merchants(maple, owner, rival, outsider):
    from tests.factories import OrganizationFactory
    from tests.shipping.factories import approve

    third = OrganizationFactory(name="Ozark Honey")
    approve(third, legal_name="Ozark Honey LLC")
    third_user = member(third, language="zh-hans")
    return [(maple, owner), (rival, outsider), (third, third_user)]


def _due(container):
    """Move the clock to the container's decide-by moment."""
    return container_decide_at(reload_container(container)) + timedelta(minutes=1)


def test_an_underfilled_container_is_merged_into_another_on_the_same_sailing(
    three_merchants, sailing, operator
):
    small = open_container(sailing, operator, fill_threshold_percent=60)
    fuller = open_container(sailing, operator)
    spaces = [
        book_space(org, small, user, volume="3.0", weight_kg=500) for org, user in three_merchants
    ]
    book_space(three_merchants[0][0], fuller, three_merchants[0][1], volume="30.0")
    with scopes_disabled():
        endpoint = WebhookEndpoint.objects.create(
            organization=three_merchants[1][0],
            url="https://cascadia.example/hook",
            events=["space.replanned"],
        )
    assert services.containers_review_underfilled(now=_due(small) - timedelta(hours=2)) == {
        "merged": 0,
        "released": 0,
    }
    outcome = services.containers_review_underfilled(now=_due(small))
    assert outcome["merged"] == 1
    small, fuller = reload_container(small), reload_container(fuller)
    assert small.status == ContainerStatus.MERGED and small.merged_into_id == fuller.pk
    assert fuller.booked_m3 == Decimal("39.0")
    assert container_space_totals(fuller) == (fuller.booked_m3, fuller.booked_kg)
    assert all(reload_space(s).container_id == fuller.pk for s in spaces)
    # The merged box's carrier booking is given up.
    assert small.booking.status == BookingStatus.CANCELLED
    with scopes_disabled():
        for _org, user in three_merchants:
            notes = Notification.objects.filter(recipient=user, kind="space.replanned")
            assert notes.count() == 1
            assert fuller.reference in notes.get().body
        chinese = Notification.objects.get(recipient=three_merchants[2][1])
        assert "拼箱" in chinese.subject or "舱位" in chinese.subject
        assert "未达到最低装载率" in chinese.body  # the review's reason, in Chinese
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        assert delivery.event == "space.replanned"
        assert delivery.payload["container"] == fuller.reference
        assert delivery.payload["previous_container"] == small.reference


def test_an_underfilled_container_goes_to_the_next_sailing_of_the_port_pair(
    three_merchants, sailing, operator
):
    later = SailingFactory(etd=sailing.etd + timedelta(days=7))
    small = open_container(sailing, operator)
    next_box = open_container(later, operator)
    book_space(three_merchants[0][0], small, three_merchants[0][1], volume="2.0")
    services.containers_review_underfilled(now=_due(small))
    assert reload_container(small).merged_into_id == next_box.pk


def test_an_underfilled_container_nobody_can_take_is_released(three_merchants, sailing, operator):
    small = open_container(sailing, operator)
    full_enough = open_container(sailing, operator, capacity_m3=Decimal("10.0"))
    book_space(three_merchants[0][0], full_enough, three_merchants[0][1], volume="8.0")
    spaces = [
        book_space(org, small, user, volume="3.0", weight_kg=500) for org, user in three_merchants
    ]
    outcome = services.containers_review_underfilled(now=_due(small))
    assert outcome == {"merged": 0, "released": 1}
    small = reload_container(small)
    assert small.status == ContainerStatus.RELEASED
    assert (small.booked_m3, small.booked_kg) == (0, 0)
    assert small.booking.status == BookingStatus.CANCELLED
    assert all(reload_space(s).status == SpaceRequest.Status.RELEASED for s in spaces)
    with scopes_disabled():
        for _org, user in three_merchants:
            note = Notification.objects.get(recipient=user, kind="space.replanned")
            assert small.reference in note.subject
        assert AuditEvent.objects.filter(action="container.released").count() == 1
    # Its TEU on the sailing came back; the other box still holds its own.
    assert Sailing.objects.get(pk=sailing.pk).booked_teu == 2


def test_a_container_filled_enough_is_kept(three_merchants, sailing, operator):
    box = open_container(sailing, operator, capacity_m3=Decimal("10.0"))
    book_space(three_merchants[0][0], box, three_merchants[0][1], volume="7.0")
    assert services.containers_review_underfilled(now=_due(box)) == {"merged": 0, "released": 0}
    assert reload_container(box).status == ContainerStatus.OPEN


def test_an_operator_merges_and_releases_by_hand(three_merchants, sailing, operator):
    first = open_container(sailing, operator)
    second = open_container(sailing, operator, capacity_m3=Decimal("4.0"))
    book_space(three_merchants[0][0], first, three_merchants[0][1], volume="5.0")
    with pytest.raises(ContainerInvalid):  # 5 m³ do not fit in 4
        services.container_merge(container=first, into=second, acting_user=operator)
    services.container_merge(container=second, into=first, acting_user=operator)
    assert reload_container(second).status == ContainerStatus.MERGED
    services.container_release(container=first, reason="Vessel change", acting_user=operator)
    assert reload_container(first).status == ContainerStatus.RELEASED
    with pytest.raises(IllegalTransition):
        services.container_release(container=first, reason="again", acting_user=operator)


def _shipment(space, status):
    from shipping.models import Shipment
    from tests.factories import OrganizationFactory

    buyer = OrganizationFactory(kind=Organization.Kind.BUYER)
    with scopes_disabled():
        return Shipment.objects.create(
            organization=space.organization, buyer=buyer, space_request=space, status=status
        )


def test_space_cannot_be_cancelled_once_its_goods_are_on_their_way(maple, owner, sailing, operator):
    container = open_container(sailing, operator)
    space = book_space(maple, container, owner, volume="2.0")
    _shipment(space, "dispatched")
    with pytest.raises(IllegalTransition):
        services.space_request_cancel(space_request=space, acting_user=owner)
    assert reload_space(space).status == SpaceRequest.Status.HELD
    assert reload_container(container).booked_m3 == Decimal("2.0")


def test_releasing_cancels_the_planned_shipments_of_the_space(maple, owner, sailing, operator):
    container = open_container(sailing, operator)
    space = book_space(maple, container, owner, volume="2.0")
    planned = _shipment(space, "planned")
    services.container_release(container=container, reason="", acting_user=operator)
    with scopes_disabled():
        planned.refresh_from_db()
    assert planned.status == "cancelled" and planned.cancelled_at is not None


def test_the_beat_runs_both_sweeps(sailing, operator):
    from shipping import tasks
    from shipping.schedule import BEAT_SCHEDULE

    scheduled = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert {
        "shipping.tasks.close_container_receiving",
        "shipping.tasks.review_underfilled_containers",
    } <= scheduled
    open_container(sailing, operator)  # open, well before its cut-off and decide-by date
    assert tasks.close_container_receiving() == 0
    assert tasks.review_underfilled_containers() == {"merged": 0, "released": 0}
