"""300 space requests at once on one shared container, on real connections (20 at a time): the
container is never overbooked, its booked m³ and kg equal the sum of the held space, and a
request is refused only when it no longer fits."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django_scopes import scopes_disabled

from network.models import Organization, Role
from shipping.errors import ContainerFull
from shipping.models import SpaceRequest
from tests.factories import OrganizationFactory, member
from tests.factories import operator as operator_user
from tests.shipping.containers import book_space, open_container, reload_container
from tests.shipping.factories import SailingFactory, approve

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

REQUESTS = 300
WORKERS = 20


@dataclass
class Outcome:
    volume: Decimal
    kg: int
    granted: bool
    code: str = ""
    remaining_m3: Decimal | None = None
    remaining_kg: int | None = None


def _setup(capacity_m3: str, capacity_kg: int):
    merchants = []
    for index in range(4):
        organization = OrganizationFactory(name=f"Merchant {index}")
        approve(organization, legal_name=f"Merchant {index} LLC")
        merchants.append((organization, member(organization, Role.STAFF)))
    staff = operator_user()
    assert staff.memberships.get().organization.kind == Organization.Kind.OPERATOR
    container = open_container(
        SailingFactory(), staff, capacity_m3=Decimal(capacity_m3), capacity_kg=capacity_kg
    )
    return merchants, container


def _run(container, merchants, sizes: list[tuple[Decimal, int]]) -> list[Outcome]:
    barrier = threading.Barrier(WORKERS, timeout=60)
    started = threading.local()

    def attempt(numbered: tuple[int, tuple[Decimal, int]]) -> Outcome:
        index, (volume, kg) = numbered
        if not getattr(started, "yes", False):
            started.yes = True
            barrier.wait()  # the first 20 start together
        organization, user = merchants[index % len(merchants)]
        try:
            book_space(organization, container, user, volume=str(volume), weight_kg=kg)
            return Outcome(volume, kg, granted=True)
        except ContainerFull as error:
            return Outcome(
                volume,
                kg,
                granted=False,
                code=error.code,
                remaining_m3=Decimal(error.details["remaining_m3"]),
                remaining_kg=error.details["remaining_kg"],
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(attempt, enumerate(sizes)))


def _check(container, outcomes: list[Outcome]) -> list[Outcome]:
    container = reload_container(container)
    granted = [o for o in outcomes if o.granted]
    refused = [o for o in outcomes if not o.granted]
    with scopes_disabled():
        held = SpaceRequest.objects.filter(container=container, status="held").aggregate(
            m3=Sum("volume_m3"), kg=Sum("weight_kg"), n=Count("pk")
        )
    # The container's figures are the sum of its held space, and within its capacity.
    assert (container.booked_m3, container.booked_kg) == (held["m3"], held["kg"])
    assert held["n"] == len(granted)
    assert held["m3"] == sum(o.volume for o in granted)
    assert held["kg"] == sum(o.kg for o in granted)
    assert container.booked_m3 <= container.capacity_m3
    assert container.booked_kg <= container.capacity_kg
    assert refused, "300 requests must exceed one container"
    for outcome in refused:
        assert outcome.code == "container_full"
        # Refused only when, at that moment, it did not fit.
        assert outcome.volume > outcome.remaining_m3 or outcome.kg > outcome.remaining_kg
        # Space only ever shrank, so it does not fit what is left now either.
        assert outcome.volume > container.remaining_m3 or outcome.kg > container.remaining_kg
    return granted


def test_300_equal_requests_fill_the_container_exactly():
    merchants, container = _setup("58.0", 26_000)
    outcomes = _run(container, merchants, [(Decimal("1.0"), 80)] * REQUESTS)
    granted = _check(container, outcomes)
    assert len(granted) == 58  # 58 m³ in 1 m³ pieces, 58 × 80 kg well within the payload
    assert reload_container(container).booked_m3 == Decimal("58.0")


def test_300_mixed_requests_never_overbook_volume_or_weight():
    rng = random.Random(7)
    sizes = [
        (Decimal(rng.randint(10, 40)) / 10, rng.choice([150, 400, 900, 1500]))
        for _ in range(REQUESTS)
    ]
    merchants, container = _setup("58.0", 20_000)
    outcomes = _run(container, merchants, sizes)
    _check(container, outcomes)
