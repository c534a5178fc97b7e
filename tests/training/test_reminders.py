"""Reminders a week and a day before, each sent once, in the recipient's language."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import Notification, Role
from tests.factories import member
from tests.mailbox import mailed
from tests.training.factories import OnlineSeminarFactory, SeminarFactory, attendee
from training import services, tasks
from training.models import Registration, Seminar

pytestmark = pytest.mark.django_db


def _move(seminar, *, starts_in):
    start = timezone.now() + starts_in
    Seminar.objects.filter(pk=seminar.pk).update(start_at=start, end_at=start + timedelta(hours=7))


def _reminders():
    with scopes_disabled():
        return list(
            Notification.objects.filter(kind__startswith="training.reminder_")
            .order_by("pk")
            .values_list("email", "kind")
        )


def test_the_week_and_day_reminders_go_out_once_each(django_capture_on_commit_callbacks):
    seminar = SeminarFactory(capacity=1)
    user, org = attendee(email="dana@maple.example")
    services.registration_create(seminar=seminar, organization=org, acting_user=user)
    services.registration_create(  # waitlisted: no reminder
        seminar=seminar, organization=org, acting_user=member(org, Role.STAFF)
    )

    # Registered a month ahead; the seminar now draws near.
    with scopes_disabled():
        Registration.objects.update(confirmed_at=timezone.now() - timedelta(days=25))
    _move(seminar, starts_in=timedelta(days=10))
    assert tasks.reminders_send.delay().get() == 0

    _move(seminar, starts_in=timedelta(days=6, hours=23))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.reminders_send.delay().get() == 1
        assert tasks.reminders_send.delay().get() == 0
    assert _reminders() == [("dana@maple.example", "training.reminder_week")]
    assert mailed()[-1].subject.startswith("Next week:")

    _move(seminar, starts_in=timedelta(hours=20))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.reminders_send.delay().get() == 1
        assert tasks.reminders_send.delay().get() == 0
    assert _reminders() == [
        ("dana@maple.example", "training.reminder_week"),
        ("dana@maple.example", "training.reminder_day"),
    ]
    assert mailed()[-1].subject.startswith("Tomorrow:")

    _move(seminar, starts_in=-timedelta(hours=1))
    assert tasks.reminders_send.delay().get() == 0


def test_a_reminder_is_never_sent_twice_even_when_asked_twice():
    seminar = SeminarFactory(start_at=timezone.now() + timedelta(hours=10))
    Seminar.objects.filter(pk=seminar.pk).update(end_at=seminar.start_at + timedelta(hours=2))
    user, org = attendee()
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    assert services.reminder_send(registration_id=registration.pk, reminder="day") is True
    assert services.reminder_send(registration_id=registration.pk, reminder="day") is False
    assert len(_reminders()) == 1


def test_late_registrants_skip_the_week_reminder_and_cancelled_ones_get_none():
    seminar = SeminarFactory()
    _move(seminar, starts_in=timedelta(days=3))
    late, org = attendee()
    services.registration_create(seminar=seminar, organization=org, acting_user=late)
    gone = member(org, Role.STAFF)
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=gone)
    services.registration_cancel(registration=registration, acting_user=gone)
    assert services.reminders_due() == []
    _move(seminar, starts_in=timedelta(hours=23))
    with scopes_disabled():
        late_registration = Registration.objects.get(user=late)
    assert services.reminders_due() == [(late_registration.pk, "day")]


def test_an_online_reminder_carries_the_join_link_in_the_recipients_language():
    seminar = OnlineSeminarFactory()
    _move(seminar, starts_in=timedelta(hours=12))
    user, org = attendee(language="zh-hans", time_zone="Asia/Shanghai")
    registration = services.registration_create(seminar=seminar, organization=org, acting_user=user)
    services.reminder_send(registration_id=registration.pk, reminder="day")
    with scopes_disabled():
        notification = Notification.objects.get(kind="training.reminder_day")
    assert seminar.join_url in notification.body
    assert "北京时间" in notification.body
    assert "Online" not in notification.body and "地点： 线上" in notification.body
    # Dates are written the Chinese way (年月日), whichever catalogue is installed.
    assert "年" in notification.body
