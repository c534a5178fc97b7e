"""The shipping demo: realistic ports, carriers and schedule, the sailing the browser journey
books, Great Lakes Maple Co.'s bookings in several statuses and other merchants' confirmed
bookings filling the next sailings; idempotent."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scopes_disabled

from shipping import tasks
from shipping.models import Booking, Carrier, Port, Sailing
from shipping.validators import validate_imo_number, validate_un_locode

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.slow,
    pytest.mark.usefixtures("demo_seeded_for_module"),
]
DEMO_APPS = "network,merchants,shipping"


def test_seed_builds_the_schedule_and_is_idempotent():
    # Seeded once for the module; a second run adds nothing.
    counts = (Port.objects.count(), Carrier.objects.count(), Sailing.objects.count())
    with scopes_disabled():
        bookings = Booking.objects.count()
    call_command("seed_demo", apps="network,merchants,shipping")
    assert (Port.objects.count(), Carrier.objects.count(), Sailing.objects.count()) == counts
    with scopes_disabled():
        assert Booking.objects.count() == bookings
        assert Booking.objects.filter(organization__slug="great-lakes-maple-co").count() == 6
        network = Booking.objects.exclude(organization__slug="great-lakes-maple-co")
        assert network.count() > 50
        assert set(network.values_list("status", flat=True)) == {"CONFIRMED"}
        assert network.values("organization").distinct().count() > 10
    # The main services' next sailings are between a fifth and most of the way full.
    filled = [
        s.booked_teu / s.capacity_teu
        for s in Sailing.objects.filter(bookings__reference__startswith="GNNET").distinct()
    ]
    assert len(filled) >= 10 and all(0.15 <= share <= 0.9 for share in filled)
    assert 40 <= counts[2] <= 50
    assert {"MAEU", "CMDU"} <= set(Carrier.objects.values_list("scac", flat=True))


def test_every_code_is_valid_and_the_journeys_sailing_exists():
    for port in Port.objects.all():
        validate_un_locode(port.un_locode)
        port.full_clean()
    for sailing in Sailing.objects.all():
        validate_imo_number(sailing.vessel_imo)
        sailing.full_clean()
    soon = timezone.now() + timedelta(weeks=3)
    maersk_la_ningbo = Sailing.objects.filter(
        carrier__scac="MAEU",
        port_of_loading__un_locode="USLAX",
        port_of_discharge__un_locode="CNNGB",
        etd__lte=soon,
        booking_closes_at__gt=timezone.now(),
        rates__equipment_code="45G1",
    )
    assert maersk_la_ningbo.exists()
    assert all(s.remaining_teu >= 4 for s in maersk_la_ningbo)


def test_the_demo_merchants_bookings_keep_the_capacity_invariant():
    with scopes_disabled():
        statuses = set(
            Booking.objects.filter(organization__slug="great-lakes-maple-co").values_list(
                "status", flat=True
            )
        )
        assert {"RECEIVED", "CONFIRMED", "REJECTED", "CANCELLED", "PENDING_UPDATE"} <= statuses
        assert Booking.objects.filter(amendment_status="AMENDMENT_RECEIVED").exists()
        for sailing in Sailing.objects.all():
            held = Booking.objects.filter(sailing=sailing).aggregate(t=Sum("teu_held"))["t"] or 0
            assert sailing.booked_teu == held


def test_the_demo_booking_awaiting_the_carrier_is_sent_to_it_over_http(carrier_server):
    with scopes_disabled():
        waiting = Booking.objects.get(reference="GNDEMO000002")
        assert (waiting.status, waiting.carrier_sync) == ("RECEIVED", "submit")
        # Nothing else the demo seeded has anything to send.
        assert list(
            Booking.objects.exclude(carrier_sync="").values_list("reference", flat=True)
        ) == ["GNDEMO000002"]
    assert Carrier.objects.get(scac="MAEU").adapter == Carrier.Adapter.MAERSK
    assert Carrier.objects.get(scac="CMDU").adapter == Carrier.Adapter.CMA_CGM

    # The worker never got the task queued at seeding time; the redrive beat sends it.
    assert tasks.redrive_booking_syncs.delay(older_than_seconds=0).get() == 1
    [sent] = carrier_server.bookings("CMDU")
    assert sent["bookingChannelReference"] == "GNDEMO000002"
    tasks.booking_poll.delay(waiting.pk)
    with scopes_disabled():
        waiting.refresh_from_db()
    assert waiting.carrier_booking_request_reference == sent["carrierBookingRequestReference"]
    assert waiting.status == "CONFIRMED"
    assert waiting.carrier_booking_reference.startswith("CMDU")
    assert waiting.carrier_sync == ""


def test_the_demo_carriers_sign_with_the_secret_of_this_machine(monkeypatch):
    monkeypatch.setenv("CARRIER_MAEU_NOTIFICATION_SECRET", "secret-from-var-carriers-env")
    call_command("seed_demo", apps="network,merchants,shipping")
    assert Carrier.objects.get(scac="MAEU").notification_secret == "secret-from-var-carriers-env"
