"""Every write of the training app. Each is atomic, checks its transition, writes an audit
record and sends its mail only after commit.

Locks are taken late and in one order: the seminar row first (it carries the seat counters and
the arrival counter), then registration rows. Seat counters only ever change with ``F()`` while
the seminar row is locked, and a check constraint refuses more seats than the capacity."""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merchants.selectors import merchant_application
from merchants.services import merchant_award_badge
from network.dates import span, when
from network.models import Membership, Organization, Role, User
from network.selectors import user_is_operator
from network.services import audit, notification_send
from network.tenancy import require_operator, row_scope
from network.transitions import Transition, transition, transition_check
from training.errors import (
    AlreadyRegistered,
    FeedbackInvalid,
    IllegalTransition,
    NotAllowed,
    OfferInvalid,
    RegistrationClosed,
    SeatLimitReached,
)
from training.models import CalendarFeed, Feedback, Registration, Seminar, SeminarMaterial
from training.selectors import offer_for_token, seat_registrations

R = Registration.Status
# action -> (label, statuses it may start from, status it leads to): every move of a seminar
# registration (a new one starts confirmed or waitlisted, by the seats left).
REGISTRATION_TRANSITIONS: dict[str, Transition] = {
    "cancel": transition(gettext_lazy("cancel"), Registration.ACTIVE, R.CANCELLED),
    "offer": transition(gettext_lazy("offer a seat to"), {R.WAITLISTED}, R.OFFERED),
    "accept_offer": transition(gettext_lazy("accept"), {R.OFFERED}, R.CONFIRMED),
    "expire_offer": transition(gettext_lazy("expire"), {R.OFFERED}, R.EXPIRED),
}

# Operators may check people in from this long before the start (doors open) ...
CHECK_IN_OPENS_BEFORE = timedelta(hours=3)
# ... until this long after the end (late paperwork at the venue).
CHECK_IN_CLOSES_AFTER = timedelta(days=1)
REMINDERS = (
    # (name, how long before the start, the field that records it was sent)
    ("week", timedelta(days=7), "reminder_week_sent_at"),
    ("day", timedelta(days=1), "reminder_day_sent_at"),
)
# Changes to these fields move the event in people's calendars: the invitations are re-sent.
CALENDAR_FIELDS = (
    "title",
    "start_at",
    "end_at",
    "format",
    "venue",
    "address",
    "city",
    "join_url",
)
ATTENDING_KINDS = (Organization.Kind.MERCHANT, Organization.Kind.BUYER)
BADGE_SEMINAR_GRADUATE = "seminar_graduate"
# The refusal anyone but an operator reads when managing seminars.
MANAGERS_ONLY = gettext_lazy("Only network operators can manage seminars.")


# --- Who may do what ---------------------------------------------------------------------------


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


# --- Helpers -----------------------------------------------------------------------------------


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
        from training.calendar import registration_ics

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


# --- Seminars (operators) ----------------------------------------------------------------------


def _unique_slug(title: str, start_at: datetime) -> str:
    base = slugify(f"{title} {start_at:%Y-%m-%d}")[:70] or "seminar"
    slug, counter = base, 2
    while Seminar.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


SEMINAR_EDITABLE_FIELDS = (
    "title",
    "topic",
    "language",
    "summary",
    "format",
    "venue",
    "address",
    "city",
    "join_url",
    "time_zone",
    "start_at",
    "end_at",
    "capacity",
    "seats_per_organization",
    "registration_opens_at",
    "registration_closes_at",
    "speakers",
    "agenda",
)


