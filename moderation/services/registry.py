"""The brand registry: a merchant registers the brands it owns (with the registration
certificate), operators verify or reject them, and the owner authorises resellers."""

from __future__ import annotations

import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import BrandRejected, CatalogPermissionDenied, ModerationRefused
from moderation.models import Brand, BrandGrant
from moderation.services.common import (
    _check_evidence,
    _require_operator,
    _require_reason,
)
from network.models import Organization, Role, User
from network.permissions import require_member
from network.services import audit


def _save_unique(brand: Brand) -> None:
    """Save the brand; a name already in the registry (any merchant's brand, whatever its
    status) raises BrandRejected. The database's case-insensitive unique constraint decides, so
    no merchant reads another's registrations to find out."""
    try:
        with transaction.atomic():
            brand.save()
    except IntegrityError as error:
        if "brand_name_unique_ci" not in str(error):
            raise
        if brand.evidence.name and brand._state.adding:
            brand.evidence.storage.delete(brand.evidence.name)
        raise BrandRejected(
            _("%(name)s is already in the brand registry. If it is yours, contact the operators.")
            % {"name": brand.name}
        ) from None


@transaction.atomic
def brand_register(
    *,
    organization: Organization,
    name: str,
    trademark_number: str,
    trademark_office: str,
    evidence: UploadedFile | None = None,
    acting_user: User,
) -> Brand:
    """Register a brand the merchant owns; it is protected once an operator verifies it.
    Raises BrandRejected when the name is already in the registry."""
    if organization.kind != Organization.Kind.MERCHANT:
        raise CatalogPermissionDenied(_("Only merchants register brands."))
    require_member(
        organization=organization, user=acting_user, role=Role.ADMIN, error=CatalogPermissionDenied
    )
    name = re.sub(r"\s+", " ", (name or "").strip())
    brand = Brand(
        owner=organization,
        name=name,
        trademark_number=(trademark_number or "").strip(),
        trademark_office=trademark_office,
    )
    if evidence is not None:
        _check_evidence(evidence)
        brand.evidence.save("evidence", evidence, save=False)
    brand.full_clean(validate_constraints=False)
    _save_unique(brand)
    audit(
        actor=acting_user,
        organization=organization,
        action="brand.registered",
        target=brand,
        changes={
            "name": brand.name,
            "trademark": f"{brand.trademark_office} {brand.trademark_number}",
        },
    )
    return brand


@transaction.atomic
def brand_update(
    *,
    brand: Brand,
    name: str,
    trademark_number: str,
    trademark_office: str,
    evidence: UploadedFile | None = None,
    acting_user: User,
) -> Brand:
    """The owner corrects a brand's name, trademark registration or certificate (``evidence``
    None keeps the current one). These are what an operator verified, so a verified or rejected
    brand whose data changes goes back to verification: the protection rests on the
    registration an operator checked, and a renamed brand or a new number is not protected
    until it is checked again. Raises BrandRejected when the new name is another brand's."""
    require_member(
        organization=brand.owner, user=acting_user, role=Role.ADMIN, error=CatalogPermissionDenied
    )
    brand = Brand.objects.visible_to(brand.owner).select_for_update().get(pk=brand.pk)
    name = re.sub(r"\s+", " ", (name or "").strip())
    changes: dict[str, list] = {}
    for attribute, value in (
        ("name", name),
        ("trademark_office", trademark_office),
        ("trademark_number", (trademark_number or "").strip()),
    ):
        if getattr(brand, attribute) != value:
            changes[attribute] = [getattr(brand, attribute), value]
            setattr(brand, attribute, value)
    replaced = None
    if evidence is not None:
        _check_evidence(evidence)
        replaced = brand.evidence.name or None
        brand.evidence.save("evidence", evidence, save=False)
        changes["evidence"] = ["replaced"]
    if not changes:
        return brand
    brand.full_clean(validate_constraints=False)
    if brand.status != Brand.Status.PENDING:
        changes["status"] = [brand.status, Brand.Status.PENDING]
        brand.status = Brand.Status.PENDING
        brand.decision_note = ""
        brand.verified_by = None
        brand.verified_at = None
    _save_unique(brand)
    if replaced:
        storage = brand.evidence.storage
        transaction.on_commit(lambda: storage.delete(replaced))
    audit(
        actor=acting_user,
        organization=brand.owner,
        action="brand.updated",
        target=brand,
        changes=changes,
    )
    return brand


