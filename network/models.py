"""The platform core: people, organisations, memberships, invitations, audit and notifications."""

from __future__ import annotations

import hashlib
import uuid
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal
from typing import cast

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from network.tenancy import PartyManager, PartyQuerySet

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]
# Where a person's dates are shown until they choose a zone: buyers are Chinese stores.
BUYER_TIME_ZONE = "Asia/Shanghai"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person. Logs in with an email address; belongs to organisations through memberships."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    # Empty until the person chooses one: see ``time_zone_name``.
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, blank=True, default=""
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def time_zone_name(self, memberships: Iterable[Membership] | None = None) -> str:
        """The zone this person reads dates in: their choice, else ``default_time_zone``."""
        return self.time_zone or self.default_time_zone(memberships)

    def default_time_zone(self, memberships: Iterable[Membership] | None = None) -> str:
        """China's zone for a member of a buyer organisation, UTC for anyone else. Pass the
        person's memberships (with their organisations) when they are loaded, to spare a query."""
        if memberships is None:
            is_buyer = self.memberships.filter(organization__kind=Organization.Kind.BUYER).exists()
        else:
            is_buyer = any(m.organization.kind == Organization.Kind.BUYER for m in memberships)
        return BUYER_TIME_ZONE if is_buyer else settings.TIME_ZONE


