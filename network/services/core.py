"""Every write of the platform core. Each is atomic, audited, and mails only after commit."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_scopes import scope

from network.errors import DomainError, PermissionDenied
from network.models import (
    ROLES_BY_KIND,
    AuditEvent,
    ExchangeRate,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
)
from network.permissions import require_member
from network.selectors import user_is_operator
from network.services.notifications import notification_send


class InvitationInvalid(DomainError):
    code = "invitation_invalid"


class MembershipInvalid(DomainError):
    code = "membership_invalid"


# --- Audit -------------------------------------------------------------------------------------


def audit(
    *,
    actor: User | None,
    organization: Organization | None,
    action: str,
    target: models.Model | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record who did what to which object; called by services inside their transaction."""
    event = AuditEvent(
        actor=actor if actor and actor.is_authenticated else None,
        organization=organization,
        action=action,
        changes=changes or {},
    )
    if target is not None:
        event.target_type = ContentType.objects.get_for_model(target)
        event.target_id = str(target.pk)
        event.target_repr = str(target)[:200]
    event.save()
    return event


# --- Users -------------------------------------------------------------------------------------


@transaction.atomic
def user_update_preferences(*, user: User, full_name: str, language: str, time_zone: str) -> User:
    """Save a person's name, language and time zone (used for pages and for their mail)."""
    before = {"full_name": user.full_name, "language": user.language, "time_zone": user.time_zone}
    user.full_name = full_name
    user.language = language
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "language", "time_zone"])
    after = {"full_name": full_name, "language": language, "time_zone": time_zone}
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit(
        actor=user,
        organization=None,
        action="user.preferences_updated",
        target=user,
        changes=changed,
    )
    return user


# --- Organisations -----------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:60] or "org"
    slug, counter = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


@transaction.atomic
def organization_create(
    *, name: str, kind: str, country: str, owner: User, slug: str | None = None
) -> Organization:
    """Create an organisation with ``owner`` as its first member (role owner).

    Operator organisations are created by the network itself, never through sign-up."""
    organization = Organization(
        name=name.strip(), kind=kind, country=country.upper(), slug=slug or _unique_slug(name)
    )
    organization.full_clean()
    organization.save()
    Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    audit(
        actor=owner,
        organization=organization,
        action="organization.created",
        target=organization,
        changes={"kind": kind, "name": organization.name},
    )
    return organization


def _check_role_allowed(organization: Organization, role: str) -> None:
    if role not in ROLES_BY_KIND[organization.kind]:
        raise MembershipInvalid(
            _("The role %(role)s does not exist in a %(kind)s organisation.")
            % {"role": Role(role).label, "kind": organization.get_kind_display()}
        )


def _require_admin(*, organization: Organization, acting_user: User) -> Membership:
    return require_member(
        organization=organization,
        user=acting_user,
        role=Role.ADMIN,
        message=_("Only an owner or admin of %(org)s can do that.") % {"org": organization.name},
    )


