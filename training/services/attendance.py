"""Check-in at the door (operators), the badge it earns a merchant, and the certificate of
attendance."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.selectors import merchant_application
from merchants.services import merchant_award_badge
from network.models import Organization, User
from network.permissions import require_operator
from network.services import audit
from training.errors import IllegalTransition, NotAllowed
from training.models import Registration, Seminar
from training.services.core import MANAGERS_ONLY, _lock_registration, _notify

# Operators may check people in from this long before the start (doors open) ...
CHECK_IN_OPENS_BEFORE = timedelta(hours=3)


# ... until this long after the end (late paperwork at the venue).
CHECK_IN_CLOSES_AFTER = timedelta(days=1)


BADGE_SEMINAR_GRADUATE = "seminar_graduate"


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