class Organization(models.Model):
    """A tenant: a US merchant, a Taobao Global buyer or the network's operator."""

    class Kind(models.TextChoices):
        MERCHANT = "merchant", _("US merchant")
        BUYER = "buyer", _("Taobao Global buyer")
        OPERATOR = "operator", _("Network operator")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Use a two-letter ISO country code."))],
        help_text=_("Two-letter ISO 3166 code, e.g. US or CN."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    STAFF = "staff", _("Staff")
    BUYER = "buyer", _("Buyer")
    VIEWER = "viewer", _("Viewer")


# What each role may do, as a rank: a check asks for "at least" a role.
ROLE_RANK = {Role.VIEWER: 10, Role.STAFF: 20, Role.BUYER: 20, Role.ADMIN: 30, Role.OWNER: 40}

# Staff work for merchants and operators; buyers buy for buyer organisations.
ROLES_BY_KIND: dict[str, list[Role]] = {
    Organization.Kind.MERCHANT: [Role.OWNER, Role.ADMIN, Role.STAFF, Role.VIEWER],
    Organization.Kind.BUYER: [Role.OWNER, Role.ADMIN, Role.BUYER, Role.VIEWER],
    Organization.Kind.OPERATOR: [Role.OWNER, Role.ADMIN, Role.STAFF, Role.VIEWER],
}


def role_rank(role: str) -> int:
    return ROLE_RANK[Role(role)]


class Membership(models.Model):
    """A person's place in an organisation, with a role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("joined"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"

    def has_role(self, minimum: str) -> bool:
        return role_rank(self.role) >= role_rank(minimum)


class SecretPartyManager(PartyManager):
    """The manager of a private row that a secret opens (an invitation link's token, an API
    key): whoever holds the secret reaches that one row before any organisation's scope
    applies, so it is read by the secret's hash and nothing else."""

    hash_field = ""

    def opened_by(self, secret_hash: str) -> PartyQuerySet:
        return self._unguarded().filter(**{self.hash_field: secret_hash})


class InvitationManager(SecretPartyManager):
    hash_field = "token_hash"


class ApiKeyManager(SecretPartyManager):
    hash_field = "key_hash"


class NotificationManager(PartyManager):
    """A notification is its recipient's: a person reads all of their own, whichever
    organisation's business they were about (``addressed_to``). Otherwise the organisation it
    was sent for is its party; one sent for no organisation (a person's own account mail) is
    reached by its recipient or, to mail it, by its id (``personal``)."""

    def addressed_to(self, user: User) -> PartyQuerySet:
        return self._unguarded().filter(recipient=user)

    def personal(self) -> PartyQuerySet:
        return self._unguarded().filter(organization__isnull=True)


class Invitation(models.Model):
    """An email invitation to join an organisation, redeemed with a token that expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    # Only a hash is stored: a database leak does not leak usable invitation links.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = cast("InvitationManager", InvitationManager.of("organization"))

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class AuditEvent(models.Model):
    """Who did what to which object, in which organisation, when, and what changed."""

    # Set by the readers that show an event (e.g. an application's history), not stored.
    label: str | Promise

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = PartyManager.of("organization")

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"


class Notification(models.Model):
    """A message to one person, rendered in their language and mailed once by a task."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    email = models.EmailField()
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=64)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    # [{"name": ..., "mimetype": ..., "content": base64}], e.g. a calendar invite.
    attachments = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = cast("NotificationManager", NotificationManager.of("organization"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # What a mail batch and its re-drive read: the few rows not mailed yet.
            models.Index(
                fields=["recipient", "organization"],
                condition=models.Q(sent_at__isnull=True),
                name="notification_unsent",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class ExchangeRate(models.Model):
    """An exchange rate set by operators (no outside service): 1 ``base`` = ``rate`` ``quote``.
    Prices are always in USD; the CNY figure shown to buyers is an estimate from the newest rate.
    """

    base = models.CharField(_("base currency"), max_length=3, default="USD")
    quote = models.CharField(_("quote currency"), max_length=3, default="CNY")
    rate = models.DecimalField(
        _("rate"),
        max_digits=12,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
    )
    effective_date = models.DateField(_("effective date"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-effective_date", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "quote", "effective_date"], name="exchange_rate_one_per_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} ({self.effective_date})"


class ApiScope(models.TextChoices):
    CATALOG_READ = "catalog:read", _("Read the catalogue")
    CATALOG_WRITE = "catalog:write", _("Change products")
    INVENTORY_WRITE = "inventory:write", _("Change inventory")
    ORDERS_READ = "orders:read", _("Read orders")
    ORDERS_WRITE = "orders:write", _("Place and change orders")
    BOOKINGS_READ = "bookings:read", _("Read bookings")
    BOOKINGS_WRITE = "bookings:write", _("Book and change bookings")
    TRAINING_READ = "training:read", _("Read seminars and registrations")
    WEBHOOKS_READ = "webhooks:read", _("Read webhook endpoints and deliveries")
    WEBHOOKS_WRITE = "webhooks:write", _("Manage webhook endpoints")


class ApiKey(models.Model):
    """A key one organisation's systems use for the API. Shown once; only a hash is stored,
    with a visible prefix to tell keys apart."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = ArrayField(
        models.CharField(max_length=30, choices=ApiScope.choices),
        verbose_name=_("scopes"),
        default=list,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = cast("ApiKeyManager", ApiKeyManager.of("organization"))

    # Read with the key by ``api_key_authenticate``: its creator's membership of the key's
    # organisation, None once the creator has left it.
    creator_membership: Membership | None

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The kept answer to an API write made with an ``Idempotency-Key``, replayed on a retry.
    Written in the request's own transaction (``network.idempotency``), so it exists exactly
    when the request's work was committed."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_content = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of("organization")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class WebhookEvent(models.TextChoices):
    PURCHASE_ORDER_PLACED = "purchase_order.placed", "purchase_order.placed"
    MERCHANT_ORDER_CREATED = "merchant_order.created", "merchant_order.created"
    MERCHANT_ORDER_ACCEPTED = "merchant_order.accepted", "merchant_order.accepted"
    MERCHANT_ORDER_SHIPPED = "merchant_order.shipped", "merchant_order.shipped"
    BOOKING_CONFIRMED = "booking.confirmed", "booking.confirmed"
    BOOKING_REJECTED = "booking.rejected", "booking.rejected"
    SHIPMENT_GATE_IN = "shipment.gate_in", "shipment.gate_in"
    SHIPMENT_LOADED = "shipment.loaded", "shipment.loaded"
    SHIPMENT_DEPARTED = "shipment.departed", "shipment.departed"
    SHIPMENT_ARRIVED = "shipment.arrived", "shipment.arrived"
    SHIPMENT_DISCHARGED = "shipment.discharged", "shipment.discharged"
    SHIPMENT_GATE_OUT = "shipment.gate_out", "shipment.gate_out"
    ORDER_SHIPMENT_DEPARTED = "order_shipment.departed", "order_shipment.departed"
    ORDER_SHIPMENT_ARRIVED = "order_shipment.arrived", "order_shipment.arrived"
    ORDER_SHIPMENT_ETA_CHANGED = "order_shipment.eta_changed", "order_shipment.eta_changed"
    MERCHANT_ORDER_RECEIVED = "merchant_order.received", "merchant_order.received"
    MERCHANT_ORDER_PROBLEM_REPORTED = (
        "merchant_order.problem_reported",
        "merchant_order.problem_reported",
    )
    SPACE_REPLANNED = "space.replanned", "space.replanned"
    PAYMENT_RECEIVED = "payment.received", "payment.received"
    FUNDS_RELEASED = "funds.released", "funds.released"
    CLAIM_OPENED = "claim.opened", "claim.opened"
    CLAIM_DECIDED = "claim.decided", "claim.decided"
    PAYOUT_SENT = "payout.sent", "payout.sent"
    LISTING_TAKEN_DOWN = "listing.taken_down", "listing.taken_down"
    INVENTORY_LOW = "inventory.low", "inventory.low"
    MESSAGE_RECEIVED = "message.received", "message.received"
    QUOTATION_REQUESTED = "quotation_request.opened", "quotation_request.opened"
    QUOTATION_RECEIVED = "quotation.received", "quotation.received"
    QUOTATION_ACCEPTED = "quotation.accepted", "quotation.accepted"
    PRICE_LIST_CHANGED = "price_list.changed", "price_list.changed"


class WebhookEndpoint(models.Model):
    """Where an organisation wants to hear about events, with the secret that signs them."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(
        _("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    secret = models.CharField(max_length=64, editable=False)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = ArrayField(
        models.CharField(max_length=40, choices=WebhookEvent.choices),
        verbose_name=_("events"),
        default=list,
    )
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization")

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one endpoint, with its last attempt's outcome: the
    status code, the time it took and why it failed — never what the endpoint answered, which
    could be anything the endpoint's owner points it at."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    class Error(models.TextChoices):
        # The values are network.outbound's failure kinds, and one for an HTTP answer not 2xx.
        HTTP_STATUS = "http_status", _("HTTP status")
        REFUSED_ADDRESS = "refused_address", _("refused: private address")
        REFUSED_URL = "refused_url", _("refused: URL not allowed")
        HOST_NOT_FOUND = "host_not_found", _("host name not found")
        TIMEOUT = "timeout", _("timeout")
        CONNECTION_REFUSED = "connection_refused", _("connection refused")
        CONNECTION_FAILED = "connection_failed", _("connection failed")
        TLS_ERROR = "tls_error", _("TLS error")
        INVALID_RESPONSE = "invalid_response", _("invalid response")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=20, choices=Error.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of("organization")

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"

    @property
    def outcome(self) -> str:
        """The last attempt's outcome for the log: "HTTP 500", "timeout", "refused: …"."""
        if self.error == self.Error.HTTP_STATUS:
            if self.response_code and 300 <= self.response_code < 400:
                return _("HTTP %(code)s (redirects are not followed)") % {
                    "code": self.response_code
                }
            return _("HTTP %(code)s") % {"code": self.response_code}
        return self.get_error_display()