@transaction.atomic
def seminar_create(*, values: dict[str, Any], acting_user: User) -> Seminar:
    """Create a draft seminar from ``values`` (the editable fields); operators only."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    seminar = Seminar(created_by=acting_user)
    for field in SEMINAR_EDITABLE_FIELDS:
        if field in values:
            setattr(seminar, field, values[field])
    seminar.slug = values.get("slug") or _unique_slug(seminar.title, seminar.start_at)
    seminar.full_clean()
    seminar.save()
    audit(
        actor=acting_user,
        organization=None,
        action="seminar.created",
        target=seminar,
        changes={"title": seminar.title, "capacity": seminar.capacity},
    )
    return seminar


@transaction.atomic
def seminar_update(*, seminar: Seminar, values: dict[str, Any], acting_user: User) -> Seminar:
    """Change a seminar. A move in time or place re-sends every confirmed attendee's invitation
    with a higher SEQUENCE; more seats are offered to the waitlist at once."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    seminar = _lock_seminar(seminar.pk)
    if seminar.status == Seminar.Status.CANCELLED:
        raise IllegalTransition(_("A cancelled seminar cannot be changed."))
    changes = {}
    for field in SEMINAR_EDITABLE_FIELDS:
        if field in values and getattr(seminar, field) != values[field]:
            changes[field] = [str(getattr(seminar, field)), str(values[field])]
            setattr(seminar, field, values[field])
    if not changes:
        return seminar
    seminar.full_clean()
    seminar.save()
    audit(
        actor=acting_user,
        organization=None,
        action="seminar.updated",
        target=seminar,
        changes=changes,
    )
    if seminar.status == Seminar.Status.PUBLISHED and set(changes) & set(CALENDAR_FIELDS):
        confirmed = seat_registrations().filter(
            seminar=seminar, status=Registration.Status.CONFIRMED
        )
        confirmed.update(calendar_sequence=F("calendar_sequence") + 1)
        for registration in confirmed.select_related("user", "organization", "seminar"):
            _notify(registration, kind="seminar_updated", template="seminar_updated")
    if seminar.status == Seminar.Status.PUBLISHED:
        _offer_free_seats(seminar, acting_user=acting_user)
    return seminar


@transaction.atomic
def seminar_publish(*, seminar: Seminar, acting_user: User) -> Seminar:
    """Make a draft seminar public and, once its registration window opens, bookable."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    seminar = _lock_seminar(seminar.pk)
    if seminar.status != Seminar.Status.DRAFT:
        raise IllegalTransition(_("Only a draft seminar can be published."))
    if seminar.has_started():
        raise IllegalTransition(_("A seminar in the past cannot be published."))
    seminar.full_clean()
    seminar.status = Seminar.Status.PUBLISHED
    seminar.published_at = timezone.now()
    seminar.save(update_fields=["status", "published_at", "updated_at"])
    audit(actor=acting_user, organization=None, action="seminar.published", target=seminar)
    return seminar


@transaction.atomic
def seminar_cancel(*, seminar: Seminar, acting_user: User) -> Seminar:
    """Call a seminar off: every active registration is cancelled and every confirmed attendee
    receives the calendar cancellation."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    seminar = _lock_seminar(seminar.pk)
    if seminar.status == Seminar.Status.CANCELLED:
        raise IllegalTransition(_("This seminar is already cancelled."))
    if seminar.has_ended():
        raise IllegalTransition(_("A seminar that has taken place cannot be cancelled."))
    now = timezone.now()
    active = list(
        seat_registrations()
        .select_for_update(of=("self",))
        .select_related("user", "organization")
        .filter(seminar=seminar, status__in=Registration.ACTIVE)
        .order_by("pk")
    )
    for registration in active:
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = now
        registration.calendar_sequence += 1
        registration.offer_token_hash = ""
        registration.seminar = seminar
    seat_registrations().bulk_update(
        active, ["status", "cancelled_at", "calendar_sequence", "offer_token_hash"]
    )
    seminar.status = Seminar.Status.CANCELLED
    seminar.cancelled_at = now
    seminar.confirmed_count = 0
    seminar.offered_count = 0
    seminar.save(
        update_fields=["status", "cancelled_at", "confirmed_count", "offered_count", "updated_at"]
    )
    audit(
        actor=acting_user,
        organization=None,
        action="seminar.cancelled",
        target=seminar,
        changes={"registrations_cancelled": len(active)},
    )
    for registration in active:
        _notify(registration, kind="seminar_cancelled", template="seminar_cancelled")
    return seminar


