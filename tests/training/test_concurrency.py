"""200 people register for 120 seats at the same moment: exactly 120 seats, 80 on the waitlist
in the order they obtained the seminar's lock, and never a seat too many."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django_scopes import scopes_disabled

from network.models import Membership, Organization, Role, User
from tests.factories import OrganizationFactory
from tests.training.factories import SeminarFactory
from training import services
from training.models import Registration

PEOPLE = 200
SEATS = 120
WORKERS = 40  # parallel database connections; the embedded server allows 100


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_registrations_for_120_seats():
    seminar = SeminarFactory(capacity=SEATS)
    organizations = [
        OrganizationFactory(kind=Organization.Kind.MERCHANT if n % 3 else Organization.Kind.BUYER)
        for n in range(25)
    ]
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"rush{n}@example.com", password=password) for n in range(PEOPLE)]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=user,
                organization=organizations[n % len(organizations)],
                role=Role.BUYER
                if organizations[n % len(organizations)].kind == Organization.Kind.BUYER
                else Role.STAFF,
            )
            for n, user in enumerate(users)
        ]
    )
    people = [(user, organizations[n % len(organizations)]) for n, user in enumerate(users)]
    batches = [people[i::WORKERS] for i in range(WORKERS)]
    start = threading.Barrier(WORKERS)
    failures: list[BaseException] = []

    def register_batch(batch):
        try:
            start.wait()
            for user, organization in batch:
                services.registration_create(
                    seminar=seminar, organization=organization, acting_user=user
                )
        except BaseException as error:  # reported below, with the thread's own traceback
            failures.append(error)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(register_batch, batches))

    assert failures == []
    seminar.refresh_from_db()
    with scopes_disabled():
        registrations = list(Registration.objects.filter(seminar=seminar).order_by("arrival"))
    confirmed = [r for r in registrations if r.status == Registration.Status.CONFIRMED]
    waitlisted = [r for r in registrations if r.status == Registration.Status.WAITLISTED]

    assert len(registrations) == PEOPLE
    assert len(confirmed) == SEATS
    assert len(waitlisted) == PEOPLE - SEATS
    assert seminar.confirmed_count == SEATS
    assert seminar.offered_count == 0
    assert seminar.arrival_counter == PEOPLE
    # Arrival order is the order in which the seminar's lock was obtained: 1..200 without gaps,
    # the first 120 seated, the rest waiting in that order.
    assert [r.arrival for r in registrations] == list(range(1, PEOPLE + 1))
    assert {r.arrival for r in confirmed} == set(range(1, SEATS + 1))
    assert [services.waitlist_position(r) for r in waitlisted] == list(range(1, PEOPLE - SEATS + 1))
    # The arrival order agrees with the clock: each registration was stamped under the lock.
    stamps = [r.created_at for r in registrations]
    assert stamps == sorted(stamps)
    assert len({r.user_id for r in registrations}) == PEOPLE


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_cancellations_and_registrations_never_exceed_the_capacity():
    seminar = SeminarFactory(capacity=10)
    organization = OrganizationFactory(kind=Organization.Kind.MERCHANT)
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"churn{n}@example.com", password=password) for n in range(40)]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organization=organization, role=Role.STAFF) for u in users]
    )
    seated = [
        services.registration_create(seminar=seminar, organization=organization, acting_user=u)
        for u in users[:20]
    ]
    start = threading.Barrier(20)

    def churn(n):
        try:
            start.wait()
            if n < 10:
                services.registration_cancel(registration=seated[n], acting_user=seated[n].user)
            else:
                services.registration_create(
                    seminar=seminar, organization=organization, acting_user=users[20 + n]
                )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(churn, range(20)))

    seminar.refresh_from_db()
    with scopes_disabled():
        statuses = list(
            Registration.objects.filter(seminar=seminar).values_list("status", flat=True)
        )
    assert statuses.count("confirmed") == seminar.confirmed_count
    assert statuses.count("offered") == seminar.offered_count
    assert seminar.confirmed_count + seminar.offered_count == 10
    assert statuses.count("cancelled") == 10
    assert statuses.count("waitlisted") == 20 - seminar.offered_count
