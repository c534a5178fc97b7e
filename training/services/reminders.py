"""The 7-day and 1-day reminders to confirmed attendees, each sent at most once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from network.models import Organization
from network.services import audit
from network.tenancy import row_scope
from training.models import Registration, Seminar
from training.selectors import seat_registrations
from training.services.core import RETRY, _lock_registration, _notify

REMINDERS = (
    # (name, how long before the start, the field that records it was sent)
    ("week", timedelta(days=7), "reminder_week_sent_at"),
    ("day", timedelta(days=1), "reminder_day_sent_at"),
)


def reminders_due(now: datetime | None = None) -> list[tuple[int, str]]:
    """(registration id, reminder name) of every reminder that should go out now.

    The week reminder goes only to people who confirmed before the last week began: someone
    who registers three days ahead has just had their confirmation."""
    now = now or timezone.now()
    due = []
    # The periodic sweep reads every organisation's confirmed seats; each reminder is then sent
    # in its own registration's scope.
    confirmed = seat_registrations().filter(
        status=Registration.Status.CONFIRMED,
        seminar__status=Seminar.Status.PUBLISHED,
        seminar__start_at__gt=now,
    )
    for name, before, field in REMINDERS:
        candidates = confirmed.filter(
            seminar__start_at__lte=now + before, **{f"{field}__isnull": True}
        )
        if name == "week":
            candidates = candidates.filter(
                seminar__start_at__gt=now + timedelta(days=1),
                confirmed_at__lte=F("seminar__start_at") - before,
            )
        due += [(pk, name) for pk in candidates.order_by("pk").values_list("pk", flat=True)]
    return due


@transaction.atomic
def reminder_send(*, registration_id: int, reminder: str) -> bool:
    """Send one reminder, at most once per registration and reminder; False if it was already
    sent or no longer applies."""
    with row_scope(Registration, registration_id) as organization:
        if organization is None:
            return False
        return _reminder_send(registration_id, reminder=reminder, organization=organization)


def _reminder_send(registration_id: int, *, reminder: str, organization: Organization) -> bool:
    name, _before, field = next(r for r in REMINDERS if r[0] == reminder)
    registration = _lock_registration(registration_id, organization=organization)
    if (
        getattr(registration, field) is not None
        or registration.status != Registration.Status.CONFIRMED
        or registration.seminar.status != Seminar.Status.PUBLISHED
        or registration.seminar.has_started()
    ):
        return False
    setattr(registration, field, timezone.now())
    registration.save(update_fields=[field])
    audit(
        actor=None,
        organization=registration.organization,
        action=f"registration.reminder_{name}",
        target=registration,
    )
    seminar = registration.seminar
    _notify(
        registration,
        kind=f"reminder_{name}",
        template="reminder",
        days=max((seminar.start_at - timezone.now()).days, 0),
        tomorrow=name == "day",
        join_url=seminar.join_url if seminar.is_online else "",
    )
    return True


@shared_task(name="training.tasks.reminders_send", **RETRY)
def reminders_send(self: Any) -> int:
    """Beat: send the 7-day and 1-day reminders that are due, each at most once, each in its
    own registration's scope."""
    sent = 0
    for registration_id, reminder in reminders_due():
        sent += bool(reminder_send(registration_id=registration_id, reminder=reminder))
    return sent
