"""What every training service shares: the registration's state machine, the locks (seminar
first, then registrations), the seat counters and the mails that carry the calendar invite."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from network.dates import span
from network.models import Membership, Organization, Role, User
from network.selectors import user_is_operator
from network.services import notification_send
from network.transitions import Transition, transition
from training.calendar import registration_ics
from training.models import Registration, Seminar

# Celery's retry policy of every training task: safe to run twice, so retried on a lost
# connection.
RETRY = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}

R = Registration.Status


# action -> (label, statuses it may start from, status it leads to): every move of a seminar
# registration (a new one starts confirmed or waitlisted, by the seats left).
REGISTRATION_TRANSITIONS: dict[str, Transition] = {
    "cancel": transition(gettext_lazy("cancel"), Registration.ACTIVE, R.CANCELLED),
    "offer": transition(gettext_lazy("offer a seat to"), {R.WAITLISTED}, R.OFFERED),
    "accept_offer": transition(gettext_lazy("accept"), {R.OFFERED}, R.CONFIRMED),
    "expire_offer": transition(gettext_lazy("expire"), {R.OFFERED}, R.EXPIRED),
}


ATTENDING_KINDS = (Organization.Kind.MERCHANT, Organization.Kind.BUYER)


# The refusal anyone but an operator reads when managing seminars.
MANAGERS_ONLY = gettext_lazy("Only network operators can manage seminars.")


def user_manages_registration(user: User, registration: Registration) -> bool:
    """The registrant, an owner or admin of their organisation, or an operator."""
    if registration.user_id == user.pk:
        return True
    membership = Membership.objects.filter(
        user=user, organization_id=registration.organization_id
    ).first()
    if membership is not None and membership.has_role(Role.ADMIN):
        return True
    return user_is_operator(user)


def _lock_seminar(seminar_id: int) -> Seminar:
    return Seminar.objects.select_for_update().get(pk=seminar_id)


def _lock_registration(registration_id: int, *, organization: Organization) -> Registration:
    """Lock a registration, read as its own organisation (services run in any scope)."""
    return (
        Registration.objects.visible_to(organization)
        .select_for_update(of=("self",))
        .select_related("user", "organization", "seminar")
        .get(pk=registration_id)
    )


def _change_seats(seminar: Seminar, *, confirmed: int = 0, offered: int = 0) -> None:
    """Move the seat counters of a locked seminar; the database checks the capacity."""
    Seminar.objects.filter(pk=seminar.pk).update(
        confirmed_count=F("confirmed_count") + confirmed,
        offered_count=F("offered_count") + offered,
    )
    seminar.refresh_from_db(fields=["confirmed_count", "offered_count", "arrival_counter"])


def _time_zone_for(seminar: Seminar, user: User) -> zoneinfo.ZoneInfo:
    # In person, the venue's clock is the one that matters; online, the person's own.
    if not seminar.is_online:
        return seminar.tz
    try:
        return zoneinfo.ZoneInfo(user.time_zone_name())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return seminar.tz


def seminar_when(seminar: Seminar, user: User) -> str:
    """The seminar's date and time for ``user``, in their language, with the time zone named."""
    with translation.override(user.language):
        return span(seminar.start_at, seminar.end_at, zone=_time_zone_for(seminar, user))


def _url(name: str, *args: object) -> str:
    return settings.SITE_URL + reverse(name, args=args)


# Mails that carry the calendar invite (or its cancellation) as an attachment.
INVITE_KINDS = {
    "registration_confirmed",
    "seminar_updated",
    "seminar_cancelled",
    "registration_cancelled",
}


def _notify(
    registration: Registration,
    *,
    kind: str,
    template: str,
    link: str = "",
    **context: Any,
) -> None:
    seminar, user = registration.seminar, registration.user
    attachments = None
    if kind in INVITE_KINDS and (kind != "registration_cancelled" or context.get("had_seat")):
        method = "CANCEL" if kind in ("registration_cancelled", "seminar_cancelled") else "REQUEST"
        attachments = [
            ("invite.ics", registration_ics(registration), f"text/calendar; method={method}")
        ]
    with translation.override(user.language):
        where = seminar.location  # "Online" in the reader's language
    notification_send(
        email=user.email,
        recipient=user,
        organization=registration.organization,
        kind=f"training.{kind}",
        template=f"training/email/{template}",
        context={
            "name": user.display_name,
            "seminar": seminar.title,
            "when": seminar_when(seminar, user),
            "where": where,
            "online": seminar.is_online,
            "registration_url": _url("training:registration_detail", registration.pk),
            "calendar_url": _url("training:registration_ics", registration.pk),
            **context,
        },
        link=link or _url("training:registration_detail", registration.pk),
        attachments=attachments,
    )
