"""300 booking requests at once on a 100-TEU sailing, on real connections (at most 40 at a
time): the sailing is never overbooked, no request is refused while space for it remains,
each refusal says capacity_exhausted, and holds the carrier rejects come back."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django_scopes import scopes_disabled

from shipping.errors import CapacityExhausted
from shipping.models import RELEASED_STATUSES, Booking, Sailing
from tests.factories import OrganizationFactory, member
from tests.shipping.factories import SailingFactory, approve, request_booking

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

REQUESTS = 300
CONNECTIONS = 40
CAPACITY = 100


@dataclass
class Outcome:
    requested_teu: int
    granted: bool
    code: str = ""
    message: str = ""
    remaining_at_refusal: int | None = None


def _run_concurrently(sailing, organization, user) -> list[Outcome]:
    rng = random.Random(6)
    sizes = [rng.choice([1, 2]) for _ in range(REQUESTS)]  # one or two 20' boxes = 1 or 2 TEU
    barrier = threading.Barrier(CONNECTIONS, timeout=60)
    started = threading.local()

    def attempt(units: int) -> Outcome:
        if not getattr(started, "yes", False):
            started.yes = True
            barrier.wait()  # the first 40 start together
        try:
            request_booking(
                organization,
                sailing,
                user,
                equipment="22G1",
                units=units,
                gross_weight_kg=units * 10_000,
            )
            return Outcome(requested_teu=units, granted=True)
        except CapacityExhausted as error:
            return Outcome(
                requested_teu=units,
                granted=False,
                code=error.code,
                message=error.message,
                remaining_at_refusal=error.details["remaining_teu"],
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        return list(pool.map(attempt, sizes))


def _setup():
    organization = OrganizationFactory(name="Great Lakes Maple Co.")
    approve(organization)
    user = member(organization)
    sailing = SailingFactory(
        capacity_teu=CAPACITY,
        capacity_weight_kg=100_000_000,
        rates=[("22G1", Decimal("620.00"))],
    )
    return organization, user, sailing


def _check_refusals(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        if not outcome.granted:
            assert outcome.code == "capacity_exhausted"
            assert outcome.message.startswith("Not enough space on this sailing")
            # Refused only when the space left at that moment could not take it.
            assert outcome.remaining_at_refusal < outcome.requested_teu


def test_300_concurrent_requests_never_overbook_and_never_refuse_while_space_remains(
    carrier_server,
):
    carrier_server.config(delay=3600)  # the carrier answers later
    organization, user, sailing = _setup()

    outcomes = _run_concurrently(sailing, organization, user)

    sailing.refresh_from_db()
    granted = [o for o in outcomes if o.granted]
    refused = [o for o in outcomes if not o.granted]
    granted_teu = sum(o.requested_teu for o in granted)
    assert sailing.booked_teu <= CAPACITY
    assert sailing.booked_teu == granted_teu
    with scopes_disabled():
        assert Booking.objects.filter(sailing=sailing).count() == len(granted)
        assert Booking.objects.aggregate(t=Sum("teu_held"))["t"] == granted_teu
    assert refused, "300 requests of 1-2 TEU must exceed 100 TEU"
    _check_refusals(outcomes)
    # Full, or only a single TEU left that no refused two-box request could use.
    smallest_refused = min(o.requested_teu for o in refused)
    assert CAPACITY - granted_teu < smallest_refused


def test_holds_the_carrier_rejects_come_back_under_load(carrier_server):
    carrier_server.config(rejection_rate=0.3)  # the carrier answers right after commit
    organization, user, sailing = _setup()

    outcomes = _run_concurrently(sailing, organization, user)

    sailing.refresh_from_db()
    with scopes_disabled():
        bookings = Booking.objects.filter(sailing=sailing)
        rejected = bookings.filter(status="REJECTED")
        holding = bookings.exclude(status__in=RELEASED_STATUSES)
        assert rejected.exists()
        assert not rejected.exclude(teu_held=0).exists()
        assert sailing.booked_teu == (holding.aggregate(t=Sum("teu_held"))["t"] or 0)
        assert set(holding.values_list("status", flat=True)) == {"CONFIRMED"}
        granted_teu = sum(o.requested_teu for o in outcomes if o.granted)
    assert sailing.booked_teu <= CAPACITY
    # The space of rejected requests was booked again by later ones.
    assert granted_teu > CAPACITY
    _check_refusals(outcomes)
    # And what is left can still be booked.
    remaining = Sailing.objects.get(pk=sailing.pk).remaining_teu
    if remaining:
        carrier_server.config(rejection_rate=0)
        request_booking(
            organization, sailing, user, equipment="22G1", units=remaining, gross_weight_kg=10_000
        )
        assert Sailing.objects.get(pk=sailing.pk).booked_teu == CAPACITY
