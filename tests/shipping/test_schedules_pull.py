"""The schedule pull end to end, against the carrier process: every active lane of every
connected carrier, cursors followed, changes and omissions of the published schedule found,
one carrier's failure recorded while the others are pulled; and the requests valid against
Commercial Schedules 1.0.3 as Prism checks them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Notification
from shipping import tasks
from shipping.carriers.http import client_for
from shipping.carriers.schedules import lane_schedule, point_to_point_routes
from shipping.models import BookingEvent, Carrier, Lane, Sailing
from shipping.services import schedules_pull
from tests.mailbox import mailed
from tests.prism import SCHEDULES_SPEC
from tests.shipping.factories import CarrierFactory, PortFactory, request_booking
from tests.shipping.helpers import put_in_state

pytestmark = pytest.mark.django_db

ROUTES = "/v1/point-to-point-routes"


@pytest.fixture
def network(db):
    """Maersk and CMA CGM (connected to the carrier process), COSCO (not connected), two
    active lanes and one switched off."""
    maersk = CarrierFactory(scac="MAEU", name="Maersk")
    cma = CarrierFactory(scac="CMDU", name="CMA CGM")
    cosco = CarrierFactory(scac="COSU", name="COSCO Shipping")
    los_angeles, long_beach, oakland = (
        PortFactory(un_locode="USLAX", name="Los Angeles"),
        PortFactory(un_locode="USLGB", name="Long Beach"),
        PortFactory(un_locode="USOAK", name="Oakland"),
    )
    ningbo, shanghai, yantian = (
        PortFactory(un_locode="CNNGB", name="Ningbo", time_zone="Asia/Shanghai"),
        PortFactory(un_locode="CNSHA", name="Shanghai", time_zone="Asia/Shanghai"),
        PortFactory(un_locode="CNYTN", name="Yantian", time_zone="Asia/Shanghai"),
    )
    Lane.objects.create(port_of_loading=los_angeles, port_of_discharge=ningbo)
    Lane.objects.create(port_of_loading=long_beach, port_of_discharge=shanghai)
    Lane.objects.create(port_of_loading=oakland, port_of_discharge=yantian, is_active=False)
    return maersk, cma, cosco


def _window():
    today = timezone.now().date()
    return today - timedelta(days=1), today + timedelta(weeks=8)


def test_the_task_pulls_every_active_lane_of_every_connected_carrier(
    carrier_server, network, monkeypatch
):
    monkeypatch.delenv("CARRIER_COSU_API_URL", raising=False)
    maersk, cma, cosco = network
    results = tasks.pull_published_schedules.delay().get()
    assert set(results) == {"MAEU", "CMDU"}
    assert results["MAEU"]["errors"] == [] and results["MAEU"]["created"] > 0
    for carrier in (maersk, cma):
        asked = [r for r in carrier_server.requests(carrier.scac) if r["path"] == ROUTES]
        assert sorted(
            (r["query"]["placeOfReceipt"], r["query"]["placeOfDelivery"]) for r in asked
        ) == [
            ("USLAX", "CNNGB"),
            ("USLGB", "CNSHA"),
        ]
        assert all(r["status"] == 200 and r["api_version"] == "1" for r in asked)
        assert asked[0]["query"]["departureEndDate"] == _window()[1].isoformat()
    sailings = Sailing.objects.select_related("carrier", "port_of_loading", "port_of_discharge")
    assert {s.port_of_loading.un_locode for s in sailings} == {"USLAX", "USLGB"}
    assert {s.carrier.scac for s in sailings} == {"MAEU", "CMDU"}
    assert all(
        s.source == "schedule" and not s.is_published and s.capacity_teu == 0 for s in sailings
    )
    # What the carrier publishes, sailing for sailing (those still open for documents).
    start, end = _window()
    published = lane_schedule(
        maersk,
        port_of_loading="USLAX",
        port_of_discharge="CNNGB",
        departure_from=start,
        departure_to=end,
    ).sailings
    open_ones = [p for p in published if p.documentation_cutoff > timezone.now()]
    stored = sailings.filter(carrier=maersk, port_of_loading__un_locode="USLAX").order_by("etd")
    assert [(s.vessel_imo, s.voyage_number, s.etd, s.vgm_cutoff) for s in stored] == [
        (p.vessel_imo, p.voyage_number, p.etd, p.vgm_cutoff) for p in open_ones
    ]
    assert all(s.booking_closes_at == s.documentation_cutoff for s in stored)
    for carrier in (maersk, cma, cosco):
        carrier.refresh_from_db()
    assert maersk.schedules_synced_at and cma.schedules_synced_at
    assert cosco.schedules_synced_at is None
    # A second run finds nothing new.
    again = tasks.pull_published_schedules.delay().get()
    assert (again["MAEU"]["created"], again["MAEU"]["updated"], again["MAEU"]["omitted"]) == (
        0,
        0,
        0,
    )


def test_pages_are_followed_by_their_cursor_with_the_same_filters(carrier_server, network):
    start, end = _window()
    arguments = {
        "place_of_receipt": "USLAX",
        "place_of_delivery": "CNNGB",
        "departure_from": start,
        "departure_to": end,
    }
    whole = point_to_point_routes(client_for("MAEU"), **arguments)
    paged = point_to_point_routes(client_for("MAEU"), page_size=3, **arguments)
    assert len(whole) >= 8 and paged == whole
    asked = [r["query"] for r in carrier_server.requests("MAEU") if r["path"] == ROUTES][1:]
    assert len(asked) == -(-len(whole) // 3)
    assert "cursor" not in asked[0] and all("cursor" in query for query in asked[1:])
    assert all(
        (q["placeOfReceipt"], q["departureStartDate"], q["limit"]) == ("USLAX", str(start), "3")
        for q in asked
    )


def test_a_moved_departure_and_an_omitted_call_reach_the_merchants_once(
    carrier_server, network, maple, owner, django_capture_on_commit_callbacks
):
    maersk = network[0]
    schedules_pull(carrier=maersk)
    lane_sailings = Sailing.objects.filter(carrier=maersk, port_of_loading__un_locode="USLAX")
    moving, dropped = lane_sailings.order_by("etd")[1:3]
    Sailing.objects.filter(pk__in=[moving.pk, dropped.pk]).update(
        capacity_teu=50, capacity_weight_kg=1_000_000, is_published=True
    )
    for sailing in (moving, dropped):
        sailing.rates.create(equipment_code="45G1", price=840, forwarder_price=1270)
        put_in_state(request_booking(maple, sailing, owner, units=1), "CONFIRMED")
    mail.outbox.clear()

    carrier_server.change_schedule(scac="MAEU", voyage=moving.voyage_number, etd_shift_hours=30)
    carrier_server.change_schedule(scac="MAEU", omit_voyage=dropped.voyage_number)
    with django_capture_on_commit_callbacks(execute=True):
        pull = schedules_pull(carrier=maersk)
    assert (pull.moved, pull.omitted, pull.bookings_told) == (1, 1, 2)
    moving_before = moving.etd
    moving.refresh_from_db()
    dropped.refresh_from_db()
    assert moving.etd == moving_before + timedelta(hours=30)
    assert moving.etd_changed_from == moving_before
    assert moving.documentation_cutoff == moving.etd - timedelta(days=4)
    assert dropped.is_omitted and not moving.is_omitted
    subjects = sorted(message.subject for message in mailed())
    assert len(subjects) == 2
    assert any("the departure moved" in s for s in subjects)
    assert any("call is omitted" in s for s in subjects)
    with scopes_disabled():
        assert BookingEvent.objects.filter(action__startswith="sailing_").count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        again = schedules_pull(carrier=maersk)
    assert (again.moved, again.omitted, again.bookings_told) == (0, 0, 0)
    assert len(mailed()) == 2
    with scopes_disabled():
        assert Notification.objects.filter(kind__startswith="booking.sailing_").count() == 2


def test_a_failing_carrier_is_recorded_and_the_others_are_pulled(carrier_server, network):
    maersk, cma, _cosco = network
    carrier_server.fault(
        scac="CMDU", method="GET", path=ROUTES, kind="status", status=503, count=50
    )
    results = tasks.pull_published_schedules.delay().get()
    assert len(results["CMDU"]["errors"]) == 2
    assert results["MAEU"]["errors"] == [] and results["MAEU"]["created"] > 0
    cma.refresh_from_db()
    maersk.refresh_from_db()
    assert "answered 503" in cma.last_error and cma.last_error_at is not None
    assert cma.schedules_synced_at is None and maersk.schedules_synced_at is not None
    assert not Sailing.objects.filter(carrier=cma).exists()


def test_a_refused_request_is_recorded_per_lane(carrier_server, network):
    maersk = network[0]
    carrier_server.fault(scac="MAEU", method="GET", path=ROUTES, kind="status", status=400, count=1)
    pull = schedules_pull(carrier=maersk)
    assert len(pull.errors) == 1 and "refused" in pull.errors[0]
    assert pull.created > 0  # the other lane
    assert Carrier.objects.get(pk=maersk.pk).last_error.startswith(pull.errors[0][:50])


def test_schedule_requests_are_valid_commercial_schedules_requests(
    carrier_server, network, prism_proxy, monkeypatch
):
    maersk = network[0]
    monkeypatch.setenv(
        "CARRIER_MAEU_SCHEDULES_URL", prism_proxy(SCHEDULES_SPEC, carrier_server.url("MAEU"))
    )
    pull = schedules_pull(carrier=maersk)
    assert pull.errors == [] and pull.created > 0
    start, end = _window()
    paged = point_to_point_routes(
        client_for("MAEU"),
        place_of_receipt="USLGB",
        place_of_delivery="CNSHA",
        departure_from=start,
        departure_to=end,
        page_size=4,
    )
    assert len(paged) >= 8
    asked = [r for r in carrier_server.requests("MAEU") if r["path"] == ROUTES]
    assert len(asked) >= 4 and all(r["status"] == 200 for r in asked)