@transaction.atomic
def invitation_create(
    *, organization: Organization, email: str, role: str, acting_user: User
) -> tuple[Invitation, str]:
    """Invite ``email`` to join with ``role``; mail the link after commit.

    Returns the invitation and its token, which is never stored in clear."""
    acting = _require_admin(organization=organization, acting_user=acting_user)
    _check_role_allowed(organization, role)
    if role == Role.OWNER and acting.role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can invite another owner."))
    email = email.strip().lower()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise InvitationInvalid(_("%(email)s is already a member.") % {"email": email})
    with scope(organization=organization):
        Invitation.objects.filter(
            organization=organization, email__iexact=email, status=Invitation.Status.PENDING
        ).update(status=Invitation.Status.REVOKED)
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            organization=organization,
            email=email,
            role=role,
            token_hash=Invitation.hash_token(token),
            invited_by=acting_user,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        invitation.full_clean()
        invitation.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="invitation.created",
        target=invitation,
        changes={"email": email, "role": role},
    )
    existing = User.objects.filter(email__iexact=email).first()
    notification_send(
        email=email,
        recipient=existing,
        organization=organization,
        kind="invitation",
        template="network/email/invitation",
        context={
            "organization": organization.name,
            "inviter": acting_user.display_name,
            "role": Role(role).label,
            "days": settings.INVITATION_VALID_DAYS,
        },
        language=existing.language if existing else translation.get_language(),
        link=settings.SITE_URL + reverse("invitation_accept", args=[token]),
    )
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link's token opens (its holder is not a member yet)."""
    return (
        Invitation.objects.opened_by(Invitation.hash_token(token))
        .select_related("organization")
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the invitation's organisation; refuses expired, used, revoked or misaddressed ones."""
    invitation = (
        Invitation.objects.opened_by(Invitation.hash_token(token))
        .select_for_update()
        .select_related("organization")
        .first()
    )
    if invitation is None or invitation.status == Invitation.Status.REVOKED:
        raise InvitationInvalid(_("This invitation link is not valid."))
    if invitation.status == Invitation.Status.ACCEPTED:
        raise InvitationInvalid(_("This invitation has already been used."))
    if invitation.is_expired:
        raise InvitationInvalid(
            _("This invitation expired; ask %(org)s for a new one.")
            % {"org": invitation.organization.name}
        )
    if invitation.email.lower() != user.email.lower():
        raise InvitationInvalid(
            _("This invitation was sent to %(email)s; log in with that address to accept it.")
            % {"email": invitation.email}
        )
    membership, created = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["status", "accepted_at", "accepted_by"])
    audit(
        actor=user,
        organization=invitation.organization,
        action="invitation.accepted",
        target=invitation,
        changes={"role": membership.role, "new_member": created},
    )
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, acting_user: User) -> Invitation:
    """Revoke a pending invitation so its link stops working."""
    _require_admin(organization=invitation.organization, acting_user=acting_user)
    if invitation.status != Invitation.Status.PENDING:
        raise InvitationInvalid(_("Only a pending invitation can be revoked."))
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status"])
    audit(
        actor=acting_user,
        organization=invitation.organization,
        action="invitation.revoked",
        target=invitation,
    )
    return invitation


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, acting_user: User) -> Membership:
    """Change a member's role; an organisation always keeps at least one owner."""
    acting = _require_admin(organization=membership.organization, acting_user=acting_user)
    _check_role_allowed(membership.organization, role)
    if Role.OWNER in (role, membership.role) and acting.role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can grant or take away the owner role."))
    locked = (
        Membership.objects.select_for_update()
        .filter(organization=membership.organization)
        .order_by("pk")
    )
    owners = [m for m in locked if m.role == Role.OWNER]
    if membership.role == Role.OWNER and role != Role.OWNER and len(owners) <= 1:
        raise MembershipInvalid(_("An organisation must keep at least one owner."))
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit(
        actor=acting_user,
        organization=membership.organization,
        action="membership.role_changed",
        target=membership,
        changes={"role": [before, role]},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, acting_user: User) -> None:
    """Remove a member (or leave, when it is one's own); the last owner cannot go."""
    organization = membership.organization
    if membership.user_id != acting_user.pk:
        acting = _require_admin(organization=organization, acting_user=acting_user)
        if membership.role == Role.OWNER and acting.role != Role.OWNER:
            raise PermissionDenied(_("Only an owner can remove an owner."))
    owners = list(
        Membership.objects.select_for_update()
        .filter(organization=organization, role=Role.OWNER)
        .order_by("pk")
    )
    if membership.role == Role.OWNER and len(owners) <= 1:
        raise MembershipInvalid(_("An organisation must keep at least one owner."))
    audit(
        actor=acting_user,
        organization=organization,
        action="membership.removed",
        target=membership,
        changes={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()


def organization_switch(*, request: HttpRequest, organization_id: int) -> Membership:
    """Make one of the user's organisations the active one for this session."""
    user = request.user
    membership = (
        None
        if isinstance(user, AnonymousUser)
        else Membership.objects.select_related("organization")
        .filter(user=user, organization_id=organization_id)
        .first()
    )
    if membership is None:
        raise PermissionDenied(_("You are not a member of that organisation."))
    request.session["active_organization_id"] = membership.organization_id
    return membership


@transaction.atomic
def exchange_rate_set(
    *, base: str, quote: str, rate: Decimal, effective_date: date, acting_user: User
) -> ExchangeRate:
    """Set (or correct) the rate for a day; operators only."""
    if not user_is_operator(acting_user):
        raise PermissionDenied(_("Only network operators can set exchange rates."))
    existing = (
        ExchangeRate.objects.select_for_update()
        .filter(base=base, quote=quote, effective_date=effective_date)
        .first()
    )
    before = str(existing.rate) if existing else None
    exchange_rate = existing or ExchangeRate(base=base, quote=quote, effective_date=effective_date)
    exchange_rate.rate = rate
    exchange_rate.set_by = acting_user
    exchange_rate.full_clean()
    exchange_rate.save()
    audit(
        actor=acting_user,
        organization=None,
        action="exchange_rate.set",
        target=exchange_rate,
        changes={"rate": [before, str(rate)], "date": effective_date.isoformat()},
    )
    return exchange_rate
