"""The operators' review: taking an application from the queue, the checklist, internal notes
and the decision (approve, request changes, reject)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.errors import ApplicationIncomplete, IllegalTransition
from merchants.models import Badge, MerchantApplication, ReviewNote
from merchants.services.state import S, _lock, _notify_applicant, _require_reason, _transition
from network.models import User
from network.permissions import require_operator
from network.services import audit


@transaction.atomic
def application_start_review(
    *, application: MerchantApplication, acting_user: User
) -> MerchantApplication:
    """An operator takes the application from the queue."""
    require_operator(acting_user)
    application = _lock(application)
    return _transition(application, "start_review", acting_user=acting_user, reviewer=acting_user)


@transaction.atomic
def application_update_checklist(
    *, application: MerchantApplication, checks: dict[str, bool], acting_user: User
) -> MerchantApplication:
    """Tick or untick the review checklist (in review only)."""
    require_operator(acting_user)
    application = _lock(application)
    if application.status != S.IN_REVIEW:
        raise IllegalTransition(
            _("The checklist can only change while the application is in review.")
        )
    changed = {}
    for name in MerchantApplication.CHECKLIST:
        if name in checks and bool(checks[name]) != getattr(application, name):
            changed[name] = [getattr(application, name), bool(checks[name])]
            setattr(application, name, bool(checks[name]))
    application.save()
    if changed:
        audit(
            actor=acting_user,
            organization=application.organization,
            action="merchant_application.checklist_updated",
            target=application,
            changes=changed,
        )
    return application


@transaction.atomic
def application_add_note(
    *, application: MerchantApplication, body: str, acting_user: User
) -> ReviewNote:
    """An internal note for operators; the applicant never sees it."""
    require_operator(acting_user)
    if not body.strip():
        raise ValidationError({"body": _("Write the note first.")})
    note = ReviewNote.objects.create(application=application, author=acting_user, body=body.strip())
    audit(
        actor=acting_user,
        organization=application.organization,
        action="merchant_application.note_added",
        target=application,
    )
    return note


@transaction.atomic
def application_approve(
    *, application: MerchantApplication, acting_user: User
) -> MerchantApplication:
    """Approve: the merchant may list and sell. Needs the whole checklist ticked."""
    require_operator(acting_user)
    application = _lock(application)
    if application.status == S.IN_REVIEW and not application.checklist_complete:
        raise ApplicationIncomplete(_("Complete every item of the checklist before approving."))
    now = timezone.now()
    badges = sorted(set(application.badges) | {Badge.VERIFIED})
    _transition(
        application,
        "approve",
        acting_user=acting_user,
        decided_at=now,
        approved_at=application.approved_at or now,
        decision_reason="",
        badges=badges,
    )
    _notify_applicant(application, event="approved")
    return application


def _decide_with_reason(
    application: MerchantApplication, action: str, *, reason: str, acting_user: User, event: str
) -> MerchantApplication:
    require_operator(acting_user)
    reason = _require_reason(reason)
    application = _lock(application)
    _transition(
        application,
        action,
        acting_user=acting_user,
        decided_at=timezone.now(),
        decision_reason=reason,
    )
    _notify_applicant(application, event=event)
    return application


@transaction.atomic
def application_request_changes(
    *, application: MerchantApplication, reason: str, acting_user: User
) -> MerchantApplication:
    """Send the application back with what to change; the applicant sees the reason."""
    return _decide_with_reason(
        application,
        "request_changes",
        reason=reason,
        acting_user=acting_user,
        event="changes_requested",
    )


@transaction.atomic
def application_reject(
    *, application: MerchantApplication, reason: str, acting_user: User
) -> MerchantApplication:
    """Reject the application; the applicant sees the reason."""
    return _decide_with_reason(
        application, "reject", reason=reason, acting_user=acting_user, event="rejected"
    )
