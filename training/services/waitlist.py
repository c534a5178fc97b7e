"""The waitlist: a freed seat is offered to the person waiting longest with a link that
expires; an offer is accepted, declined or lapses, and the seat moves on."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from network.dates import when
from network.models import Organization, User
from network.services import audit
from network.tenancy import row_scope
from network.transitions import transition_check
from training.errors import IllegalTransition, NotAllowed, OfferInvalid
from training.models import Registration, Seminar
from training.selectors import offer_for_token, seat_registrations
from training.services.core import (
    REGISTRATION_TRANSITIONS,
    RETRY,
    _change_seats,
    _lock_registration,
    _lock_seminar,
    _notify,
    _time_zone_for,
    _url,
)


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


# Tasks keep the names the beat schedule and queued messages know them by.
@shared_task(name="training.tasks.seat_offer_expire", **RETRY)
def seat_offer_expire(self: Any, registration_id: int) -> bool:
    """Let one lapsed offer go and offer the seat to the next person waiting."""
    return offer_expire(registration_id=registration_id)


@shared_task(name="training.tasks.seat_offers_expire", **RETRY)
def seat_offers_expire(self: Any) -> int:
    """Beat: expire every offer past its deadline, one transaction each, each in its own
    registration's scope."""
    expired = 0
    for registration_id in offers_due_for_expiry():
        expired += bool(offer_expire(registration_id=registration_id))
    return expired
