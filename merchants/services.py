"""Every write of the merchant registry: the application, its documents, the review and the
merchant's standing (suspension, strikes, badges). One service per state change."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Field
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merchants.errors import (
    ApplicationIncomplete,
    DocumentRejected,
    IllegalTransition,
)
from merchants.models import (
    ApplicationStatus,
    Badge,
    BrandClaim,
    MerchantApplication,
    MerchantDocument,
    ReviewNote,
    Strike,
)
from network.cache import public_listings_changed
from network.errors import DomainError
from network.models import Membership, Organization, Role, User
from network.selectors import operator_memberships
from network.services import audit, notification_send
from network.tenancy import PartyQuerySet, require_member, require_operator
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
ROLE_REFUSED = gettext_lazy("Your role in this organisation does not allow this.")

# Which fields each step of the application form saves.
STEP_FIELDS: dict[str, list[str]] = {
    "company": [
        "legal_name",
        "dba",
        "ein",
        "state_of_incorporation",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
        "website",
    ],
    "contact": ["contact_name", "contact_phone"],
    "business": [
        "year_founded",
        "employee_band",
        "revenue_band",
        "categories",
        "export_experience",
    ],
    "fulfilment": ["fulfilment", "fulfilment_address"],
}
REQUIRED_FIELDS = [
    "legal_name",
    "ein",
    "state_of_incorporation",
    "address_line1",
    "city",
    "state",
    "postal_code",
    "contact_name",
    "contact_phone",
    "year_founded",
    "employee_band",
    "revenue_band",
    "categories",
    "export_experience",
    "fulfilment",
]

ALLOWED_TYPES = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}


# --- Guards ------------------------------------------------------------------------------------


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
    public_listings_changed()  # a merchant's standing decides whether its listings are public
    return application


# --- Notifications -----------------------------------------------------------------------------


def _notify_applicant(application: MerchantApplication, *, event: str) -> None:
    """Tell every owner and admin of the merchant organisation what happened."""
    link = settings.SITE_URL + reverse("merchants:application")
    for membership in Membership.objects.filter(
        organization=application.organization, role__in=[Role.OWNER, Role.ADMIN]
    ).select_related("user"):
        notification_send(
            email=membership.user.email,
            recipient=membership.user,
            organization=application.organization,
            kind=f"merchant_application.{event}",
            template="merchants/email/application_status",
            context={
                "event": event,
                "organization": application.organization.name,
                "reason": application.decision_reason or application.suspension_reason,
            },
            link=link,
        )


def _notify_operators(application: MerchantApplication) -> None:
    link = settings.SITE_URL + reverse("merchants:review", args=[application.pk])
    for membership in operator_memberships().select_related("user"):
        notification_send(
            email=membership.user.email,
            recipient=membership.user,
            organization=membership.organization,
            kind="merchant_application.submitted",
            template="merchants/email/operator_submission",
            context={
                "organization": application.organization.name,
                "legal_name": application.legal_name,
                "state": application.state_of_incorporation,
                "resubmission": application.submission_count > 1,
            },
            link=link,
        )


# --- The application ---------------------------------------------------------------------------


@transaction.atomic
def application_start(*, organization: Organization, acting_user: User) -> MerchantApplication:
    """The merchant organisation's application, created as a draft on first use."""
    if organization.kind != Organization.Kind.MERCHANT:
        raise DomainError(_("Only merchant organisations apply to join the network."))
    require_member(
        organization=organization, user=acting_user, role=Role.STAFF, message=str(ROLE_REFUSED)
    )
    application, created = MerchantApplication.objects.visible_to(organization).get_or_create(
        organization=organization,
        defaults={"legal_name": organization.name, "contact_name": acting_user.full_name},
    )
    if created:
        audit(
            actor=acting_user,
            organization=organization,
            action="merchant_application.started",
            target=application,
        )
    return application


@transaction.atomic
def application_save_step(
    *, application: MerchantApplication, step: str, values: dict[str, Any], acting_user: User
) -> MerchantApplication:
    """Save one step of the form (draft or changes requested only); blank fields stay allowed
    until submission."""
    require_member(
        organization=application.organization,
        user=acting_user,
        role=Role.STAFF,
        message=str(ROLE_REFUSED),
    )
    application = _lock(application)
    _require_editable(application)
    changed = {}
    for name in STEP_FIELDS[step]:
        if name in values and getattr(application, name) != values[name]:
            changed[name] = [str(getattr(application, name)), str(values[name])]
            setattr(application, name, values[name])
    if application.ein and application.ein[:2] in _invalid_ein_prefixes():
        raise ValidationError(
            {
                "ein": _("No EIN starts with %(prefix)s; check the number.")
                % {"prefix": application.ein[:2]}
            }
        )
    if application.fulfilment == "3pl" and not application.fulfilment_address.strip():
        raise ValidationError(
            {"fulfilment_address": _("Give the address of your 3PL's warehouse.")}
        )
    application.full_clean(exclude=["organization"])
    application.save()
    if changed:
        audit(
            actor=acting_user,
            organization=application.organization,
            action=f"merchant_application.{step}_saved",
            target=application,
            changes=changed,
        )
    return application


