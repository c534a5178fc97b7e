"""Calendar files: each registration's invitation keeps its UID, an update raises SEQUENCE, a
cancellation is METHOD:CANCEL; the personal feed lists confirmed seminars behind a secret."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled
from icalendar import Calendar

from network.models import Role
from tests.factories import member
from tests.training.factories import OnlineSeminarFactory, SeminarFactory, attendee, operator
from training import services
from training.models import CalendarFeed, Registration

pytestmark = pytest.mark.django_db


def _ics(client, registration):
    response = client.get(reverse("training:registration_ics", args=[registration.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return calendar, events[0]


def test_the_invitation_update_and_cancellation_keep_the_uid_and_raise_the_sequence(
    client, django_capture_on_commit_callbacks
):
    seminar = SeminarFactory(title="Shipping maple syrup to Hangzhou")
    user, org = attendee(full_name="Dana Whitfield")
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    client.force_login(user)

    invite, event = _ics(client, registration)
    assert invite["METHOD"] == "REQUEST"
    assert invite["VERSION"] == "2.0"
    assert invite["PRODID"]
    uid = str(event["UID"])
    assert uid.startswith(f"seminar-{seminar.pk}-")
    assert event["SEQUENCE"] == 0
    assert str(event["SUMMARY"]) == "Shipping maple syrup to Hangzhou"
    assert event.decoded("DTSTART") == seminar.start_at
    assert event.decoded("DTEND") == seminar.end_at
    assert "Huntington Place" in str(event["LOCATION"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ATTENDEE"]) == f"mailto:{user.email}"
    assert event["ORGANIZER"]

    later = seminar.start_at + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.seminar_update(
            seminar=seminar,
            values={"start_at": later, "end_at": later + timedelta(hours=7)},
            acting_user=operator(),
        )
    assert mail.outbox[-1].to == [user.email]
    assert mail.outbox[-1].subject.startswith("Updated:")
    updated, event = _ics(client, registration)
    assert updated["METHOD"] == "REQUEST"
    assert str(event["UID"]) == uid
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == later

    # A change that does not move the event leaves calendars alone.
    services.seminar_update(seminar=seminar, values={"capacity": 150}, acting_user=operator())
    assert _ics(client, registration)[1]["SEQUENCE"] == 1

    services.registration_cancel(registration=registration, acting_user=user)
    cancel, event = _ics(client, registration)
    assert cancel["METHOD"] == "CANCEL"
    assert str(event["UID"]) == uid
    assert event["SEQUENCE"] == 2
    assert str(event["STATUS"]) == "CANCELLED"


def test_a_cancelled_seminar_sends_every_attendee_the_cancellation(
    client, django_capture_on_commit_callbacks
):
    seminar = SeminarFactory()
    user, org = attendee()
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    with django_capture_on_commit_callbacks(execute=True):
        services.seminar_cancel(seminar=seminar, acting_user=operator())
    assert mail.outbox[-1].subject.startswith("Cancelled:")
    client.force_login(user)
    cancel, event = _ics(client, registration)
    assert cancel["METHOD"] == "CANCEL"
    assert event["SEQUENCE"] == 1
    seminar.refresh_from_db()
    assert (seminar.confirmed_count, seminar.status) == (0, "cancelled")


def test_an_online_invitation_carries_the_join_link():
    seminar = OnlineSeminarFactory()
    user, org = attendee()
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    from training.calendar import registration_ics

    event = Calendar.from_ical(registration_ics(registration)).walk("VEVENT")[0]
    assert seminar.join_url in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == seminar.join_url


def test_no_invitation_for_a_waitlist_place(client):
    seminar = SeminarFactory(capacity=1)
    first, org = attendee()
    services.registration_create(seminar=seminar, organization=org, acting_user=first)
    waiting = member(org, Role.STAFF)
    registration = services.registration_create(
        seminar=seminar, organization=org, acting_user=waiting
    )
    client.force_login(waiting)
    assert (
        client.get(reverse("training:registration_ics", args=[registration.pk])).status_code == 404
    )


def test_the_feed_lists_confirmed_seminars_across_organisations_and_nothing_else(client):
    confirmed_here = SeminarFactory(title="Customs for food exporters")
    confirmed_online = OnlineSeminarFactory(title="淘宝全球购入驻")
    full = SeminarFactory(title="A full seminar", capacity=1)
    cancelled = SeminarFactory(title="Given up")
    user, merchant = attendee()
    other_org_user, buyer = attendee()
    from network.models import Membership

    Membership.objects.create(user=user, organization=buyer, role=Role.STAFF)
    services.registration_create(seminar=confirmed_here, organization=merchant, acting_user=user)
    services.registration_create(seminar=confirmed_online, organization=buyer, acting_user=user)
    services.registration_create(seminar=full, organization=buyer, acting_user=other_org_user)
    services.registration_create(seminar=full, organization=merchant, acting_user=user)
    given_up = services.registration_create(
        seminar=cancelled, organization=merchant, acting_user=user
    )
    services.registration_cancel(registration=given_up, acting_user=user)

    feed = services.calendar_feed_for(user=user)
    response = client.get(reverse("training:feed", args=[feed.token]))  # no login: a calendar app
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    titles = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert titles == sorted(["Customs for food exporters", "淘宝全球购入驻"])
    with scopes_disabled():
        uids = {
            f"seminar-{r.seminar_id}-{r.uid}@testserver"
            for r in Registration.objects.filter(user=user, status="confirmed")
        }
    assert {str(e["UID"]) for e in calendar.walk("VEVENT")} == uids


def test_the_feed_needs_its_secret_and_a_reset_revokes_the_old_one(client):
    user, _org = attendee()
    old = services.calendar_feed_for(user=user).token
    assert client.get(reverse("training:feed", args=["not-the-token"])).status_code == 404
    client.force_login(user)
    client.post(reverse("training:feed_reset"))
    new = CalendarFeed.objects.get(user=user).token
    assert new != old
    client.logout()
    assert client.get(reverse("training:feed", args=[old])).status_code == 404
    assert client.get(reverse("training:feed", args=[new])).status_code == 200


@pytest.mark.django_db
def test_the_confirmation_mail_carries_the_invite_and_the_cancellation_mail_cancels_it(
    django_capture_on_commit_callbacks,
):
    seminar = SeminarFactory()
    person, organization = attendee()
    with django_capture_on_commit_callbacks(execute=True):
        registration = services.registration_create(
            seminar=seminar, organization=organization, acting_user=person
        )
    assert registration.status == Registration.Status.CONFIRMED
    name, content, _mimetype = mail.outbox[-1].attachments[0]
    invite = Calendar.from_ical(content)
    assert (name, str(invite["method"])) == ("invite.ics", "REQUEST")
    uid = str(invite.walk("VEVENT")[0]["uid"])
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=registration, acting_user=person)
    cancel = Calendar.from_ical(mail.outbox[-1].attachments[0][1])
    assert str(cancel["method"]) == "CANCEL"
    assert str(cancel.walk("VEVENT")[0]["uid"]) == uid