@transaction.atomic
def material_add(
    *, seminar: Seminar, title: str, upload: UploadedFile, acting_user: User
) -> SeminarMaterial:
    """Attach a file for attendees; they can download it once the seminar has ended."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    material = SeminarMaterial(
        seminar=seminar,
        title=title.strip(),
        original_name=(upload.name or "file")[:200],
        content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:100],
        size=upload.size or 0,
        uploaded_by=acting_user,
    )
    material.file.save(upload.name or "file", upload, save=False)
    material.full_clean()
    material.save()
    audit(
        actor=acting_user,
        organization=None,
        action="seminar.material_added",
        target=seminar,
        changes={"title": material.title, "file": material.original_name},
    )
    return material


@transaction.atomic
def material_remove(*, material: SeminarMaterial, acting_user: User) -> None:
    """Delete a material and its file."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    audit(
        actor=acting_user,
        organization=None,
        action="seminar.material_removed",
        target=material.seminar,
        changes={"title": material.title},
    )
    name = material.file.name
    storage = material.file.storage
    material.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- Registration, cancellation and the waitlist -----------------------------------------------


@transaction.atomic
def registration_create(
    *, seminar: Seminar, organization: Organization, acting_user: User
) -> Registration:
    """Register ``acting_user`` on behalf of ``organization``: a seat if one is free and nobody
    is waiting, otherwise a place at the end of the waitlist. Raises RegistrationClosed,
    AlreadyRegistered, SeatLimitReached or NotAllowed."""
    membership = Membership.objects.filter(user=acting_user, organization=organization).first()
    if (
        membership is None
        or organization.kind not in ATTENDING_KINDS
        or organization.status != Organization.Status.ACTIVE
    ):
        raise NotAllowed(_("Seminars are for members of merchant and buyer organisations."))
    if not membership.has_role(Role.STAFF):
        raise NotAllowed(_("Your role in this organisation does not allow registering."))
    seminar = _lock_seminar(seminar.pk)
    now = timezone.now()
    if not seminar.registration_open(now):
        if seminar.status == Seminar.Status.CANCELLED:
            raise RegistrationClosed(_("This seminar has been cancelled."))
        if seminar.registration_opens_at and now < seminar.registration_opens_at:
            raise RegistrationClosed(_("Registration has not opened yet."))
        raise RegistrationClosed(_("Registration for this seminar is closed."))
    registrations = seat_registrations().filter(seminar=seminar)
    # One seat per person, whichever organisation they registered for.
    if registrations.filter(user=acting_user, status__in=Registration.ACTIVE).exists():
        raise AlreadyRegistered(_("You are already registered for this seminar."))
    limit = seminar.seats_per_organization
    if (
        limit
        and registrations.filter(organization=organization, status__in=Registration.ACTIVE).count()
        >= limit
    ):
        raise SeatLimitReached(
            _("%(org)s already has %(limit)s registrations, the most this seminar allows.")
            % {"org": organization.name, "limit": limit}
        )
    # Nobody jumps the queue: a free seat goes to a newcomer only when nobody waits.
    gets_seat = (
        seminar.seats_left > 0
        and not registrations.filter(status=Registration.Status.WAITLISTED).exists()
    )
    Seminar.objects.filter(pk=seminar.pk).update(
        arrival_counter=F("arrival_counter") + 1,
        confirmed_count=F("confirmed_count") + (1 if gets_seat else 0),
    )
    seminar.refresh_from_db(fields=["arrival_counter", "confirmed_count", "offered_count"])
    registration = Registration(
        seminar=seminar,
        organization=organization,
        user=acting_user,
        arrival=seminar.arrival_counter,
        status=Registration.Status.CONFIRMED if gets_seat else Registration.Status.WAITLISTED,
        created_at=now,
        confirmed_at=now if gets_seat else None,
    )
    # The database holds the uniqueness and the constraints (under concurrency too).
    registration.full_clean(validate_unique=False, validate_constraints=False)
    registration.save()
    position = None if gets_seat else waitlist_position(registration)
    audit(
        actor=acting_user,
        organization=organization,
        action="registration.confirmed" if gets_seat else "registration.waitlisted",
        target=registration,
        changes={"seminar": seminar.pk, "arrival": registration.arrival, "position": position},
    )
    if gets_seat:
        _notify(registration, kind="registration_confirmed", template="registration_confirmed")
    else:
        _notify(
            registration,
            kind="registration_waitlisted",
            template="registration_waitlisted",
            position=position,
        )
    return registration


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next person to be offered a seat; None when not waitlisted."""
    if registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = (
        seat_registrations()
        .filter(
            seminar_id=registration.seminar_id,
            status=Registration.Status.WAITLISTED,
            arrival__lt=registration.arrival,
        )
        .count()
    )
    return ahead + 1


@transaction.atomic
def registration_cancel(*, registration: Registration, acting_user: User) -> Registration:
    """Give up a seat, an offer or a waitlist place. A freed seat is offered to the next person
    waiting. Refused once the seminar has started."""
    if not user_manages_registration(acting_user, registration):
        raise NotAllowed(_("You cannot cancel this registration."))
    seminar = _lock_seminar(registration.seminar_id)
    registration = _lock_registration(registration.pk, organization=registration.organization)
    registration.seminar = seminar
    rule = transition_check(
        REGISTRATION_TRANSITIONS,
        "cancel",
        registration,
        message=_("This registration is no longer active."),
        error=IllegalTransition,
    )
    if seminar.has_started():
        raise IllegalTransition(_("The seminar has started; it is too late to cancel."))
    previous = registration.status
    registration.status = rule.to_status
    registration.cancelled_at = timezone.now()
    registration.offer_token_hash = ""
    if previous == Registration.Status.CONFIRMED:
        registration.calendar_sequence += 1
    registration.save(
        update_fields=["status", "cancelled_at", "offer_token_hash", "calendar_sequence"]
    )
    if previous == Registration.Status.CONFIRMED:
        _change_seats(seminar, confirmed=-1)
    elif previous == Registration.Status.OFFERED:
        _change_seats(seminar, offered=-1)
    audit(
        actor=acting_user,
        organization=registration.organization,
        action="registration.cancelled",
        target=registration,
        changes={"status": [previous, registration.status]},
    )
    _notify(
        registration,
        kind="registration_cancelled",
        template="registration_cancelled",
        had_seat=previous == Registration.Status.CONFIRMED,
        by_someone_else=acting_user.pk != registration.user_id,
    )
    if previous in Registration.HOLDING:
        _offer_free_seats(seminar, acting_user=acting_user)
    return registration


def _offer_free_seats(seminar: Seminar, *, acting_user: User | None) -> list[Registration]:
    """Offer every free seat of a locked seminar to the people waiting longest, each with a
    link that expires. Called inside the caller's transaction and seminar lock."""
    now = timezone.now()
    seminar.refresh_from_db(fields=["confirmed_count", "offered_count", "status", "capacity"])
    if seminar.status != Seminar.Status.PUBLISHED or seminar.has_started(now):
        return []
    free = seminar.seats_left
    if free <= 0:
        return []
    waiting = list(
        seat_registrations()
        .select_for_update(of=("self",))
        .select_related("user", "organization")
        .filter(seminar=seminar, status=Registration.Status.WAITLISTED)
        .order_by("arrival")[:free]
    )
    if not waiting:
        return []
    expires_at = min(now + timedelta(hours=settings.TRAINING_OFFER_VALID_HOURS), seminar.start_at)
    for registration in waiting:
        token = secrets.token_urlsafe(32)
        registration.seminar = seminar
        registration.status = transition_check(
            REGISTRATION_TRANSITIONS, "offer", registration, error=IllegalTransition
        ).to_status
        registration.offered_at = now
        registration.offer_expires_at = expires_at
        registration.offer_token_hash = Registration.hash_token(token)
        registration.save(
            update_fields=["status", "offered_at", "offer_expires_at", "offer_token_hash"]
        )
        audit(
            actor=acting_user,
            organization=registration.organization,
            action="registration.offered",
            target=registration,
            changes={"expires_at": expires_at.isoformat()},
        )
        offer_url = _url("training:offer", token)
        with translation.override(registration.user.language):
            deadline = when(expires_at, zone=_time_zone_for(seminar, registration.user))
        _notify(
            registration,
            kind="seat_offered",
            template="seat_offered",
            link=offer_url,
            offer_url=offer_url,
            deadline=deadline,
        )
    _change_seats(seminar, offered=len(waiting))
    return waiting


