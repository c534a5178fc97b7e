"""Registering for a seminar (a seat, or a place on the waitlist) and cancelling it."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from network.models import Membership, Organization, Role, User
from network.services import audit
from network.transitions import transition_check
from training.errors import (
    AlreadyRegistered,
    IllegalTransition,
    NotAllowed,
    RegistrationClosed,
    SeatLimitReached,
)
from training.models import Registration, Seminar
from training.selectors import seat_registrations
from training.services.core import (
    ATTENDING_KINDS,
    REGISTRATION_TRANSITIONS,
    _change_seats,
    _lock_registration,
    _lock_seminar,
    _notify,
    user_manages_registration,
)
from training.services.waitlist import _offer_free_seats


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
