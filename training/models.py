"""Training seminars: the seminars themselves (public marketplace data), their materials, and
the registrations, waitlist, attendance and feedback of the people who attend (tenant-owned)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.models import TIME_ZONE_CHOICES, Organization
from network.storage import private_storage
from network.tenancy import PartyManager


class Topic(models.TextChoices):
    LOGISTICS = "logistics", _("Logistics and shipping")
    CROSS_BORDER = "cross_border", _("Cross-border e-commerce")
    TAOBAO_GLOBAL = "taobao_global", _("Taobao Global onboarding")
    BRAND_PROTECTION = "brand_protection", _("Brand protection")
    CUSTOMS = "customs", _("Customs and compliance")


class Seminar(models.Model):
    """A training seminar, in person or online, free of charge, with a fixed number of seats.

    ``confirmed_count`` and ``offered_count`` are the seats taken and the seats held for a
    waitlisted person's offer; they change only with ``F()`` under the seminar's row lock, and
    the database refuses any row where they exceed the capacity."""

    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    summary = models.TextField(_("description"), blank=True)
    format = models.CharField(
        _("format"), max_length=10, choices=Format.choices, default=Format.IN_PERSON
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    join_url = models.URLField(
        _("join link"),
        blank=True,
        help_text=_("Shown only to confirmed attendees of an online seminar."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="America/Detroit"
    )
    start_at = models.DateTimeField(_("starts"))
    end_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1)])
    seats_per_organization = models.PositiveIntegerField(
        _("seats per organisation"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Leave empty for no limit."),
    )
    registration_opens_at = models.DateTimeField(
        _("registration opens"),
        null=True,
        blank=True,
        help_text=_("Leave empty to open registration when the seminar is published."),
    )
    registration_closes_at = models.DateTimeField(
        _("registration closes"),
        null=True,
        blank=True,
        help_text=_("Leave empty to close registration when the seminar starts."),
    )
    speakers = models.TextField(
        _("speakers"), blank=True, help_text=_("One per line, e.g. “Jane Doe, Maersk”.")
    )
    agenda = models.TextField(
        _("agenda"), blank=True, help_text=_("One item per line, e.g. “09:00 Welcome”.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    confirmed_count = models.PositiveIntegerField(_("confirmed seats"), default=0, editable=False)
    offered_count = models.PositiveIntegerField(_("seats on offer"), default=0, editable=False)
    # Registrations are numbered in the order they obtained the seminar's lock: the waitlist's
    # order, independent of clocks.
    arrival_counter = models.PositiveBigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("seminar")
        verbose_name_plural = _("seminars")
        ordering = ["start_at", "pk"]
        indexes = [models.Index(fields=["status", "start_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    confirmed_count__lte=models.F("capacity") - models.F("offered_count")
                ),
                name="seminar_seats_within_capacity",
            ),
            models.CheckConstraint(
                condition=models.Q(end_at__gt=models.F("start_at")),
                name="seminar_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="seminar_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            errors["end_at"] = _("The seminar must end after it starts.")
        if self.format == self.Format.IN_PERSON:
            for field in ("venue", "address", "city"):
                if not getattr(self, field).strip():
                    errors[field] = _("An in-person seminar needs a venue, address and city.")
        elif not self.join_url:
            errors["join_url"] = _("An online seminar needs a join link.")
        if (
            self.registration_opens_at
            and self.registration_closes_at
            and self.registration_closes_at <= self.registration_opens_at
        ):
            errors["registration_closes_at"] = _("Registration must close after it opens.")
        if (
            self.registration_closes_at
            and self.end_at
            and self.registration_closes_at > self.end_at
        ):
            errors["registration_closes_at"] = _("Registration cannot close after the seminar.")
        if self.capacity is not None and self.capacity < self.confirmed_count + self.offered_count:
            errors["capacity"] = _(
                "%(taken)s seats are already taken; the capacity cannot be lower."
            ) % {"taken": self.confirmed_count + self.offered_count}
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = _("Unknown time zone.")
        if errors:
            raise ValidationError(errors)

    # --- Derived facts, kept here so pages, the API and services agree ---------------------

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def is_online(self) -> bool:
        return self.format == self.Format.ONLINE

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.confirmed_count - self.offered_count, 0)

    @property
    def registration_closes(self):
        return self.registration_closes_at or self.start_at

    def registration_open(self, now=None) -> bool:
        now = now or timezone.now()
        if self.status != self.Status.PUBLISHED:
            return False
        if self.registration_opens_at and now < self.registration_opens_at:
            return False
        return now < self.registration_closes

    def has_started(self, now=None) -> bool:
        return (now or timezone.now()) >= self.start_at

    def has_ended(self, now=None) -> bool:
        return (now or timezone.now()) >= self.end_at

    @property
    def location(self) -> str:
        if self.is_online:
            return str(_("Online"))
        return ", ".join(part for part in (self.venue, self.address, self.city) if part)

    @property
    def speaker_list(self) -> list[str]:
        return [line.strip() for line in self.speakers.splitlines() if line.strip()]

    @property
    def agenda_items(self) -> list[tuple[str, str]]:
        """(time, item) per agenda line; a line without a leading time has an empty one."""
        items = []
        for line in self.agenda.splitlines():
            line = line.strip()
            if not line:
                continue
            head, _sep, rest = line.partition(" ")
            if rest and len(head) <= 5 and head.replace(":", "").isdigit():
                items.append((head, rest.strip()))
            else:
                items.append(("", line))
        return items


def _material_path(instance: SeminarMaterial, filename: str) -> str:
    # The stored name says nothing of the uploaded one: no path tricks, no guessable URLs.
    return f"seminar-materials/{instance.seminar_id}/{uuid.uuid4().hex}"


class SeminarMaterial(models.Model):
    """A file for attendees (slides, checklists), in private storage, downloadable by confirmed
    attendees and operators once the seminar has ended."""

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(
        _("file"), upload_to=_material_path, storage=private_storage, max_length=200
    )
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.title


def _checkin_token() -> str:
    return secrets.token_urlsafe(18)


class Registration(models.Model):
    """A person's seat (or place in the queue) at a seminar, taken on behalf of their
    organisation.

    confirmed → cancelled; waitlisted → offered → confirmed, or → expired when the offer lapses;
    waitlisted/offered → cancelled. Attendance is recorded on a confirmed registration."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waitlisted")
        OFFERED = "offered", _("Seat offered")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Offer expired")

    ACTIVE = (Status.CONFIRMED, Status.WAITLISTED, Status.OFFERED)
    # Seats counted against the capacity: taken, or held for an offer.
    HOLDING = (Status.CONFIRMED, Status.OFFERED)

    seminar = models.ForeignKey(Seminar, on_delete=models.PROTECT, related_name="registrations")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="seminar_registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seminar_registrations"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    arrival = models.PositiveBigIntegerField(
        _("arrival"), help_text=_("Order of arrival among this seminar's registrations.")
    )
    # The calendar identity of this person's invitation: stable for its whole life, while the
    # sequence rises with every change the calendar must pick up.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    calendar_sequence = models.PositiveIntegerField(default=0)
    checkin_token = models.CharField(max_length=32, unique=True, default=_checkin_token)
    offer_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    offered_at = models.DateTimeField(_("offered"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    attended_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminder_week_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_day_sent_at = models.DateTimeField(null=True, blank=True)

    # Operators check people in and answer for every seat; an operator organisation never
    # registers (seminars are for merchants and buyers), so "operators" adds no owner.
    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["seminar", "arrival"]
        indexes = [
            models.Index(fields=["seminar", "status", "arrival"]),
            models.Index(fields=["user", "status"]),
            models.Index(fields=["status", "offer_expires_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["seminar", "user"],
                condition=models.Q(status__in=["confirmed", "waitlisted", "offered"]),
                name="registration_one_active_per_person",
            ),
            models.UniqueConstraint(
                fields=["seminar", "arrival"], name="registration_unique_arrival"
            ),
            models.CheckConstraint(
                condition=models.Q(attended_at__isnull=True) | models.Q(status="confirmed"),
                name="registration_attended_only_when_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.seminar}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def attended(self) -> bool:
        return self.attended_at is not None

    @property
    def waitlist_position(self) -> int | None:
        """1 for the next person to be offered a seat (needs the selectors' annotation)."""
        ahead = getattr(self, "waiting_ahead", None)
        if self.status != self.Status.WAITLISTED or ahead is None:
            return None
        return ahead + 1

    def offer_expired(self, now=None) -> bool:
        return bool(self.offer_expires_at) and (now or timezone.now()) >= self.offer_expires_at

    @property
    def certificate_number(self) -> str:
        return f"GUSMN-{self.seminar_id:04d}-{self.arrival:05d}"


class Feedback(models.Model):
    """An attendee's rating (1–5) and comment on a seminar they attended; one per registration."""

    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="feedback"
    )
    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="feedback")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    # Operators read every attendee's feedback on the seminars they run.
    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 · {self.seminar}"


def _feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A person's private calendar subscription: whoever holds the token reads their confirmed
    seminars, so it can be replaced at any time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seminar_calendar_feed"
    )
    token = models.CharField(max_length=40, unique=True, default=_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