@transaction.atomic
def offer_accept(*, token: str, acting_user: User) -> Registration:
    """Take up an offered seat: the registration is confirmed and the invitation sent. Raises
    OfferInvalid for an unknown, used or expired link, NotAllowed for someone else's."""
    found = offer_for_token(token)
    if found is None:
        raise OfferInvalid(_("This link is not valid any more."))
    seminar = _lock_seminar(found.seminar_id)
    registration = _lock_registration(found.pk, organization=found.organization)
    registration.seminar = seminar
    if registration.user_id != acting_user.pk:
        raise NotAllowed(
            _("This seat was offered to %(email)s; log in with that address to accept it.")
            % {"email": registration.user.email}
        )
    rule = REGISTRATION_TRANSITIONS["accept_offer"]
    if not rule.allows(registration.status):
        raise OfferInvalid(_("This offer has already been answered."))
    if registration.offer_expired() or seminar.has_started():
        raise OfferInvalid(_("This offer has expired and the seat has gone to the next person."))
    now = timezone.now()
    registration.status = rule.to_status
    registration.confirmed_at = now
    registration.offer_token_hash = ""
    registration.save(update_fields=["status", "confirmed_at", "offer_token_hash"])
    _change_seats(seminar, offered=-1, confirmed=1)
    audit(
        actor=acting_user,
        organization=registration.organization,
        action="registration.offer_accepted",
        target=registration,
        changes={"status": [Registration.Status.OFFERED, Registration.Status.CONFIRMED]},
    )
    _notify(registration, kind="registration_confirmed", template="registration_confirmed")
    return registration


