"""The application's state machine: the only way its status changes, the lock every service
takes on it, and the notice its applicant receives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scope

from merchants.errors import IllegalTransition
from merchants.models import ApplicationStatus, BrandClaim, MerchantApplication, MerchantDocument
from network.cache import public_listings_changed
from network.models import Membership, Notification, Organization, Role, User
from network.services import notification_send
from network.tenancy import PartyQuerySet
from network.transitions import Transition, transition, transition_apply

S = ApplicationStatus


# action -> (label, states it may start from, state it leads to). The only way a status changes.
TRANSITIONS: dict[str, Transition] = {
    "submit": transition(gettext_lazy("submit"), {S.DRAFT, S.CHANGES_REQUESTED}, S.SUBMITTED),
    "start_review": transition(gettext_lazy("start reviewing"), {S.SUBMITTED}, S.IN_REVIEW),
    "approve": transition(gettext_lazy("approve"), {S.IN_REVIEW}, S.APPROVED),
    "request_changes": transition(
        gettext_lazy("request changes to"), {S.IN_REVIEW}, S.CHANGES_REQUESTED
    ),
    "reject": transition(gettext_lazy("reject"), {S.IN_REVIEW}, S.REJECTED),
    "suspend": transition(gettext_lazy("suspend"), {S.APPROVED}, S.SUSPENDED),
    "reinstate": transition(gettext_lazy("reinstate"), {S.SUSPENDED}, S.APPROVED),
}


EDITABLE = {S.DRAFT, S.CHANGES_REQUESTED}


# The refusal a member without the role needed reads (the applicant's own organisation).
def _require_editable(application: MerchantApplication) -> None:
    if application.status not in EDITABLE:
        raise IllegalTransition(
            _("The application is %(status)s and cannot be edited now.")
            % {"status": application.get_status_display()}
        )


def _lock(application: MerchantApplication) -> MerchantApplication:
    return (
        MerchantApplication.objects.visible_to(application.organization)
        .select_for_update()
        .get(pk=application.pk)
    )


def _brands(application: MerchantApplication) -> PartyQuerySet[BrandClaim]:
    """The application's brand claims, read as its applicant (services run in any scope)."""
    return BrandClaim.objects.visible_to(application.organization).filter(application=application)


def _documents(application: MerchantApplication) -> PartyQuerySet[MerchantDocument]:
    """The application's documents, read as its applicant."""
    return MerchantDocument.objects.visible_to(application.organization).filter(
        application=application
    )


def _transition(
    application: MerchantApplication, action: str, *, acting_user: User | None, **changes: Any
) -> MerchantApplication:
    """Move the (locked) application along ``TRANSITIONS[action]`` and audit it."""
    before = application.status
    transition_apply(
        TRANSITIONS,
        action,
        application,
        acting_user=acting_user,
        organization=application.organization,
        audit_action=f"merchant_application.{action}",
        changes=changes,
        audit_changes={k: str(v) for k, v in changes.items() if k.endswith("reason")},
        message=_("You cannot %(action)s an application that is %(status)s."),
        error=IllegalTransition,
    )
    # An approved merchant's listings are public: only a move into or out of approval (and
    # the badges it sets) changes what buyers see; the other steps leave the cached pages be.
    if S.APPROVED in (before, application.status):
        public_listings_changed()
    return application


def _notify_applicant(application: MerchantApplication, *, event: str) -> None:
    """Tell every owner and admin of the merchant organisation what happened, from a task sent
    once the transaction commits (rendering and storing their mail is not the deciding
    operator's wait)."""
    applicant_notify.delay_on_commit(
        application.organization_id,
        event,
        application.decision_reason or application.suspension_reason,
        timezone.now().isoformat(),
    )


# The notice tasks: idempotent, retried while the database is unreachable.
NOTICE_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(name="merchants.tasks.applicant_notify", **NOTICE_TASK_OPTIONS)
def applicant_notify(
    self: Task, organization_id: int, event: str, reason: str, decided_at: str
) -> int:
    """Notify the merchant organisation's owners and admins that its application was ``event``
    (with the ``reason`` given); how many were notified. A second run notifies nobody twice:
    whoever has this kind of notice since ``decided_at`` is skipped."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    kind = f"merchant_application.{event}"
    link = settings.SITE_URL + reverse("merchants:application")
    notified = 0
    with scope(organization=organization), transaction.atomic():
        told = set(
            Notification.objects.filter(
                organization=organization,
                kind=kind,
                created_at__gte=datetime.fromisoformat(decided_at),
            ).values_list("recipient_id", flat=True)
        )
        for membership in Membership.objects.filter(
            organization=organization, role__in=[Role.OWNER, Role.ADMIN]
        ).select_related("user"):
            if membership.user_id in told:
                continue
            notification_send(
                email=membership.user.email,
                recipient=membership.user,
                organization=organization,
                kind=kind,
                template="merchants/email/application_status",
                context={"event": event, "organization": organization.name, "reason": reason},
                link=link,
            )
            notified += 1
    return notified


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationError({"reason": _("Give the applicant a reason.")})
    return reason.strip()


def _application_of(organization: Organization) -> MerchantApplication:
    application = (
        MerchantApplication.objects.visible_to(organization)
        .select_for_update()
        .filter(organization=organization)
        .first()
    )
    if application is None:
        raise IllegalTransition(
            _("%(name)s has no application with the network.") % {"name": organization.name}
        )
    return application
