"""Carrier slot booking: ports, carriers, sailings with the space allocated to the network, and
merchants' bookings following the DCSA Booking 2.0 lifecycle."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.models import Organization
from network.storage import private_storage
from network.tenancy import PartyManager
from shipping.equipment import EQUIPMENT_TYPES, equipment_choices, validate_equipment_code
from shipping.validators import (
    validate_hs_code,
    validate_imo_number,
    validate_scac,
    validate_tracking_url_template,
    validate_un_locode,
)

MONEY = {"max_digits": 12, "decimal_places": 2}


class Port(models.Model):
    """A seaport, identified by its UN/LOCODE."""

    un_locode = models.CharField(
        _("UN/LOCODE"), max_length=5, unique=True, validators=[validate_un_locode]
    )
    name = models.CharField(_("name"), max_length=100)
    country = models.CharField(_("country"), max_length=2)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")

    class Meta:
        verbose_name = _("port")
        verbose_name_plural = _("ports")
        ordering = ["country", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(un_locode__regex=r"^[A-Z]{2}[A-Z2-9]{3}$"), name="port_un_locode_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.un_locode})"

    def clean(self) -> None:
        if self.un_locode and self.country and self.un_locode[:2] != self.country:
            raise ValidationError(
                {"country": _("The country must be the first two letters of the UN/LOCODE.")}
            )


class Carrier(models.Model):
    """An ocean carrier the network holds space with, and how we talk to it."""

    class Adapter(models.TextChoices):
        DCSA = "dcsa", _("DCSA APIs")
        MAERSK = "maersk", _("Maersk DCSA APIs")
        CMA_CGM = "cma_cgm", _("CMA CGM DCSA APIs")

    scac = models.CharField(_("SCAC"), max_length=4, unique=True, validators=[validate_scac])
    name = models.CharField(_("name"), max_length=100)
    adapter = models.CharField(
        _("booking interface"), max_length=20, choices=Adapter.choices, default=Adapter.DCSA
    )
    service_contract_reference = models.CharField(
        _("service contract"),
        max_length=30,
        help_text=_("The network's service contract with this carrier, sent with every booking."),
    )
    free_cancellation_days = models.PositiveSmallIntegerField(
        _("free cancellation until (days before departure)"),
        default=7,
        validators=[MaxValueValidator(60)],
    )
    cancellation_fee_per_container = models.DecimalField(
        _("cancellation fee per container (USD)"),
        default=Decimal("150.00"),
        validators=[MinValueValidator(Decimal("0"))],
        **MONEY,
    )
    notification_secret = models.CharField(
        _("notification secret"),
        max_length=128,
        default=secrets.token_urlsafe,
        help_text=_("Shared secret the carrier signs its booking notifications with."),
    )
    tracking_url_template = models.CharField(
        _("tracking page"),
        max_length=300,
        blank=True,
        validators=[validate_tracking_url_template],
        help_text=_(
            "The address of the carrier's tracking page with {number} where the tracking "
            "number goes; tracking numbers of this carrier link to it."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The connection's health, kept by ``shipping.carriers.http``: failures in a row, and while
    # the circuit is open the carrier is not called (bookings stay held and are retried).
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    circuit_open_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=300, blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    schedules_synced_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.scac})"


class Sailing(models.Model):
    """One vessel voyage from a port of loading to a port of discharge, with the space the
    carrier allocated to the network. ``booked_teu`` only changes through the capacity
    functions of ``shipping.services`` and can never exceed ``capacity_teu``."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by an operator")
        SCHEDULE = "schedule", _("Carrier's published schedule")

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="sailings")
    service_code = models.CharField(_("service code"), max_length=11)
    vessel_name = models.CharField(_("vessel"), max_length=50)
    vessel_imo = models.CharField(_("IMO number"), max_length=7, validators=[validate_imo_number])
    voyage_number = models.CharField(_("voyage"), max_length=20)
    port_of_loading = models.ForeignKey(
        Port, on_delete=models.PROTECT, related_name="+", verbose_name=_("port of loading")
    )
    port_of_discharge = models.ForeignKey(
        Port, on_delete=models.PROTECT, related_name="+", verbose_name=_("port of discharge")
    )
    etd = models.DateTimeField(_("departure (ETD)"))
    eta = models.DateTimeField(_("arrival (ETA)"))
    documentation_cutoff = models.DateTimeField(_("documentation cut-off"))
    cargo_cutoff = models.DateTimeField(_("cargo cut-off"))
    vgm_cutoff = models.DateTimeField(_("VGM cut-off"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL, editable=False
    )
    # A published schedule moved the departure (from ``etd_changed_from``) or dropped the call.
    etd_changed_from = models.DateTimeField(
        _("previous departure"), null=True, blank=True, editable=False
    )
    is_omitted = models.BooleanField(_("call omitted"), default=False, editable=False)
    schedule_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    capacity_teu = models.PositiveIntegerField(_("TEU allocated"))
    booked_teu = models.PositiveIntegerField(_("TEU booked"), default=0, editable=False)
    capacity_weight_kg = models.PositiveIntegerField(_("weight allocated (kg)"))
    booked_weight_kg = models.PositiveIntegerField(
        _("weight booked (kg)"), default=0, editable=False
    )
    booking_opens_at = models.DateTimeField(_("booking opens"), default=timezone.now)
    booking_closes_at = models.DateTimeField(
        _("booking closes"), help_text=_("At the latest the documentation cut-off.")
    )
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sailing")
        verbose_name_plural = _("sailings")
        ordering = ["etd", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booked_teu__gte=0) & Q(booked_teu__lte=F("capacity_teu")),
                name="sailing_booked_teu_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(booked_weight_kg__gte=0)
                & Q(booked_weight_kg__lte=F("capacity_weight_kg")),
                name="sailing_booked_weight_within_capacity",
            ),
            models.CheckConstraint(condition=Q(eta__gt=F("etd")), name="sailing_eta_after_etd"),
            models.CheckConstraint(
                condition=~Q(port_of_loading=F("port_of_discharge")),
                name="sailing_ports_differ",
            ),
            models.UniqueConstraint(
                fields=["carrier", "vessel_imo", "voyage_number", "port_of_loading"],
                name="sailing_unique_voyage_call",
            ),
        ]
        indexes = [
            models.Index(fields=["port_of_loading", "port_of_discharge", "etd"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.vessel_name} {self.voyage_number} "
            f"{self.port_of_loading.un_locode}→{self.port_of_discharge.un_locode}"
        )

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.port_of_loading_id and self.port_of_loading_id == self.port_of_discharge_id:
            errors.setdefault("port_of_discharge", []).append(
                _("The port of discharge must differ from the port of loading.")
            )
        if self.etd and self.eta and self.eta <= self.etd:
            errors.setdefault("eta", []).append(_("The arrival must be after the departure."))
        if self.etd:
            for field in ("documentation_cutoff", "cargo_cutoff"):
                value = getattr(self, field)
                if value and value > self.etd:
                    errors.setdefault(field, []).append(_("A cut-off must be before departure."))
        if (
            self.booking_closes_at
            and self.documentation_cutoff
            and self.booking_closes_at > self.documentation_cutoff
        ):
            errors.setdefault("booking_closes_at", []).append(
                _("Booking must close by the documentation cut-off.")
            )
        if (
            self.booking_opens_at
            and self.booking_closes_at
            and self.booking_opens_at >= self.booking_closes_at
        ):
            errors.setdefault("booking_closes_at", []).append(
                _("Booking must close after it opens.")
            )
        if self.capacity_teu is not None and self.capacity_teu < (self.booked_teu or 0):
            errors.setdefault("capacity_teu", []).append(
                _("%(booked)s TEU are already booked; the allocation cannot be smaller.")
                % {"booked": self.booked_teu}
            )
        if self.capacity_weight_kg is not None and self.capacity_weight_kg < (
            self.booked_weight_kg or 0
        ):
            errors.setdefault("capacity_weight_kg", []).append(
                _("%(booked)s kg are already booked; the allocation cannot be smaller.")
                % {"booked": self.booked_weight_kg}
            )
        if errors:
            raise ValidationError(errors)

    @property
    def remaining_teu(self) -> int:
        return self.capacity_teu - self.booked_teu

    @property
    def remaining_weight_kg(self) -> int:
        return self.capacity_weight_kg - self.booked_weight_kg

    @property
    def transit_days(self) -> int:
        return round((self.eta - self.etd) / timedelta(days=1))

    @property
    def utilisation(self) -> float:
        return self.booked_teu / self.capacity_teu if self.capacity_teu else 0.0

    def is_open_for_booking(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.is_published
            and not self.is_omitted
            and self.carrier.is_active
            and self.booking_opens_at <= now < self.booking_closes_at
        )

    def free_cancellation_until(self):
        return self.etd - timedelta(days=self.carrier.free_cancellation_days)


class SailingRate(models.Model):
    """The network's price per container of one equipment type on one sailing, and what a
    freight forwarder typically charges for the same box (to show the saving)."""

    sailing = models.ForeignKey(Sailing, on_delete=models.CASCADE, related_name="rates")
    equipment_code = models.CharField(
        _("equipment"),
        max_length=4,
        choices=equipment_choices(),
        validators=[validate_equipment_code],
    )
    price = models.DecimalField(
        _("price per container (USD)"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )
    forwarder_price = models.DecimalField(
        _("typical forwarder price (USD)"),
        validators=[MinValueValidator(Decimal("0"))],
        **MONEY,
    )
    currency = models.CharField(max_length=3, default="USD", editable=False)

    class Meta:
        verbose_name = _("sailing rate")
        verbose_name_plural = _("sailing rates")
        ordering = ["equipment_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["sailing", "equipment_code"], name="sailingrate_one_per_equipment"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="sailingrate_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.equipment_code} USD {self.price}"

    @property
    def saving(self) -> Decimal:
        return max(self.forwarder_price - self.price, Decimal("0.00"))

    @property
    def teu(self) -> int:
        return EQUIPMENT_TYPES[self.equipment_code].teu


class BookingStatus(models.TextChoices):
    """The DCSA Booking 2.0 ``bookingStatus`` values."""

    RECEIVED = "RECEIVED", _("Received")
    PENDING_UPDATE = "PENDING_UPDATE", _("Pending update")
    UPDATE_RECEIVED = "UPDATE_RECEIVED", _("Update received")
    CONFIRMED = "CONFIRMED", _("Confirmed")
    PENDING_AMENDMENT = "PENDING_AMENDMENT", _("Pending amendment")
    REJECTED = "REJECTED", _("Rejected")
    DECLINED = "DECLINED", _("Declined")
    CANCELLED = "CANCELLED", _("Cancelled")
    COMPLETED = "COMPLETED", _("Completed")


class AmendmentStatus(models.TextChoices):
    """The DCSA ``amendedBookingStatus`` values."""

    RECEIVED = "AMENDMENT_RECEIVED", _("Amendment received")
    CONFIRMED = "AMENDMENT_CONFIRMED", _("Amendment confirmed")
    DECLINED = "AMENDMENT_DECLINED", _("Amendment declined")
    CANCELLED = "AMENDMENT_CANCELLED", _("Amendment cancelled")


class CancellationStatus(models.TextChoices):
    """The DCSA ``bookingCancellationStatus`` values."""

    RECEIVED = "CANCELLATION_RECEIVED", _("Cancellation received")
    DECLINED = "CANCELLATION_DECLINED", _("Cancellation declined")
    CONFIRMED = "CANCELLATION_CONFIRMED", _("Cancellation confirmed")


# Statuses in which a booking gives its space back to the sailing.
RELEASED_STATUSES = (BookingStatus.REJECTED, BookingStatus.DECLINED, BookingStatus.CANCELLED)
# Statuses before the carrier's confirmation, whose hold expires.
UNCONFIRMED_STATUSES = (
    BookingStatus.RECEIVED,
    BookingStatus.PENDING_UPDATE,
    BookingStatus.UPDATE_RECEIVED,
)
FINAL_STATUSES = (
    BookingStatus.REJECTED,
    BookingStatus.DECLINED,
    BookingStatus.CANCELLED,
    BookingStatus.COMPLETED,
)


def _booking_reference() -> str:
    # Unambiguous characters only: people read these out on the phone to carriers.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "GN" + "".join(secrets.choice(alphabet) for _ in range(10))


class Booking(models.Model):
    """A merchant's request for container space on a sailing, and its carrier-side life.

    ``teu_held`` and ``weight_held_kg`` are what this booking currently holds on the sailing;
    their sum over a sailing's bookings equals the sailing's booked figures."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="shipping_bookings"
    )
    reference = models.CharField(
        _("reference"), max_length=20, unique=True, default=_booking_reference, editable=False
    )
    sailing = models.ForeignKey(
        Sailing, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("sailing")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=BookingStatus.choices, default=BookingStatus.RECEIVED
    )
    amendment_status = models.CharField(
        _("amendment status"), max_length=20, choices=AmendmentStatus.choices, blank=True
    )
    cancellation_status = models.CharField(
        _("cancellation status"), max_length=25, choices=CancellationStatus.choices, blank=True
    )
    equipment_code = models.CharField(
        _("equipment"),
        max_length=4,
        choices=equipment_choices(),
        validators=[validate_equipment_code],
    )
    units = models.PositiveSmallIntegerField(
        _("containers"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    commodity_description = models.CharField(_("commodity"), max_length=550)
    hs_codes = ArrayField(
        models.CharField(max_length=10, validators=[validate_hs_code]),
        verbose_name=_("HS codes"),
        size=10,
    )
    gross_weight_kg = models.PositiveIntegerField(
        _("gross cargo weight (kg)"), validators=[MinValueValidator(1)]
    )
    shipper_name = models.CharField(_("shipper"), max_length=70)
    shipper_address = models.TextField(_("shipper address"), max_length=1000)
    consignee_name = models.CharField(_("consignee"), max_length=70)
    consignee_address = models.TextField(_("consignee address"), max_length=1000)
    order_references = ArrayField(
        models.CharField(max_length=35),
        verbose_name=_("merchant orders carried"),
        default=list,
        blank=True,
        size=50,
    )
    # Held on the sailing right now (see ``shipping.services`` for the arithmetic).
    teu_held = models.PositiveIntegerField(default=0, editable=False)
    weight_held_kg = models.PositiveIntegerField(default=0, editable=False)
    hold_expires_at = models.DateTimeField(_("hold expires"), null=True, blank=True)
    # A requested amendment of a confirmed booking, until the carrier answers.
    amended_units = models.PositiveSmallIntegerField(null=True, blank=True)
    amended_gross_weight_kg = models.PositiveIntegerField(null=True, blank=True)
    # Price and terms as shown to the merchant when they confirmed.
    price_per_unit = models.DecimalField(_("price per container (USD)"), **MONEY)
    forwarder_price_per_unit = models.DecimalField(_("forwarder price (USD)"), **MONEY)
    free_cancellation_until = models.DateTimeField(_("free cancellation until"))
    cancellation_fee_per_container = models.DecimalField(
        _("cancellation fee per container (USD)"), **MONEY
    )
    cancellation_fee = models.DecimalField(
        _("cancellation fee charged (USD)"), null=True, blank=True, **MONEY
    )
    # Carrier side.
    carrier_booking_request_reference = models.CharField(max_length=100, blank=True)
    carrier_booking_reference = models.CharField(max_length=35, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submission_attempts = models.PositiveSmallIntegerField(default=0)
    # A request went out and no answer came back (timeout, worker lost): until the carrier's
    # own record says whether it was received, it is not sent again.
    carrier_outcome_unknown_since = models.DateTimeField(null=True, blank=True)
    # The latest estimated arrival at the port of discharge, from tracking events.
    tracking_eta = models.DateTimeField(_("latest ETA"), null=True, blank=True)
    # The outbox towards the carrier: what still has to be sent, and a short lease so that two
    # workers never send the same thing at once.
    carrier_sync = models.CharField(max_length=20, blank=True)
    carrier_lease_until = models.DateTimeField(null=True, blank=True)
    last_carrier_error = models.CharField(max_length=300, blank=True)
    carrier_message = models.CharField(_("carrier's message"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(units__gte=1), name="booking_units_positive"),
            models.CheckConstraint(
                condition=(Q(teu_held=0) & Q(weight_held_kg=0))
                | ~Q(status__in=[s.value for s in RELEASED_STATUSES]),
                name="booking_final_holds_nothing",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["status", "hold_expires_at"]),
            models.Index(fields=["carrier_booking_request_reference"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def teu(self) -> int:
        return self.units * EQUIPMENT_TYPES[self.equipment_code].teu

    @property
    def total_price(self) -> Decimal:
        return self.price_per_unit * self.units

    @property
    def total_saving(self) -> Decimal:
        return max(self.forwarder_price_per_unit - self.price_per_unit, Decimal("0")) * self.units

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_confirmed(self) -> bool:
        return self.status in (BookingStatus.CONFIRMED, BookingStatus.PENDING_AMENDMENT)

    @property
    def awaiting_carrier(self) -> bool:
        return (
            self.status in (BookingStatus.RECEIVED, BookingStatus.UPDATE_RECEIVED)
            or self.amendment_status == AmendmentStatus.RECEIVED
            or self.cancellation_status == CancellationStatus.RECEIVED
        )

    def cancellation_fee_if_cancelled(self, now=None) -> Decimal:
        """What cancelling now costs under the terms shown at booking."""
        now = now or timezone.now()
        if now <= self.free_cancellation_until:
            return Decimal("0.00")
        return self.cancellation_fee_per_container * self.units

    def clean(self) -> None:
        equipment = EQUIPMENT_TYPES.get(self.equipment_code)
        if equipment and self.units and self.gross_weight_kg:
            per_box = self.gross_weight_kg / self.units
            if per_box > equipment.max_payload_kg:
                raise ValidationError(
                    {
                        "gross_weight_kg": _(
                            "%(kg)s kg per container is more than the %(max)s kg a "
                            "%(equipment)s can carry."
                        )
                        % {
                            "kg": round(per_box),
                            "max": equipment.max_payload_kg,
                            "equipment": equipment.code,
                        }
                    }
                )


class BookingEvent(models.Model):
    """One step of a booking's timeline, as the merchant sees it."""

    class Source(models.TextChoices):
        MERCHANT = "merchant", _("You")
        CARRIER = "carrier", _("Carrier")
        NETWORK = "network", _("Network")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=BookingStatus.choices)
    amendment_status = models.CharField(max_length=20, blank=True)
    cancellation_status = models.CharField(max_length=25, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.action}"


class CarrierNotification(models.Model):
    """A booking notification (CloudEvent) received from a carrier; ``(carrier, source,
    event_id)`` is unique, so a repeated delivery is recognised and changes nothing."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="notifications")
    event_id = models.CharField(max_length=100)
    source = models.CharField(max_length=4096)
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField()
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    # The merchant whose booking it concerns is a party (the notification is handled inside
    # that booking's row scope); operators see every one.
    objects = PartyManager.of("booking__organization", operators=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "source", "event_id"], name="carriernotification_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier.scac} {self.event_id}"


class Lane(models.Model):
    """A port pair the network sells space on (a US export port to a China import port); the
    carriers' published schedules are pulled for every active lane."""

    port_of_loading = models.ForeignKey(
        Port, on_delete=models.PROTECT, related_name="+", verbose_name=_("port of loading")
    )
    port_of_discharge = models.ForeignKey(
        Port, on_delete=models.PROTECT, related_name="+", verbose_name=_("port of discharge")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lane")
        verbose_name_plural = _("lanes")
        ordering = ["port_of_loading__un_locode", "port_of_discharge__un_locode"]
        constraints = [
            models.UniqueConstraint(
                fields=["port_of_loading", "port_of_discharge"], name="lane_once"
            ),
            models.CheckConstraint(
                condition=~Q(port_of_loading=F("port_of_discharge")), name="lane_ports_differ"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.port_of_loading.un_locode}→{self.port_of_discharge.un_locode}"


class TrackingSubscription(models.Model):
    """The network's Track & Trace 2.2.0 event subscription at the carrier for one confirmed
    booking: the carrier pushes events to our callback, signed with ``secret``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        FAILED = "failed", _("Failed")
        ENDED = "ended", _("Ended")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    booking = models.OneToOneField(
        Booking, on_delete=models.CASCADE, related_name="tracking_subscription"
    )
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="+")
    subscription_id = models.CharField(max_length=100, blank=True, db_index=True)
    # Base64, as Track & Trace 2.2.0 exchanges it.
    secret = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    last_error = models.CharField(max_length=300, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", operators=True)

    def __str__(self) -> str:
        return f"{self.booking_id} {self.subscription_id or self.status}"


class TrackingEvent(models.Model):
    """One Track & Trace event about a booking's shipment or containers, stored once by the
    carrier's ``eventID``."""

    class Milestone(models.TextChoices):
        GATE_IN = "gate_in", _("Gate in")
        LOADED = "loaded", _("Loaded")
        DEPARTED = "departed", _("Departed")
        ARRIVED = "arrived", _("Arrived")
        DISCHARGED = "discharged", _("Discharged")
        GATE_OUT = "gate_out", _("Gate out")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="tracking_events")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="+")
    event_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=10)  # SHIPMENT, TRANSPORT, EQUIPMENT
    event_code = models.CharField(max_length=4)  # GTIN, LOAD, DEPA, ARRI, DISC, GTOT, ...
    classifier = models.CharField(max_length=3)  # ACT, EST, PLN, REQ
    milestone = models.CharField(max_length=12, choices=Milestone.choices, blank=True)
    event_at = models.DateTimeField()
    equipment_reference = models.CharField(max_length=15, blank=True)
    location = models.CharField(max_length=5, blank=True)
    location_name = models.CharField(max_length=100, blank=True)
    vessel_name = models.CharField(max_length=50, blank=True)
    voyage_number = models.CharField(max_length=50, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        ordering = ["event_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "event_id"], name="trackingevent_once"),
        ]
        indexes = [models.Index(fields=["booking", "event_at"])]

    def __str__(self) -> str:
        return f"{self.event_code} {self.classifier} {self.event_at:%Y-%m-%d}"


# --- Shared containers, shipments and trade documents ------------------------------------------

VOLUME = {"max_digits": 7, "decimal_places": 1}  # m³, one decimal, as space is sold
CARGO_VOLUME = {"max_digits": 9, "decimal_places": 3}  # m³ of cargo lines, measured
CARGO_WEIGHT = {"max_digits": 10, "decimal_places": 2}  # kg of cargo lines


def _short_reference(prefix: str) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(8))