@transaction.atomic
def offer_expire(*, registration_id: int) -> bool:
    """Let a lapsed offer go and offer the seat to the next person waiting. Returns False when
    there is nothing to do (answered already, not yet due): running it twice is harmless."""
    with row_scope(Registration, registration_id) as organization:
        return _offer_expire(registration_id, organization=organization)


def _offer_expire(registration_id: int, *, organization: Organization | None) -> bool:
    seminar_id = (
        Registration.objects.visible_to(organization)
        .filter(pk=registration_id)
        .values_list("seminar_id", flat=True)
        .first()
    )
    if seminar_id is None or organization is None:
        return False
    seminar = _lock_seminar(seminar_id)
    registration = _lock_registration(registration_id, organization=organization)
    registration.seminar = seminar
    rule = REGISTRATION_TRANSITIONS["expire_offer"]
    if not rule.allows(registration.status) or not registration.offer_expired():
        return False
    registration.status = rule.to_status
    registration.offer_token_hash = ""
    registration.save(update_fields=["status", "offer_token_hash"])
    _change_seats(seminar, offered=-1)
    audit(
        actor=None,
        organization=registration.organization,
        action="registration.offer_expired",
        target=registration,
    )
    _notify(
        registration,
        kind="offer_expired",
        template="offer_expired",
        link=_url("training:seminar_detail", seminar.slug),
    )
    _offer_free_seats(seminar, acting_user=None)
    return True


def offers_due_for_expiry(now: datetime | None = None) -> list[int]:
    """Ids of every offer past its deadline, in any organisation (the periodic sweep; each is
    then expired in its own registration's scope)."""
    return list(
        seat_registrations()
        .filter(status=Registration.Status.OFFERED, offer_expires_at__lte=now or timezone.now())
        .order_by("offer_expires_at", "pk")
        .values_list("pk", flat=True)
    )