def _invalid_ein_prefixes() -> set[str]:
    from merchants.models import INVALID_EIN_PREFIXES

    return INVALID_EIN_PREFIXES


@transaction.atomic
def brand_claim_add(
    *,
    application: MerchantApplication,
    name: str,
    relationship: str,
    trademark_number: str,
    acting_user: User,
) -> BrandClaim:
    """Claim a brand the merchant owns or may resell."""
    require_member(
        organization=application.organization,
        user=acting_user,
        role=Role.STAFF,
        message=str(ROLE_REFUSED),
    )
    application = _lock(application)
    _require_editable(application)
    if _brands(application).filter(name__iexact=name.strip()).exists():
        raise ValidationError(
            {"name": _("%(brand)s is already on your list.") % {"brand": name.strip()}}
        )
    claim = BrandClaim(
        application=application,
        name=name.strip(),
        relationship=relationship,
        trademark_number=trademark_number.strip(),
    )
    # The unique name is checked above, case-insensitively; the constraint check would read
    # the claims through the request's guard, which a service may be called without.
    claim.full_clean(validate_constraints=False)
    claim.save()
    audit(
        actor=acting_user,
        organization=application.organization,
        action="brand_claim.added",
        target=claim,
        changes={"relationship": relationship, "trademark_number": claim.trademark_number},
    )
    return claim


@transaction.atomic
def brand_claim_update(
    *,
    claim: BrandClaim,
    name: str,
    relationship: str,
    trademark_number: str,
    acting_user: User,
) -> BrandClaim:
    """Correct a claimed brand (its name, relationship or trademark number) while the
    application is open for changes. The claim has no verification of its own: operators check
    every brand when they review the application, and each submission clears their brand check,
    so a corrected claim is checked again before the merchant can trade."""
    application = _lock(claim.application)
    require_member(
        organization=application.organization,
        user=acting_user,
        role=Role.STAFF,
        message=str(ROLE_REFUSED),
    )
    _require_editable(application)
    claim = _brands(application).select_for_update().get(pk=claim.pk)
    name = name.strip()
    if _brands(application).filter(name__iexact=name).exclude(pk=claim.pk).exists():
        raise ValidationError({"name": _("%(brand)s is already on your list.") % {"brand": name}})
    before = {
        "name": claim.name,
        "relationship": claim.relationship,
        "trademark_number": claim.trademark_number,
    }
    claim.name = name
    claim.relationship = relationship
    claim.trademark_number = trademark_number.strip()
    claim.full_clean(validate_constraints=False)  # the unique name is checked above
    after = {
        "name": claim.name,
        "relationship": claim.relationship,
        "trademark_number": claim.trademark_number,
    }
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changed:
        claim.save()
        audit(
            actor=acting_user,
            organization=application.organization,
            action="brand_claim.updated",
            target=claim,
            changes=changed,
        )
    return claim


@transaction.atomic
def brand_claim_remove(*, claim: BrandClaim, acting_user: User) -> None:
    application = _lock(claim.application)
    require_member(
        organization=application.organization,
        user=acting_user,
        role=Role.STAFF,
        message=str(ROLE_REFUSED),
    )
    _require_editable(application)
    audit(
        actor=acting_user,
        organization=application.organization,
        action="brand_claim.removed",
        target=claim,
    )
    claim.delete()


def _upload_size(uploaded: UploadedFile) -> int:
    """The upload's size in bytes, counted from its content when the upload did not say."""
    if uploaded.size is not None:
        return uploaded.size
    return sum(len(chunk) for chunk in uploaded.chunks())


