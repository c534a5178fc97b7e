"""The waitlist moves by itself: a freed seat is offered to the next person for a limited
time, then to the next."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Notification, Role
from tests.factories import member
from tests.mailbox import mailed
from tests.training.factories import SeminarFactory, attendee, operator
from training import services, tasks
from training.errors import NotAllowed, OfferInvalid
from training.models import Registration, Seminar

pytestmark = pytest.mark.django_db
OFFER_LINK = re.compile(r"http://testserver(/training/offers/[\w-]+/)")


def _full_seminar_with_waitlist(capacity=1, waiting=2):
    seminar = SeminarFactory(capacity=capacity)
    seated, org = attendee()
    people = [seated] + [member(org, Role.STAFF) for _ in range(capacity - 1 + waiting)]
    registrations = [
        services.registration_create(seminar=seminar, organization=org, acting_user=person)
        for person in people
    ]
    return seminar, registrations


def _reload(registration):
    with scopes_disabled():
        return Registration.objects.get(pk=registration.pk)


def _offer_token(user):
    """The token of the latest seat offer stored for ``user`` (the mail's body)."""
    with scopes_disabled():
        notification = Notification.objects.filter(
            recipient=user, kind="training.seat_offered"
        ).latest("created_at")
    return OFFER_LINK.search(notification.body).group(1).rstrip("/").rsplit("/", 1)[1]


def _offer_link_to(email):
    for message in reversed(mailed()):
        if email in message.to and "free for you" in message.subject:
            return OFFER_LINK.search(message.body).group(1)
    raise AssertionError(f"no seat offer mailed to {email}")


def test_a_cancellation_offers_the_seat_to_the_next_person(
    client, django_capture_on_commit_callbacks
):
    seminar, (seated, first, second) = _full_seminar_with_waitlist()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=seated, acting_user=seated.user)

    first, second = _reload(first), _reload(second)
    assert first.status == Registration.Status.OFFERED
    assert second.status == Registration.Status.WAITLISTED
    assert first.offer_expires_at - first.offered_at == timedelta(hours=24)
    seminar.refresh_from_db()
    assert (seminar.confirmed_count, seminar.offered_count, seminar.seats_left) == (0, 1, 0)
    assert any("is cancelled" in m.subject for m in mailed() if seated.user.email in m.to)

    link = _offer_link_to(first.user.email)
    client.force_login(first.user)
    page = client.get(link)
    assert page.status_code == 200
    assert "Accept the seat" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, {"answer": "accept"})
    assert response.status_code == 302

    first = _reload(first)
    assert first.status == Registration.Status.CONFIRMED
    assert first.offer_token_hash == ""
    seminar.refresh_from_db()
    assert (seminar.confirmed_count, seminar.offered_count) == (1, 0)
    assert "is confirmed" in mailed()[-1].subject
    # The link is spent.
    assert client.post(link, {"answer": "accept"}).status_code == 404


def test_the_offer_window_is_read_when_the_offer_is_made(
    settings, django_capture_on_commit_callbacks
):
    settings.TRAINING_OFFER_VALID_HOURS = 5
    _seminar, (seated, first, _second) = _full_seminar_with_waitlist()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=seated, acting_user=seated.user)
    first = _reload(first)
    assert first.offer_expires_at - first.offered_at == timedelta(hours=5)


def test_a_newcomer_does_not_jump_the_queue_while_a_seat_is_on_offer():
    seminar, (seated, first, _second) = _full_seminar_with_waitlist()
    services.registration_cancel(registration=seated, acting_user=seated.user)
    newcomer, org = attendee()
    late = services.registration_create(seminar=seminar, organization=org, acting_user=newcomer)
    assert late.status == Registration.Status.WAITLISTED
    assert services.waitlist_position(late) == 2