def _decide_brand(brand: Brand, *, status: str, note: str, acting_user: User) -> Brand:
    operators = _require_operator(acting_user)
    brand = Brand.objects.visible_to(operators).select_for_update().get(pk=brand.pk)
    if brand.status == status:
        raise ModerationRefused(
            _("The brand is already %(status)s.") % {"status": brand.get_status_display().lower()}
        )
    before = brand.status
    brand.status = status
    brand.decision_note = note
    brand.verified_by = acting_user
    brand.verified_at = timezone.now()
    brand.save()
    audit(
        actor=acting_user,
        organization=brand.owner,
        action=f"brand.{status}",
        target=brand,
        changes={"status": [before, status], "note": note},
    )
    return brand


@transaction.atomic
def brand_verify(*, brand: Brand, acting_user: User, note: str = "") -> Brand:
    """Operators: the trademark registration matches the evidence; the brand is protected."""
    return _decide_brand(
        brand, status=Brand.Status.VERIFIED, note=(note or "").strip(), acting_user=acting_user
    )


@transaction.atomic
def brand_reject(*, brand: Brand, reason: str, acting_user: User) -> Brand:
    """Operators: the evidence does not support the registration; the brand is not protected."""
    return _decide_brand(
        brand,
        status=Brand.Status.REJECTED,
        note=_require_reason(reason),
        acting_user=acting_user,
    )


@transaction.atomic
def brand_grant_add(
    *, brand: Brand, reseller: Organization, expires_at: datetime, acting_user: User
) -> BrandGrant:
    """The brand owner authorises a reseller (another merchant) until ``expires_at``."""
    require_member(
        organization=brand.owner, user=acting_user, role=Role.ADMIN, error=CatalogPermissionDenied
    )
    if reseller.kind != Organization.Kind.MERCHANT or reseller.pk == brand.owner_id:
        raise BrandRejected(_("Authorise another merchant of the network."))
    if expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The authorisation must end in the future.")})
    grant = BrandGrant.objects.create(
        brand=brand, reseller=reseller, expires_at=expires_at, granted_by=acting_user
    )
    audit(
        actor=acting_user,
        organization=brand.owner,
        action="brand.grant_added",
        target=brand,
        changes={"reseller": reseller.name, "expires_at": expires_at.isoformat()},
    )
    return grant


@transaction.atomic
def brand_grant_revoke(*, grant: BrandGrant, acting_user: User) -> BrandGrant:
    """The brand owner ends an authorisation now."""
    require_member(
        organization=grant.brand.owner,
        user=acting_user,
        role=Role.ADMIN,
        error=CatalogPermissionDenied,
    )
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit(
            actor=acting_user,
            organization=grant.brand.owner,
            action="brand.grant_revoked",
            target=grant.brand,
            changes={"reseller": grant.reseller.name},
        )
    return grant


def authorised_brand_ids(organization: Organization, *, now: datetime | None = None) -> set[int]:
    """Brands this merchant may list: those it owns and those with a grant still running."""
    now = now or timezone.now()
    owned = Brand.objects.visible_to(organization).filter(owner=organization)
    granted = (
        BrandGrant.objects.visible_to(organization)
        .filter(reseller=organization, revoked_at__isnull=True, expires_at__gt=now)
        .values_list("brand_id", flat=True)
    )
    return set(owned.values_list("pk", flat=True)) | set(granted)
