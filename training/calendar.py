"""iCalendar (RFC 5545 / iTIP RFC 5546) files: one invitation per registration, and a person's
subscription feed of the seminars they hold a seat at.

A registration's event keeps one UID for its whole life; every change a calendar must pick up
raises its SEQUENCE, and a cancellation is the same UID with METHOD:CANCEL."""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import parseaddr

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from training.models import Registration, Seminar

PRODID = "-//Global US Merchants Network//Training seminars//EN"


def _host() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"


def event_uid(registration: Registration) -> str:
    return f"seminar-{registration.seminar_id}-{registration.uid}@{_host()}"


def _organizer() -> vCalAddress:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address or 'no-reply@' + _host()}")
    organizer.params["cn"] = vText(name or settings.SITE_NAME)
    return organizer


def _event(registration: Registration, *, cancelled: bool) -> Event:
    seminar: Seminar = registration.seminar
    detail_url = settings.SITE_URL + reverse("training:seminar_detail", args=[seminar.slug])
    description = [seminar.summary.strip()] if seminar.summary.strip() else []
    if seminar.is_online and registration.status == Registration.Status.CONFIRMED:
        description.append(f"Join: {seminar.join_url}")
    description.append(detail_url)

    event = Event()
    event.add("uid", event_uid(registration))
    event.add("dtstamp", timezone.now())
    event.add("sequence", registration.calendar_sequence)
    event.add("dtstart", seminar.start_at)
    event.add("dtend", seminar.end_at)
    event.add("summary", seminar.title)
    event.add("description", "\n\n".join(description))
    event.add("location", seminar.join_url if seminar.is_online else seminar.location)
    event.add("url", detail_url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _organizer())
    attendee = vCalAddress(f"mailto:{registration.user.email}")
    attendee.params["cn"] = vText(registration.user.display_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("DECLINED" if cancelled else "ACCEPTED")
    event.add("attendee", attendee)
    return event


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def registration_ics(registration: Registration) -> bytes:
    """The invitation (METHOD:REQUEST) of a confirmed registration, or its cancellation
    (METHOD:CANCEL) once the seat is given up or the seminar is cancelled."""
    cancelled = (
        registration.status != Registration.Status.CONFIRMED
        or registration.seminar.status == Seminar.Status.CANCELLED
    )
    calendar = _calendar("CANCEL" if cancelled else "REQUEST")
    calendar.add_component(_event(registration, cancelled=cancelled))
    return calendar.to_ical()


def feed_ics(registrations: Iterable[Registration], *, name: str) -> bytes:
    """A subscription feed (METHOD:PUBLISH) with the same UIDs as the invitations, so a
    calendar that has both shows each seminar once."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval;value=duration", "PT6H")
    for registration in registrations:
        calendar.add_component(_event(registration, cancelled=False))
    return calendar.to_ical()
