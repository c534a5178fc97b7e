"""Seminars, managed by operators: created as drafts, published, changed (a move re-sends every
invitation), cancelled, and their materials for attendees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from network.models import User
from network.permissions import require_operator
from network.services import audit
from training.errors import IllegalTransition, NotAllowed
from training.models import Registration, Seminar, SeminarMaterial
from training.selectors import seat_registrations
from training.services.core import MANAGERS_ONLY, _lock_seminar, _notify
from training.services.waitlist import _offer_free_seats

# Changes to these fields move the event in people's calendars: the invitations are re-sent.
CALENDAR_FIELDS = (
    "title",
    "start_at",
    "end_at",
    "format",
    "venue",
    "address",
    "city",
    "join_url",
)


def _unique_slug(title: str, start_at: datetime) -> str:
    base = slugify(f"{title} {start_at:%Y-%m-%d}")[:70] or "seminar"
    slug, counter = base, 2
    while Seminar.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


SEMINAR_EDITABLE_FIELDS = (
    "title",
    "topic",
    "language",
    "summary",
    "format",
    "venue",
    "address",
    "city",
    "join_url",
    "time_zone",
    "start_at",
    "end_at",
    "capacity",
    "seats_per_organization",
    "registration_opens_at",
    "registration_closes_at",
    "speakers",
    "agenda",
)


@transaction.atomic
def seminar_create(*, values: dict[str, Any], acting_user: User) -> Seminar:
    """Create a draft seminar from ``values`` (the editable fields); operators only."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    seminar = Seminar(created_by=acting_user)
    for field in SEMINAR_EDITABLE_FIELDS:
        if field in values:
            setattr(seminar, field, values[field])
    seminar.slug = values.get("slug") or _unique_slug(seminar.title, seminar.start_at)
    seminar.full_clean()
    seminar.save()
    audit(
        actor=acting_user,
        organization=None,
        action="seminar.created",
        target=seminar,
        changes={"title": seminar.title, "capacity": seminar.capacity},
    )
    return seminar


@transaction.atomic
def seminar_update(*, seminar: Seminar, values: dict[str, Any], acting_user: User) -> Seminar:
    """Change a seminar. A move in time or place re-sends every confirmed attendee's invitation
    with a higher SEQUENCE; more seats are offered to the waitlist at once."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    seminar = _lock_seminar(seminar.pk)
    if seminar.status == Seminar.Status.CANCELLED:
        raise IllegalTransition(_("A cancelled seminar cannot be changed."))
    changes = {}
    for field in SEMINAR_EDITABLE_FIELDS:
        if field in values and getattr(seminar, field) != values[field]:
            changes[field] = [str(getattr(seminar, field)), str(values[field])]
            setattr(seminar, field, values[field])
    if not changes:
        return seminar
    seminar.full_clean()
    seminar.save()
    audit(
        actor=acting_user,
        organization=None,
        action="seminar.updated",
        target=seminar,
        changes=changes,
    )
    if seminar.status == Seminar.Status.PUBLISHED and set(changes) & set(CALENDAR_FIELDS):
        confirmed = seat_registrations().filter(
            seminar=seminar, status=Registration.Status.CONFIRMED
        )
        confirmed.update(calendar_sequence=F("calendar_sequence") + 1)
        for registration in confirmed.select_related("user", "organization", "seminar"):
            _notify(registration, kind="seminar_updated", template="seminar_updated")
    if seminar.status == Seminar.Status.PUBLISHED:
        _offer_free_seats(seminar, acting_user=acting_user)
    return seminar


@transaction.atomic
def seminar_publish(*, seminar: Seminar, acting_user: User) -> Seminar:
    """Make a draft seminar public and, once its registration window opens, bookable."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    seminar = _lock_seminar(seminar.pk)
    if seminar.status != Seminar.Status.DRAFT:
        raise IllegalTransition(_("Only a draft seminar can be published."))
    if seminar.has_started():
        raise IllegalTransition(_("A seminar in the past cannot be published."))
    seminar.full_clean()
    seminar.status = Seminar.Status.PUBLISHED
    seminar.published_at = timezone.now()
    seminar.save(update_fields=["status", "published_at", "updated_at"])
    audit(actor=acting_user, organization=None, action="seminar.published", target=seminar)
    return seminar


@transaction.atomic
def seminar_cancel(*, seminar: Seminar, acting_user: User) -> Seminar:
    """Call a seminar off: every active registration is cancelled and every confirmed attendee
    receives the calendar cancellation."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    seminar = _lock_seminar(seminar.pk)
    if seminar.status == Seminar.Status.CANCELLED:
        raise IllegalTransition(_("This seminar is already cancelled."))
    if seminar.has_ended():
        raise IllegalTransition(_("A seminar that has taken place cannot be cancelled."))
    now = timezone.now()
    active = list(
        seat_registrations()
        .select_for_update(of=("self",))
        .select_related("user", "organization")
        .filter(seminar=seminar, status__in=Registration.ACTIVE)
        .order_by("pk")
    )
    for registration in active:
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = now
        registration.calendar_sequence += 1
        registration.offer_token_hash = ""
        registration.seminar = seminar
    seat_registrations().bulk_update(
        active, ["status", "cancelled_at", "calendar_sequence", "offer_token_hash"]
    )
    seminar.status = Seminar.Status.CANCELLED
    seminar.cancelled_at = now
    seminar.confirmed_count = 0
    seminar.offered_count = 0
    seminar.save(
        update_fields=["status", "cancelled_at", "confirmed_count", "offered_count", "updated_at"]
    )
    audit(
        actor=acting_user,
        organization=None,
        action="seminar.cancelled",
        target=seminar,
        changes={"registrations_cancelled": len(active)},
    )
    for registration in active:
        _notify(registration, kind="seminar_cancelled", template="seminar_cancelled")
    return seminar


@transaction.atomic
def material_add(
    *, seminar: Seminar, title: str, upload: UploadedFile, acting_user: User
) -> SeminarMaterial:
    """Attach a file for attendees; they can download it once the seminar has ended."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    material = SeminarMaterial(
        seminar=seminar,
        title=title.strip(),
        original_name=(upload.name or "file")[:200],
        content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:100],
        size=upload.size or 0,
        uploaded_by=acting_user,
    )
    material.file.save(upload.name or "file", upload, save=False)
    material.full_clean()
    material.save()
    audit(
        actor=acting_user,
        organization=None,
        action="seminar.material_added",
        target=seminar,
        changes={"title": material.title, "file": material.original_name},
    )
    return material


@transaction.atomic
def material_remove(*, material: SeminarMaterial, acting_user: User) -> None:
    """Delete a material and its file."""
    require_operator(acting_user, error=NotAllowed, message=str(MANAGERS_ONLY))
    audit(
        actor=acting_user,
        organization=None,
        action="seminar.material_removed",
        target=material.seminar,
        changes={"title": material.title},
    )
    name = material.file.name
    storage = material.file.storage
    material.delete()
    transaction.on_commit(lambda: storage.delete(name))