def document_check(uploaded: UploadedFile) -> str:
    """The file's real type, judged by its content; raises DocumentRejected otherwise."""
    limit = settings.MERCHANT_DOCUMENT_MAX_BYTES
    size = _upload_size(uploaded)
    if size > limit:
        raise DocumentRejected(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    content_type = next((t for t, magic in ALLOWED_TYPES.items() if head.startswith(magic)), None)
    if content_type is None:
        raise DocumentRejected(
            _(
                "Only PDF, PNG or JPEG files are accepted, and this file is "
                "none of them (whatever its name says)."
            )
        )
    try:
        if content_type == "application/pdf":
            from pypdf import PdfReader

            if len(PdfReader(uploaded).pages) < 1:
                raise ValueError("no pages")
        else:
            from PIL import Image

            with Image.open(uploaded) as image:
                image.verify()
    except Exception as error:  # any parser failure means a damaged or disguised file
        raise DocumentRejected(
            _("The file looks like a %(type)s but cannot be read; export it again and retry.")
            % {"type": content_type.split("/")[1].upper()}
        ) from error
    finally:
        uploaded.seek(0)
    return content_type


def document_upload(
    *, application: MerchantApplication, kind: str, uploaded: UploadedFile, acting_user: User
) -> MerchantDocument:
    """Store a KYC document after checking its content; nothing is stored when it is refused.

    The upload is its own (durable) transaction, so whatever undoes it — a refusal, a failed
    audit write, a failed commit — happens here, and the stored file is removed with it."""
    stored: list[MerchantDocument] = []
    try:
        with transaction.atomic(durable=True):
            return _document_store(
                application=application,
                kind=kind,
                uploaded=uploaded,
                acting_user=acting_user,
                stored=stored,
            )
    except BaseException:
        for document in stored:
            document.file.delete(save=False)
        raise


def _document_store(
    *,
    application: MerchantApplication,
    kind: str,
    uploaded: UploadedFile,
    acting_user: User,
    stored: list[MerchantDocument],
) -> MerchantDocument:
    require_member(
        organization=application.organization,
        user=acting_user,
        role=Role.STAFF,
        message=str(ROLE_REFUSED),
    )
    application = _lock(application)
    _require_editable(application)
    if kind not in MerchantDocument.Kind.values:
        raise DocumentRejected(_("Choose which document this is."))
    content_type = document_check(uploaded)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    document = MerchantDocument(
        application=application,
        kind=kind,
        original_name=(uploaded.name or "")[:200],
        content_type=content_type,
        size=_upload_size(uploaded),
        sha256=digest.hexdigest(),
        uploaded_by=acting_user,
    )
    document.file.save("upload", uploaded, save=False)
    stored.append(document)
    document.save()
    audit(
        actor=acting_user,
        organization=application.organization,
        action="document.uploaded",
        target=document,
        changes={"kind": kind, "sha256": document.sha256, "size": document.size},
    )
    return document


@transaction.atomic
def document_remove(*, document: MerchantDocument, acting_user: User) -> None:
    application = _lock(document.application)
    require_member(
        organization=application.organization,
        user=acting_user,
        role=Role.STAFF,
        message=str(ROLE_REFUSED),
    )
    _require_editable(application)
    audit(
        actor=acting_user,
        organization=application.organization,
        action="document.removed",
        target=document,
    )
    stored = document.file.name
    document.delete()
    transaction.on_commit(lambda: document.file.storage.delete(stored))


def _field_label(name: str) -> str:
    field = MerchantApplication._meta.get_field(name)
    return str(field.verbose_name) if isinstance(field, Field) else name


def application_missing(application: MerchantApplication) -> list[str]:
    """What still stands between the application and submission, in words for the applicant."""
    missing = []
    for name in REQUIRED_FIELDS:
        if getattr(application, name) in ("", None, []):
            missing.append(_field_label(name))
    if application.fulfilment == "3pl" and not application.fulfilment_address.strip():
        missing.append(_field_label("fulfilment_address"))
    kinds = set(_documents(application).values_list("kind", flat=True))
    for kind in MerchantDocument.REQUIRED_KINDS:
        if kind not in kinds:
            missing.append(str(MerchantDocument.Kind(kind).label))
    brands = _brands(application)
    if brands.filter(relationship=BrandClaim.Relationship.AUTHORISED).exists() and (
        MerchantDocument.Kind.BRAND_AUTHORISATION not in kinds
    ):
        missing.append(str(MerchantDocument.Kind.BRAND_AUTHORISATION.label))
    if brands.filter(relationship=BrandClaim.Relationship.OWNER, trademark_number="").exists():
        missing.append(_("a trademark registration number for each brand you own"))
    return missing


@transaction.atomic
def application_submit(
    *, application: MerchantApplication, acting_user: User
) -> MerchantApplication:
    """Send a complete application (or a resubmission) to the operators' queue."""
    require_member(
        organization=application.organization,
        user=acting_user,
        role=Role.ADMIN,
        message=str(ROLE_REFUSED),
    )
    application = _lock(application)
    if application.status in EDITABLE:
        missing = application_missing(application)
        if missing:
            raise ApplicationIncomplete(
                _("Complete the application first: %(missing)s.") % {"missing": ", ".join(missing)},
                missing=missing,
            )
    _transition(
        application,
        "submit",
        acting_user=acting_user,
        submitted_at=timezone.now(),
        submission_count=application.submission_count + 1,
        decision_reason="",
        check_identity=False,
        check_ein=False,
        check_documents=False,
        check_brands=False,
        check_categories=False,
    )
    _notify_applicant(application, event="submitted")
    _notify_operators(application)
    return application


# --- The review --------------------------------------------------------------------------------


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


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationError({"reason": _("Give the applicant a reason.")})
    return reason.strip()


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


# --- Standing: suspension, strikes, badges -----------------------------------------------------


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
