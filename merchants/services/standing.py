"""A merchant's standing once decided: suspension and reinstatement, strikes (the third
active one suspends) and badges on the public profile."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.models import Badge, MerchantApplication, Strike
from merchants.services.state import (
    S,
    _application_of,
    _notify_applicant,
    _require_reason,
    _transition,
)
from network.cache import public_listings_changed
from network.models import Organization, User
from network.permissions import require_operator
from network.services import audit


@transaction.atomic
def merchant_suspend(
    *, organization: Organization, reason: str, acting_user: User | None
) -> MerchantApplication:
    """Suspend an approved merchant: its listings are hidden and it can take no new orders or
    bookings. ``acting_user`` is None when the strike rule suspends automatically."""
    if acting_user is not None:
        require_operator(acting_user)
    reason = _require_reason(reason)
    application = _application_of(organization)
    _transition(application, "suspend", acting_user=acting_user, suspension_reason=reason)
    _notify_applicant(application, event="suspended")
    return application


@transaction.atomic
def merchant_reinstate(*, organization: Organization, acting_user: User) -> MerchantApplication:
    """Lift a suspension."""
    require_operator(acting_user)
    application = _application_of(organization)
    _transition(application, "reinstate", acting_user=acting_user, suspension_reason="")
    _notify_applicant(application, event="reinstated")
    return application


@transaction.atomic
def strike_issue(
    *, organization: Organization, reason: str, source: str, acting_user: User
) -> Strike:
    """Record a strike; the third active one within twelve months suspends the merchant."""
    require_operator(acting_user)
    application = _application_of(organization)  # locks: strikes for one merchant queue up
    now = timezone.now()
    strike = Strike(
        organization=organization,
        reason=reason,
        source=source,
        issued_by=acting_user,
        expires_at=now + timedelta(days=settings.STRIKE_VALID_DAYS),
    )
    strike.full_clean()
    strike.save()
    # Active (not revoked, not expired) and issued within the last twelve months, whatever
    # STRIKE_VALID_DAYS is set to.
    active = (
        Strike.objects.visible_to(organization)
        .filter(
            organization=organization,
            revoked_at__isnull=True,
            expires_at__gt=now,
            created_at__gt=now - timedelta(days=365),
        )
        .count()
    )
    audit(
        actor=acting_user,
        organization=organization,
        action="strike.issued",
        target=strike,
        changes={"active_strikes": active},
    )
    if active >= settings.STRIKES_TO_SUSPEND and application.status == S.APPROVED:
        merchant_suspend(
            organization=organization,
            acting_user=None,
            reason=_("%(count)s active strikes within twelve months.") % {"count": active},
        )
    return strike


@transaction.atomic
def strike_revoke(*, strike: Strike, acting_user: User) -> Strike:
    """Withdraw a strike (for example after a successful appeal)."""
    require_operator(acting_user)
    if strike.revoked_at is None:
        strike.revoked_at = timezone.now()
        strike.save(update_fields=["revoked_at"])
        audit(
            actor=acting_user,
            organization=strike.organization,
            action="strike.revoked",
            target=strike,
        )
    return strike


@transaction.atomic
def merchant_award_badge(
    *, organization: Organization, badge: str, acting_user: User | None
) -> MerchantApplication:
    """Show ``badge`` on the merchant's public profile (idempotent)."""
    badge = Badge(badge)
    application = _application_of(organization)
    if badge not in application.badges:
        application.badges = sorted([*application.badges, badge])
        application.save(update_fields=["badges"])
        public_listings_changed()  # the badges show on the merchant's product pages
        audit(
            actor=acting_user,
            organization=organization,
            action="merchant.badge_awarded",
            target=application,
            changes={"badge": badge},
        )
    return application
