"""The merchant's application: started as a draft, filled in step by step with its brand
claims, checked for completeness and submitted to the operators' queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.errors import ApplicationIncomplete
from merchants.models import (
    INVALID_EIN_PREFIXES,
    BrandClaim,
    MerchantApplication,
    MerchantDocument,
)
from merchants.services.state import (
    EDITABLE,
    NOTICE_TASK_OPTIONS,
    _brands,
    _documents,
    _lock,
    _notify_applicant,
    _require_editable,
    _transition,
)
from network.errors import DomainError
from network.models import Notification, Organization, Role, User
from network.permissions import require_member
from network.selectors import operator_memberships
from network.services import audit, notification_send

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


def _notify_operators(application: MerchantApplication) -> None:
    """Tell every operator that the application is in their queue, from a task sent once the
    submission commits: rendering and storing one notice per operator is not the applicant's
    wait (it grows with the operators' team)."""
    operators_notify.delay_on_commit(
        application.organization_id, application.pk, timezone.now().isoformat()
    )


@shared_task(name="merchants.tasks.operators_notify", **NOTICE_TASK_OPTIONS)
def operators_notify(
    self: Task, organization_id: int, application_id: int, submitted_at: str
) -> int:
    """Notify every operator that the application was submitted; how many were notified. A
    second run notifies nobody twice: an operator told of this application since
    ``submitted_at`` is skipped."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    application = (
        MerchantApplication.objects.visible_to(organization).filter(pk=application_id).first()
    )
    if application is None:
        return 0
    kind = "merchant_application.submitted"
    link = settings.SITE_URL + reverse("merchants:review", args=[application.pk])
    memberships = list(operator_memberships().select_related("user", "organization"))
    notified = 0
    with transaction.atomic():
        told = set()  # operators told of this application since it was submitted
        for operator in {membership.organization for membership in memberships}:
            told |= set(
                Notification.objects.visible_to(operator)
                .filter(kind=kind, link=link, created_at__gte=datetime.fromisoformat(submitted_at))
                .values_list("recipient_id", flat=True)
            )
        for membership in memberships:
            if membership.user_id in told:
                continue
            told.add(membership.user_id)  # one notice each, if they are in two operator teams
            notification_send(
                email=membership.user.email,
                recipient=membership.user,
                organization=membership.organization,
                kind=kind,
                template="merchants/email/operator_submission",
                context={
                    "organization": organization.name,
                    "legal_name": application.legal_name,
                    "state": application.state_of_incorporation,
                    "resubmission": application.submission_count > 1,
                },
                link=link,
            )
            notified += 1
    return notified


@transaction.atomic
def application_start(*, organization: Organization, acting_user: User) -> MerchantApplication:
    """The merchant organisation's application, created as a draft on first use."""
    if organization.kind != Organization.Kind.MERCHANT:
        raise DomainError(_("Only merchant organisations apply to join the network."))
    require_member(organization=organization, user=acting_user, role=Role.STAFF)
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
    )
    application = _lock(application)
    _require_editable(application)
    changed = {}
    for name in STEP_FIELDS[step]:
        if name in values and getattr(application, name) != values[name]:
            changed[name] = [str(getattr(application, name)), str(values[name])]
            setattr(application, name, values[name])
    if application.ein and application.ein[:2] in INVALID_EIN_PREFIXES:
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
    )
    _require_editable(application)
    audit(
        actor=acting_user,
        organization=application.organization,
        action="brand_claim.removed",
        target=claim,
    )
    claim.delete()


def _field_label(name: str) -> str:
    field = MerchantApplication._meta.get_field(name)
    return str(field.verbose_name) if isinstance(field, Field) else name


def application_missing(
    application: MerchantApplication,
    *,
    documents: Sequence[MerchantDocument] | None = None,
    brands: Sequence[BrandClaim] | None = None,
) -> list[str]:
    """What still stands between the application and submission, in words for the applicant.
    ``documents`` and ``brands``: the application's, when the caller has read them already."""
    missing = []
    for name in REQUIRED_FIELDS:
        if getattr(application, name) in ("", None, []):
            missing.append(_field_label(name))
    if application.fulfilment == "3pl" and not application.fulfilment_address.strip():
        missing.append(_field_label("fulfilment_address"))
    if documents is None:
        kinds = set(_documents(application).values_list("kind", flat=True))
    else:
        kinds = {document.kind for document in documents}
    for kind in MerchantDocument.REQUIRED_KINDS:
        if kind not in kinds:
            missing.append(str(MerchantDocument.Kind(kind).label))
    relationships = [
        (claim.relationship, claim.trademark_number)
        for claim in (_brands(application) if brands is None else brands)
    ]
    if any(relation == BrandClaim.Relationship.AUTHORISED for relation, _n in relationships) and (
        MerchantDocument.Kind.BRAND_AUTHORISATION not in kinds
    ):
        missing.append(str(MerchantDocument.Kind.BRAND_AUTHORISATION.label))
    if any(
        relation == BrandClaim.Relationship.OWNER and not number
        for relation, number in relationships
    ):
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