def test_an_expired_offer_moves_on_to_the_next_person(django_capture_on_commit_callbacks):
    seminar, (seated, first, second) = _full_seminar_with_waitlist()
    services.registration_cancel(registration=seated, acting_user=seated.user)
    with scopes_disabled():
        Registration.objects.filter(pk=first.pk).update(
            offer_expires_at=timezone.now() - timedelta(seconds=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.seat_offers_expire.delay().get() == 1

    first, second = _reload(first), _reload(second)
    assert first.status == Registration.Status.EXPIRED
    assert second.status == Registration.Status.OFFERED
    seminar.refresh_from_db()
    assert (seminar.confirmed_count, seminar.offered_count) == (0, 1)
    assert any("has expired" in m.subject for m in mailed() if first.user.email in m.to)
    assert _offer_link_to(second.user.email)
    # Running the beat again changes nothing.
    assert tasks.seat_offers_expire.delay().get() == 0
    assert services.offer_expire(registration_id=first.pk) is False


def test_an_expired_offer_cannot_be_accepted(client):
    seminar, (seated, first, _second) = _full_seminar_with_waitlist()
    services.registration_cancel(registration=seated, acting_user=seated.user)
    token = _offer_token(first.user)
    with scopes_disabled():
        Registration.objects.filter(pk=first.pk).update(
            offer_expires_at=timezone.now() - timedelta(seconds=1)
        )
    with pytest.raises(OfferInvalid):
        services.offer_accept(token=token, acting_user=first.user)


def test_an_offer_is_only_for_the_person_it_was_made_to(client):
    seminar, (seated, first, second) = _full_seminar_with_waitlist()
    services.registration_cancel(registration=seated, acting_user=seated.user)
    token = _offer_token(first.user)
    with pytest.raises(NotAllowed):
        services.offer_accept(token=token, acting_user=second.user)
    client.force_login(second.user)
    page = client.get(reverse("training:offer", args=[token]))
    assert page.status_code == 404
    assert first.user.email not in page.content.decode()
    assert _reload(first).status == Registration.Status.OFFERED


def test_declining_an_offer_passes_it_on(client, django_capture_on_commit_callbacks):
    seminar, (seated, first, second) = _full_seminar_with_waitlist()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=seated, acting_user=seated.user)
    client.force_login(first.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_offer_link_to(first.user.email), {"answer": "decline"})
    assert _reload(first).status == Registration.Status.CANCELLED
    assert _reload(second).status == Registration.Status.OFFERED
    seminar.refresh_from_db()
    assert (seminar.confirmed_count, seminar.offered_count) == (0, 1)


def test_more_seats_are_offered_to_the_waitlist_at_once():
    seminar, (_seated, first, second) = _full_seminar_with_waitlist()
    services.seminar_update(seminar=seminar, values={"capacity": 3}, acting_user=operator())
    assert _reload(first).status == Registration.Status.OFFERED
    assert _reload(second).status == Registration.Status.OFFERED
    seminar.refresh_from_db()
    assert (seminar.confirmed_count, seminar.offered_count, seminar.capacity) == (1, 2, 3)


def test_capacity_cannot_drop_below_the_seats_taken():
    from django.core.exceptions import ValidationError

    seminar, _registrations = _full_seminar_with_waitlist(capacity=3, waiting=0)
    with pytest.raises(ValidationError):
        services.seminar_update(seminar=seminar, values={"capacity": 2}, acting_user=operator())


def test_an_offer_expires_no_later_than_the_start():
    seminar, (seated, first, _second) = _full_seminar_with_waitlist()
    Seminar.objects.filter(pk=seminar.pk).update(
        start_at=timezone.now() + timedelta(hours=5), end_at=timezone.now() + timedelta(hours=8)
    )
    services.registration_cancel(registration=seated, acting_user=seated.user)
    seminar.refresh_from_db()
    assert _reload(first).offer_expires_at == seminar.start_at


def test_the_waitlist_does_not_move_once_the_seminar_started():
    seminar, (seated, first, _second) = _full_seminar_with_waitlist()
    Seminar.objects.filter(pk=seminar.pk).update(
        start_at=timezone.now() - timedelta(minutes=5), end_at=timezone.now() + timedelta(hours=2)
    )
    from training.errors import IllegalTransition

    with pytest.raises(IllegalTransition):
        services.registration_cancel(registration=seated, acting_user=seated.user)
    assert _reload(first).status == Registration.Status.WAITLISTED


def test_a_move_not_in_the_table_is_refused_by_the_shared_mechanism():
    from network import transitions

    seminar, (seated, *_rest) = _full_seminar_with_waitlist(waiting=0)
    services.registration_cancel(registration=seated, acting_user=seated.user)
    with pytest.raises(transitions.IllegalTransition) as error:
        services.registration_cancel(registration=seated, acting_user=seated.user)
    assert error.value.code == "illegal_transition"
    assert str(error.value) == "This registration is no longer active."
    assert _reload(seated).status == Registration.Status.CANCELLED
    assert Registration.Status.CANCELLED not in (
        services.REGISTRATION_TRANSITIONS["cancel"].from_statuses
    )