def _container_reference() -> str:
    return _short_reference("CC")


def _space_reference() -> str:
    return _short_reference("SP")


def _shipment_reference() -> str:
    return _short_reference("SH")


class ContainerStatus(models.TextChoices):
    OPEN = "open", _("Open for space")
    CLOSED = "closed", _("Receiving closed")
    MERGED = "merged", _("Merged into another container")
    RELEASED = "released", _("Released")
    DEPARTED = "departed", _("Departed")
    ARRIVED = "arrived", _("Arrived")


class ConsolidationContainer(models.Model):
    """A container the network books on a sailing in its own name (``booking``, a carrier
    booking of the operator organisation against the sailing's allocation) and sells by volume
    to merchants. ``booked_m3`` and ``booked_kg`` change only through
    ``shipping.services.consolidation`` and never exceed the capacity (database constraints)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("operated by"),
    )
    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=_container_reference, editable=False
    )
    sailing = models.ForeignKey(
        Sailing, on_delete=models.PROTECT, related_name="containers", verbose_name=_("sailing")
    )
    booking = models.OneToOneField(
        Booking,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consolidation",
        verbose_name=_("carrier booking"),
    )
    equipment_code = models.CharField(
        _("equipment"),
        max_length=4,
        choices=equipment_choices(),
        validators=[validate_equipment_code],
        default="45G1",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ContainerStatus.choices, default=ContainerStatus.OPEN
    )
    capacity_m3 = models.DecimalField(
        _("usable volume (m³)"), validators=[MinValueValidator(Decimal("1.0"))], **VOLUME
    )
    capacity_kg = models.PositiveIntegerField(_("payload (kg)"), validators=[MinValueValidator(1)])
    booked_m3 = models.DecimalField(
        _("volume sold (m³)"), default=Decimal("0.0"), editable=False, **VOLUME
    )
    booked_kg = models.PositiveIntegerField(_("weight sold (kg)"), default=0, editable=False)
    price_per_wm = models.DecimalField(
        _("price per W/M (USD)"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Per m³ or per tonne, whichever is greater."),
        **MONEY,
    )
    forwarder_price_per_wm = models.DecimalField(
        _("forwarder's LCL price per W/M (USD)"),
        validators=[MinValueValidator(Decimal("0.01"))],
        **MONEY,
    )
    warehouse_name = models.CharField(_("consolidation warehouse"), max_length=100)
    warehouse_address = models.TextField(_("warehouse address"), max_length=500)
    receiving_cutoff = models.DateTimeField(
        _("receiving cut-off"),
        help_text=_("Goods must be at the warehouse by then; before the carrier's cargo cut-off."),
    )
    fill_threshold_percent = models.PositiveSmallIntegerField(
        _("minimum fill (%)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "Below it, the container is merged or released before the carrier's "
            "cancellation deadline."
        ),
    )
    decide_days_before_deadline = models.PositiveSmallIntegerField(
        _("decide (days before the cancellation deadline)"),
        default=2,
        validators=[MaxValueValidator(30)],
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # The network's container: operators see all of it; merchants see the open ones (their
    # sailing, fill and price) as they see published sailings, and never whose cargo is in it.
    objects = PartyManager.of(
        "organization",
        operators=True,
        public=Q(status__in=["open", "closed", "departed", "arrived"]),
    )

    class Meta:
        verbose_name = _("shared container")
        verbose_name_plural = _("shared containers")
        ordering = ["sailing__etd", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booked_m3__gte=0) & Q(booked_m3__lte=F("capacity_m3")),
                name="container_volume_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(booked_kg__gte=0) & Q(booked_kg__lte=F("capacity_kg")),
                name="container_weight_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(forwarder_price_per_wm__gte=0) & Q(price_per_wm__gt=0),
                name="container_prices_positive",
            ),
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False),
                name="container_merged_names_target",
            ),
        ]
        indexes = [models.Index(fields=["status", "receiving_cutoff"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def remaining_m3(self) -> Decimal:
        return self.capacity_m3 - self.booked_m3

    @property
    def remaining_kg(self) -> int:
        return self.capacity_kg - self.booked_kg

    @property
    def fill_percent(self) -> int:
        """The fuller of volume and weight, in whole percent."""
        by_volume = self.booked_m3 / self.capacity_m3 if self.capacity_m3 else 0
        by_weight = Decimal(self.booked_kg) / self.capacity_kg if self.capacity_kg else 0
        return int(max(by_volume, by_weight) * 100)


class SpaceRequest(models.Model):
    """A merchant's space in a shared container: volume (m³, one decimal, at least 1) and
    weight, priced per W/M (the greater of m³ and tonnes) at the container's price when booked.
    While ``status`` is HELD its volume and weight count in the container's booked figures."""

    class Status(models.TextChoices):
        HELD = "held", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        RELEASED = "released", _("Released by the network")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("merchant")
    )
    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=_space_reference, editable=False
    )
    container = models.ForeignKey(
        ConsolidationContainer,
        on_delete=models.PROTECT,
        related_name="space_requests",
        verbose_name=_("shared container"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.HELD
    )
    volume_m3 = models.DecimalField(
        _("volume (m³)"), validators=[MinValueValidator(Decimal("1.0"))], **VOLUME
    )
    weight_kg = models.PositiveIntegerField(_("weight (kg)"), validators=[MinValueValidator(1)])
    revenue_tons = models.DecimalField(_("W/M"), max_digits=9, decimal_places=3, editable=False)
    price_per_wm = models.DecimalField(_("price per W/M (USD)"), editable=False, **MONEY)
    forwarder_price_per_wm = models.DecimalField(
        _("forwarder's price per W/M (USD)"), editable=False, **MONEY
    )
    price = models.DecimalField(_("price (USD)"), editable=False, **MONEY)
    forwarder_price = models.DecimalField(_("forwarder's LCL price (USD)"), editable=False, **MONEY)
    currency = models.CharField(max_length=3, default="USD", editable=False)
    # The shipper declared the cargo holds no dangerous goods (a shared container takes none).
    no_dangerous_goods = models.BooleanField(_("no dangerous goods"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("booked"), default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("space in a shared container")
        verbose_name_plural = _("space in shared containers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(volume_m3__gte=Decimal("1.0")), name="space_at_least_one_m3"
            ),
            models.CheckConstraint(condition=Q(weight_kg__gte=1), name="space_weight_positive"),
            models.CheckConstraint(
                condition=Q(no_dangerous_goods=True), name="space_no_dangerous_goods"
            ),
        ]
        indexes = [models.Index(fields=["container", "status"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def saving(self) -> Decimal:
        return max(self.forwarder_price - self.price, Decimal("0.00"))


class ShipmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DISPATCHED = "dispatched", _("On its way to the port")
    RECEIVED = "received", _("Received at the warehouse")
    DEPARTED = "departed", _("Departed")
    ARRIVED = "arrived", _("Arrived")
    CANCELLED = "cancelled", _("Cancelled")


class Shipment(models.Model):
    """Merchant orders of one merchant to one buyer travelling together, either on one of the
    merchant's whole-container bookings or on its space in a shared container (exactly one)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("merchant")
    )
    buyer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("buyer")
    )
    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=_shipment_reference, editable=False
    )
    booking = models.ForeignKey(
        Booking,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipments",
        verbose_name=_("whole-container booking"),
    )
    space_request = models.ForeignKey(
        SpaceRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipments",
        verbose_name=_("space in a shared container"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ShipmentStatus.choices, default=ShipmentStatus.PLANNED
    )
    incoterm = models.CharField(_("Incoterm"), max_length=3, default="FOB")
    shipping_marks = models.TextField(_("shipping marks"), max_length=500, blank=True)
    # Cargo totals, kept equal to the sum of the lines by the service that writes them.
    cases = models.PositiveIntegerField(_("cases"), default=0)
    net_weight_kg = models.DecimalField(_("net weight (kg)"), default=0, **CARGO_WEIGHT)
    gross_weight_kg = models.DecimalField(_("gross weight (kg)"), default=0, **CARGO_WEIGHT)
    volume_m3 = models.DecimalField(_("volume (m³)"), default=0, **CARGO_VOLUME)
    value_usd = models.DecimalField(_("value (USD)"), default=0, **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    departed_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of("organization", "buyer", operators=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(booking__isnull=False) & Q(space_request__isnull=True))
                | (Q(booking__isnull=True) & Q(space_request__isnull=False)),
                name="shipment_on_booking_or_space",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["buyer", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def carrier_booking(self) -> Booking | None:
        """The carrier booking the goods travel on: the merchant's own, or the shared
        container's (the network's)."""
        if self.booking_id:
            return self.booking
        return self.space_request.container.booking if self.space_request_id else None


class ShipmentLine(models.Model):
    """One purchase order line on a shipment, with its cargo figures (from the order line and
    the SKU's case weight and size). An order line is on one current shipment only."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("merchant")
    )
    buyer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("buyer")
    )
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    merchant_order = models.ForeignKey(
        "orders.MerchantOrder", on_delete=models.PROTECT, related_name="shipment_lines"
    )
    order_line = models.ForeignKey(
        "orders.PurchaseOrderLine", on_delete=models.PROTECT, related_name="shipment_lines"
    )
    # False once the shipment is cancelled: the order line may then go on another shipment.
    is_current = models.BooleanField(default=True)
    sku_code = models.CharField(_("SKU code"), max_length=40)
    description_en = models.CharField(_("description"), max_length=300)
    description_zh_hans = models.CharField(_("description (Chinese)"), max_length=300, blank=True)
    hs_code = models.CharField(_("HS code"), max_length=10, validators=[validate_hs_code])
    country_of_origin = models.CharField(_("origin"), max_length=2, default="US")
    quantity = models.PositiveIntegerField(_("units"))
    cases = models.PositiveIntegerField(_("cases"))
    units_per_case = models.PositiveIntegerField(_("units per case"))
    net_weight_kg = models.DecimalField(_("net weight (kg)"), **CARGO_WEIGHT)
    gross_weight_kg = models.DecimalField(_("gross weight (kg)"), **CARGO_WEIGHT)
    volume_m3 = models.DecimalField(_("volume (m³)"), **CARGO_VOLUME)
    unit_price_usd = models.DecimalField(_("unit price (USD)"), **MONEY)
    value_usd = models.DecimalField(_("value (USD)"), **MONEY)

    objects = PartyManager.of("organization", "buyer", operators=True)

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        ordering = ["shipment_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_line"],
                condition=Q(is_current=True),
                name="shipmentline_order_line_on_one_shipment",
            ),
            models.CheckConstraint(condition=Q(cases__gte=1), name="shipmentline_cases_min"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.sku_code}"


def _trade_document_path(instance: TradeDocument, filename: str) -> str:
    return f"trade-documents/{instance.organization_id}/{uuid.uuid4().hex}.pdf"


class TradeDocument(models.Model):
    """One version of a shipment's commercial invoice, packing list or case labels (a PDF in
    English with Chinese beside it). A change issues a new version; old versions are kept."""

    class Kind(models.TextChoices):
        COMMERCIAL_INVOICE = "commercial_invoice", _("Commercial invoice")
        PACKING_LIST = "packing_list", _("Packing list")
        CASE_LABELS = "case_labels", _("Case labels")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("merchant")
    )
    buyer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("buyer")
    )
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    version = models.PositiveSmallIntegerField(_("version"))
    number = models.CharField(_("number"), max_length=30)
    file = models.FileField(upload_to=_trade_document_path, storage=private_storage, max_length=200)
    # What the document states, to compare with the orders and to know whether it changed.
    content_hash = models.CharField(max_length=64)
    total_cases = models.PositiveIntegerField(default=0)
    total_net_weight_kg = models.DecimalField(default=0, **CARGO_WEIGHT)
    total_gross_weight_kg = models.DecimalField(default=0, **CARGO_WEIGHT)
    total_volume_m3 = models.DecimalField(default=0, **CARGO_VOLUME)
    total_value_usd = models.DecimalField(default=0, **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("issued"), default=timezone.now)

    objects = PartyManager.of("organization", "buyer", operators=True)

    class Meta:
        verbose_name = _("trade document")
        verbose_name_plural = _("trade documents")
        ordering = ["shipment_id", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "kind", "version"], name="tradedocument_version_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.version}"