# --- Reminders ---------------------------------------------------------------------------------


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


# --- Check-in, certificates, feedback ---------------------------------------------------------


def check_in_open(seminar: Seminar, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        seminar.status == Seminar.Status.PUBLISHED
        and seminar.start_at - CHECK_IN_OPENS_BEFORE
        <= now
        <= seminar.end_at + CHECK_IN_CLOSES_AFTER
    )


@transaction.atomic
def registration_check_in(*, registration: Registration, acting_user: User) -> Registration:
    """Record that a confirmed attendee is here (operators only). An attendee from a merchant
    organisation earns it the "Seminar graduate" badge."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    registration = _lock_registration(registration.pk, organization=registration.organization)
    seminar = registration.seminar
    if registration.status != Registration.Status.CONFIRMED:
        raise IllegalTransition(
            _("Only a confirmed registration can be checked in; this one is %(status)s.")
            % {"status": registration.get_status_display()}
        )
    if registration.attended_at is not None:
        raise IllegalTransition(
            _("%(name)s is already checked in.") % {"name": registration.user.display_name}
        )
    if not check_in_open(seminar):
        raise IllegalTransition(_("Check-in opens three hours before the seminar starts."))
    registration.attended_at = timezone.now()
    registration.checked_in_by = acting_user
    registration.save(update_fields=["attended_at", "checked_in_by"])
    audit(
        actor=acting_user,
        organization=registration.organization,
        action="registration.checked_in",
        target=registration,
    )
    _notify(registration, kind="checked_in", template="checked_in")
    # The badge shows on the merchant's public profile, which exists once it has applied.
    if (
        registration.organization.kind == Organization.Kind.MERCHANT
        and merchant_application(organization=registration.organization) is not None
    ):
        merchant_award_badge(
            organization=registration.organization,
            badge=BADGE_SEMINAR_GRADUATE,
            acting_user=acting_user,
        )
    return registration


def certificate_available(registration: Registration, now: datetime | None = None) -> bool:
    return (
        registration.attended_at is not None
        and registration.status == Registration.Status.CONFIRMED
        and registration.seminar.has_ended(now)
    )


@transaction.atomic
def feedback_submit(
    *, registration: Registration, rating: int, comment: str, acting_user: User
) -> Feedback:
    """Store an attendee's rating and comment, once, after the seminar ended."""
    if registration.user_id != acting_user.pk:
        raise NotAllowed(_("Only the attendee can give feedback on their seminar."))
    registration = _lock_registration(registration.pk, organization=registration.organization)
    if not certificate_available(registration):
        raise FeedbackInvalid(_("Feedback opens to attendees once the seminar has ended."))
    organization = registration.organization
    if Feedback.objects.visible_to(organization).filter(registration=registration).exists():
        raise FeedbackInvalid(_("You have already given feedback on this seminar."))
    feedback = Feedback(
        registration=registration,
        seminar=registration.seminar,
        organization=organization,
        rating=rating,
        comment=comment.strip(),
    )
    # Checked just above, under the registration's lock; the database holds the constraints.
    feedback.full_clean(validate_unique=False, validate_constraints=False)
    feedback.save()
    audit(
        actor=acting_user,
        organization=registration.organization,
        action="registration.feedback_given",
        target=registration,
        changes={"rating": rating},
    )
    return feedback


# --- Calendar feed -----------------------------------------------------------------------------


def calendar_feed_for(*, user: User) -> CalendarFeed:
    """The person's feed, created on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """Replace the feed's secret: the old subscription URL stops working at once."""
    feed = calendar_feed_for(user=user)
    feed.token = CalendarFeed._meta.get_field("token").default()
    feed.save(update_fields=["token"])
    audit(actor=user, organization=None, action="calendar_feed.reset", target=feed)
    return feed
