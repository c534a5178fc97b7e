"""The shipping demo: realistic ports, carriers and schedule, the sailing the browser journey
books, Great Lakes Maple Co.'s bookings in several statuses and other merchants' confirmed
bookings filling the next sailings; idempotent."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scopes_disabled

from shipping.models import Booking, Carrier, Port, Sailing
from shipping.validators import validate_imo_number, validate_un_locode

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_seed_builds_the_schedule_and_is_idempotent():
    call_command("seed_demo", apps="network,merchants,shipping")
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
    call_command("seed_demo", apps="network,merchants,shipping")
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
    call_command("seed_demo", apps="network,merchants,shipping")
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
