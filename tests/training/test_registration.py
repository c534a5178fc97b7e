"""Registering for a seminar: a seat while there is one, the waitlist after, and the refusals."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import AuditEvent, Organization, Role
from tests.factories import OrganizationFactory, member
from tests.training.factories import SeminarFactory, attendee
from training import services
from training.errors import AlreadyRegistered, NotAllowed, RegistrationClosed, SeatLimitReached
from training.models import Registration, Seminar

pytestmark = pytest.mark.django_db


def _register(seminar, user, organization, capture=None):
    return services.registration_create(
        seminar=seminar, organization=organization, acting_user=user
    )


def test_a_free_seat_is_confirmed_counted_audited_and_mailed(django_capture_on_commit_callbacks):
    seminar = SeminarFactory(capacity=2)
    user, org = attendee(email="dana@maple.example")
    with django_capture_on_commit_callbacks(execute=True):
        registration = _register(seminar, user, org)

    assert registration.status == Registration.Status.CONFIRMED
    assert registration.arrival == 1
    seminar.refresh_from_db()
    assert (seminar.confirmed_count, seminar.seats_left) == (1, 1)
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="registration.confirmed").count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dana@maple.example"]
    assert "is confirmed" in message.subject
    assert f"/training/registrations/{registration.pk}/invite.ics" in message.body
    assert "Huntington Place" in message.body
    # In the venue's clock (Detroit), which is named.
    assert " EST\n" in message.body or " EDT\n" in message.body


def test_when_full_people_join_the_waitlist_in_order(django_capture_on_commit_callbacks):
    seminar = SeminarFactory(capacity=1)
    first, org = attendee()
    second, third = member(org, Role.STAFF), member(org, Role.STAFF)
    _register(seminar, first, org)
    with django_capture_on_commit_callbacks(execute=True):
        waiting = _register(seminar, second, org)
    last = _register(seminar, third, org)

    assert waiting.status == last.status == Registration.Status.WAITLISTED
    assert services.waitlist_position(waiting) == 1
    assert services.waitlist_position(last) == 2
    seminar.refresh_from_db()
    assert seminar.confirmed_count == 1
    assert "waitlist" in mail.outbox[-1].subject
    assert "number 1 on the waitlist" in mail.outbox[-1].body


def test_a_person_registers_once():
    seminar = SeminarFactory()
    user, org = attendee()
    _register(seminar, user, org)
    with pytest.raises(AlreadyRegistered):
        _register(seminar, user, org)


def test_a_person_who_cancelled_can_register_again():
    seminar = SeminarFactory()
    user, org = attendee()
    first = _register(seminar, user, org)
    services.registration_cancel(registration=first, acting_user=user)
    again = _register(seminar, user, org)
    assert again.status == Registration.Status.CONFIRMED
    assert again.uid != first.uid


def test_the_organisation_seat_limit_counts_seats_and_waitlist_places():
    seminar = SeminarFactory(capacity=1, seats_per_organization=2)
    one, org = attendee()
    two, three = member(org, Role.STAFF), member(org, Role.STAFF)
    _register(seminar, one, org)
    _register(seminar, two, org)  # waitlisted, still counts
    with pytest.raises(SeatLimitReached) as refused:
        _register(seminar, three, org)
    assert refused.value.code == "organization_seat_limit"
    other, other_org = attendee()
    assert _register(seminar, other, other_org).status == Registration.Status.WAITLISTED


@pytest.mark.parametrize(
    "seminar_fields",
    [
        {"status": Seminar.Status.DRAFT},
        {"status": Seminar.Status.CANCELLED},
        {"registration_opens_at": timezone.now() + timedelta(days=1)},
        {"registration_closes_at": timezone.now() - timedelta(minutes=1)},
        {
            "start_at": timezone.now() - timedelta(hours=1),
            "end_at": timezone.now() + timedelta(hours=1),
        },
    ],
    ids=["draft", "cancelled", "not-open-yet", "closed", "started"],
)
def test_registration_only_while_open(seminar_fields):
    seminar = SeminarFactory(**seminar_fields)
    user, org = attendee()
    with pytest.raises(RegistrationClosed):
        _register(seminar, user, org)
    with scopes_disabled():
        assert not Registration.objects.exists()


def test_viewers_operators_and_non_members_cannot_register():
    seminar = SeminarFactory()
    merchant = OrganizationFactory(kind=Organization.Kind.MERCHANT)
    viewer = member(merchant, Role.VIEWER)
    operators = OrganizationFactory(kind=Organization.Kind.OPERATOR)
    operator = member(operators, Role.OWNER)
    outsider, _their_org = attendee()
    with pytest.raises(NotAllowed):
        _register(seminar, viewer, merchant)
    with pytest.raises(NotAllowed):
        _register(seminar, operator, operators)
    with pytest.raises(NotAllowed):
        _register(seminar, outsider, merchant)


def test_buyers_register_too():
    seminar = SeminarFactory(language="zh-hans")
    buyer_org = OrganizationFactory(kind=Organization.Kind.BUYER)
    buyer = member(buyer_org, Role.BUYER)
    assert _register(seminar, buyer, buyer_org).status == Registration.Status.CONFIRMED


def test_the_database_refuses_more_seats_than_the_capacity():
    seminar = SeminarFactory(capacity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Seminar.objects.filter(pk=seminar.pk).update(confirmed_count=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Seminar.objects.filter(pk=seminar.pk).update(confirmed_count=1, offered_count=2)


def test_the_database_refuses_two_active_registrations_of_one_person():
    seminar = SeminarFactory()
    user, org = attendee()
    _register(seminar, user, org)
    with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
        Registration.objects.create(
            seminar=seminar,
            organization=org,
            user=user,
            status=Registration.Status.WAITLISTED,
            arrival=99,
        )
