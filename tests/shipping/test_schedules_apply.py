"""Sailings kept in step with a carrier's published schedule: created unpublished, dates
followed, moved departures and omitted calls recorded, and merchants holding space told once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Notification
from shipping.carriers.schedules import PublishedSailing
from shipping.models import Booking, BookingEvent, Lane, Sailing, SailingRate
from shipping.services import schedule_apply
from tests.shipping.factories import CarrierFactory, PortFactory, SailingFactory, request_booking
from tests.shipping.helpers import put_in_state

pytestmark = pytest.mark.django_db

# Every published date of a test is counted from here, so the same schedule reads the same.
BASE = timezone.now().replace(second=0, microsecond=0)


@pytest.fixture
def lane(db):
    return Lane.objects.create(
        port_of_loading=PortFactory(un_locode="USLAX"),
        port_of_discharge=PortFactory(un_locode="CNNGB", name="Ningbo", time_zone="Asia/Shanghai"),
    )


@pytest.fixture
def carrier(db):
    return CarrierFactory()


def published(days: int = 21, **changes) -> PublishedSailing:
    etd = BASE + timedelta(days=days)
    values = {
        "vessel_imo": "9778791",
        "vessel_name": "Madrid Maersk",
        "service_code": "TP6",
        "voyage_number": "612W",
        "port_of_loading": "USLAX",
        "port_of_discharge": "CNNGB",
        "etd": etd,
        "eta": etd + timedelta(days=16),
        "documentation_cutoff": etd - timedelta(days=3),
        "cargo_cutoff": etd - timedelta(days=1),
        "vgm_cutoff": etd - timedelta(days=2),
    }
    return PublishedSailing(**{**values, **changes})


def apply(carrier, lane, sailings, *, weeks: int = 8):
    return schedule_apply(
        carrier=carrier,
        lane=lane,
        published=sailings,
        omitted_before=timezone.now() + timedelta(weeks=weeks),
    )


def test_a_new_published_sailing_starts_unpublished_with_no_space(carrier, lane):
    sailing_in = published()
    pull = apply(carrier, lane, [sailing_in])
    assert pull.created == 1
    sailing = Sailing.objects.get()
    assert sailing.source == Sailing.Source.SCHEDULE
    assert (sailing.is_published, sailing.capacity_teu, sailing.capacity_weight_kg) == (
        False,
        0,
        0,
    )
    assert sailing.etd == sailing_in.etd
    assert sailing.vgm_cutoff == sailing_in.vgm_cutoff
    assert sailing.booking_closes_at == sailing_in.documentation_cutoff
    assert sailing.schedule_seen_at is not None
    assert sailing.etd_changed_from is None and not sailing.is_omitted


def test_a_second_pull_of_the_same_schedule_changes_nothing(carrier, lane):
    apply(carrier, lane, [published()])
    pull = apply(carrier, lane, [published()])
    assert (pull.created, pull.updated, pull.moved, pull.omitted) == (0, 0, 0, 0)
    assert Sailing.objects.count() == 1


def test_a_sailing_whose_documentation_cutoff_passed_is_not_created(carrier, lane):
    apply(carrier, lane, [published(days=2)])
    assert not Sailing.objects.exists()


@pytest.fixture
def booked(carrier, lane, maple, owner, rival, outsider):
    """A schedule sailing the operators opened, with a live booking of each merchant and a
    cancelled one."""
    apply(carrier, lane, [published()])
    Sailing.objects.update(capacity_teu=100, capacity_weight_kg=2_000_000, is_published=True)
    sailing = Sailing.objects.get()
    SailingRate.objects.create(
        sailing=sailing,
        equipment_code="45G1",
        price=Decimal("840"),
        forwarder_price=Decimal("1267"),
    )
    live = request_booking(maple, sailing, owner)
    other = request_booking(rival, sailing, outsider, units=1)
    put_in_state(other, "CONFIRMED")
    cancelled = put_in_state(request_booking(maple, sailing, owner, units=1), "CANCELLED")
    mail.outbox.clear()
    return sailing, live, other, cancelled


def _events(booking, action):
    with scopes_disabled():
        return list(BookingEvent.objects.filter(booking=booking, action=action))


def test_a_moved_departure_is_recorded_and_each_merchant_holding_space_told_once(
    carrier, lane, booked, django_capture_on_commit_callbacks
):
    sailing, live, other, cancelled = booked
    before = sailing.etd
    moved = published(days=23)
    with django_capture_on_commit_callbacks(execute=True):
        pull = apply(carrier, lane, [moved])
    assert (pull.moved, pull.bookings_told) == (1, 2)
    sailing.refresh_from_db()
    assert sailing.etd == moved.etd and sailing.etd_changed_from == before
    assert sailing.documentation_cutoff == moved.documentation_cutoff
    assert sailing.booking_closes_at == moved.documentation_cutoff  # it followed the cut-off
    assert sailing.capacity_teu == 100 and sailing.is_published  # the operators' part stays
    assert len(_events(live, "sailing_moved")) == 1
    assert len(_events(other, "sailing_moved")) == 1
    assert _events(cancelled, "sailing_moved") == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [live.requested_by.email, other.requested_by.email]
    )
    message = next(m for m in mail.outbox if m.to == [live.requested_by.email])
    assert f"Booking {live.reference}: the departure moved" == message.subject
    assert f"/shipping/bookings/{live.reference}/" in message.body
    # The same schedule again: nobody is told twice.
    with django_capture_on_commit_callbacks(execute=True):
        again = apply(carrier, lane, [moved])
    assert (again.moved, again.bookings_told) == (0, 0)
    assert len(mail.outbox) == 2
    assert len(_events(live, "sailing_moved")) == 1


def test_a_merchant_reading_chinese_is_told_in_chinese(carrier, lane, booked):
    sailing, live, _other, _cancelled = booked
    live.requested_by.language = "zh-hans"
    live.requested_by.save(update_fields=["language"])
    apply(carrier, lane, [published(days=23)])
    with scopes_disabled():
        notification = Notification.objects.get(
            recipient=live.requested_by, kind="booking.sailing_moved"
        )
    assert notification.subject == f"订舱 {live.reference}：出发时间已更改"
    assert "出发时间由" in notification.body


def test_a_future_call_missing_from_the_schedule_is_omitted_and_merchants_told(
    carrier, lane, booked
):
    sailing, live, other, cancelled = booked
    pull = apply(carrier, lane, [])
    assert (pull.omitted, pull.bookings_told) == (1, 2)
    sailing.refresh_from_db()
    assert sailing.is_omitted
    assert not sailing.is_open_for_booking()
    assert len(_events(live, "sailing_omitted")) == 1
    with scopes_disabled():
        assert Notification.objects.filter(kind="booking.sailing_omitted").count() == 2
    assert apply(carrier, lane, []).omitted == 0  # told once
    # Published again: the call is back, and the merchants hear so.
    back = apply(carrier, lane, [published()])
    sailing.refresh_from_db()
    assert not sailing.is_omitted and back.bookings_told == 2
    assert len(_events(live, "sailing_reinstated")) == 1


def test_sailings_outside_the_window_or_entered_by_hand_are_never_omitted(carrier, lane):
    manual = SailingFactory(carrier=carrier)
    apply(carrier, lane, [published(days=21), published(days=70, voyage_number="620W")])
    pull = apply(carrier, lane, [published(days=21)], weeks=8)  # day 70 lies beyond it
    assert pull.omitted == 0
    assert not Sailing.objects.filter(is_omitted=True).exists()
    manual.refresh_from_db()
    assert manual.source == Sailing.Source.MANUAL


def test_a_sailing_the_database_refuses_is_recorded_and_the_others_go_on(carrier, lane):
    bad = published(voyage_number="613W", cargo_cutoff=timezone.now() + timedelta(days=60))
    pull = apply(carrier, lane, [bad, published()])
    assert pull.created == 1
    assert len(pull.errors) == 1 and "613W" in pull.errors[0]
    assert Sailing.objects.get().voyage_number == "612W"


def test_one_voyage_is_one_sailing_even_when_two_lanes_publish_it(carrier, lane):
    other_lane = Lane.objects.create(
        port_of_loading=lane.port_of_loading,
        port_of_discharge=PortFactory(un_locode="CNSHA", name="Shanghai"),
    )
    apply(carrier, lane, [published()])
    pull = apply(carrier, other_lane, [published(port_of_discharge="CNSHA")])
    assert pull.created == 0 and "another port of discharge" in pull.left_out[0]
    assert Sailing.objects.get().port_of_discharge.un_locode == "CNNGB"


def test_the_booking_page_shows_the_change(client, carrier, lane, booked, owner):
    sailing, live, _other, _cancelled = booked
    apply(carrier, lane, [published(days=23)])
    client.force_login(owner)
    page = client.get(f"/shipping/bookings/{live.reference}/").content.decode()
    assert 'data-schedule="moved"' in page
    assert "Departure moved from" in page
    assert "schedule moved the departure" in page
    with scopes_disabled():
        assert Booking.objects.get(pk=live.pk).status == "RECEIVED"
