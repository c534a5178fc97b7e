"""Doing business together before and around an order.

- **Messages.** A ``Thread`` is between one buyer organisation and one merchant organisation,
  optionally about a product, a purchase or merchant order, a quotation request, a claim or a
  listing report. Its parties are the buyer and the merchant; the network's operators read a
  thread only when it is attached to a claim or a report.
- **Requests for quotation.** A buyer's ``QuotationRequest`` is seen by the approved merchants
  of its category (``QuotationRequest.objects.open_to(merchant)``); each answers with a
  ``Quotation`` whose lines carry their own tiers. Accepting one puts its lines in the buyer's
  cart at the quoted prices through ``orders.services.cart.cart_add_quoted``.
- **Saved lists.** A buyer's named lists of SKUs and quantities, to put in the cart again."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import SKU, Category, Product
from moderation.models import ListingReport
from network.models import Organization
from network.storage import private_storage
from network.tenancy import PartyManager
from orders.models import Incoterm, MerchantOrder, PurchaseOrder
from payments.models import Claim
from shipping.models import Port

MONEY = {"max_digits": 12, "decimal_places": 2}
CENT = Decimal("0.01")

# Operators read a thread (and its messages) only when it is attached to a claim or a report.
OPERATOR_THREADS = Q(claim__isnull=False) | Q(report__isnull=False)
OPERATOR_MESSAGES = Q(thread__claim__isnull=False) | Q(thread__report__isnull=False)


# --- Messages ----------------------------------------------------------------------------------


class Thread(models.Model):
    buyer = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    merchant = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    subject = models.CharField(_("subject"), max_length=200)
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merchant_order = models.ForeignKey(
        MerchantOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    quotation_request = models.ForeignKey(
        "QuotationRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    report = models.ForeignKey(
        ListingReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    # When each side was last mailed about this thread: at most one mail per side per hour.
    buyer_mailed_at = models.DateTimeField(null=True, blank=True)
    merchant_mailed_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of("buyer", "merchant", operators=OPERATOR_THREADS)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["buyer", "-last_message_at"], name="thread_buyer_recent"),
            models.Index(fields=["merchant", "-last_message_at"], name="thread_merchant_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(buyer=models.F("merchant")), name="thread_two_parties"
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    # The side that wrote it (the buyer or the merchant of the thread; an operator's note on a
    # claim or report thread names the operators' organisation).
    author_organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("message"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("thread__buyer", "thread__merchant", operators=OPERATOR_MESSAGES)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["thread", "created_at"], name="message_thread_time")]

    def __str__(self) -> str:
        return self.body[:60]


def _attachment_path(instance: MessageAttachment, filename: str) -> str:
    return f"messages/{instance.message.thread_id}/{uuid.uuid4().hex}"


class MessageAttachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(
        _("file"), upload_to=_attachment_path, storage=private_storage, max_length=200
    )
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of(
        "message__thread__buyer",
        "message__thread__merchant",
        operators=Q(message__thread__claim__isnull=False)
        | Q(message__thread__report__isnull=False),
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class ThreadRead(models.Model):
    """How far one person has read a thread: unread counts in the header are per person."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("thread__buyer", "thread__merchant")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="threadread_one_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.thread_id} read by {self.user_id}"


# --- Requests for quotation --------------------------------------------------------------------


class QuotationRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    AWARDED = "awarded", _("Quotation accepted")
    CLOSED = "closed", _("Closed")


class QuotationRequestManager(PartyManager):
    def open_to(self, merchant: Organization) -> models.QuerySet[QuotationRequest]:
        """The requests a merchant may read: open ones in a category where it is an approved
        merchant with an active listing (a request about a product: that product's category),
        and every request it has quoted on. Filled in by ``deals.selectors``."""
        from deals.selectors import quotation_requests_open_to

        return quotation_requests_open_to(self._unguarded(), merchant)


class QuotationRequest(models.Model):
    buyer = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    number = models.CharField(_("request number"), max_length=20, unique=True)
    title = models.CharField(_("what you are looking for"), max_length=200)
    description = models.TextField(_("details"), max_length=4000, blank=True)
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    quantity = models.PositiveIntegerField(_("quantity (units)"), validators=[MinValueValidator(1)])
    target_unit_price_usd = models.DecimalField(
        _("target unit price (USD)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(CENT)],
    )
    destination_port = models.ForeignKey(
        Port,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("destination port"),
    )
    incoterm = models.CharField(
        _("Incoterm"), max_length=3, choices=Incoterm.choices, default=Incoterm.FOB
    )
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=QuotationRequestStatus.choices,
        default=QuotationRequestStatus.OPEN,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = QuotationRequestManager.of("buyer", operators=True)

    class Meta:
        verbose_name = _("request for quotation")
        verbose_name_plural = _("requests for quotation")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="rfq_quantity_min"),
            models.CheckConstraint(
                condition=Q(product__isnull=False) | Q(category__isnull=False),
                name="rfq_product_or_category",
            ),
        ]

    def __str__(self) -> str:
        return self.number


def _rfq_file_path(instance: QuotationRequestFile, filename: str) -> str:
    return f"rfq/{instance.request_id}/{uuid.uuid4().hex}"


class QuotationRequestFile(models.Model):
    buyer = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(QuotationRequest, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(
        _("file"), upload_to=_rfq_file_path, storage=private_storage, max_length=200
    )
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    # Merchants reach a request's files through the request (``open_to``), never this manager.
    objects = PartyManager.of("buyer", operators=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class QuotationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Not chosen")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Quotation(models.Model):
    """A merchant's answer to a request: lines of its SKUs with their own tiers, a MOQ, a lead
    time and a last day. Seen by its merchant, the request's buyer and operators."""

    request = models.ForeignKey(
        QuotationRequest, on_delete=models.CASCADE, related_name="quotations"
    )
    buyer = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    merchant = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    number = models.CharField(_("quotation number"), max_length=24, unique=True)
    moq = models.PositiveIntegerField(
        _("minimum order quantity"), validators=[MinValueValidator(1)]
    )
    lead_time_days = models.PositiveSmallIntegerField(
        _("lead time (days)"), validators=[MaxValueValidator(365)]
    )
    valid_until = models.DateField(_("valid until"))
    note = models.TextField(_("note"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=QuotationStatus.choices,
        default=QuotationStatus.SUBMITTED,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("submitted"), default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PartyManager.of("merchant", "buyer", operators=True)

    class Meta:
        verbose_name = _("quotation")
        verbose_name_plural = _("quotations")
        ordering = ["created_at", "pk"]
        constraints = [
            # One live quotation per merchant and request (a new one replaces a withdrawn one).
            models.UniqueConstraint(
                fields=["request", "merchant"],
                condition=~Q(status="withdrawn"),
                name="quotation_one_live_per_merchant",
            ),
            # At most one accepted quotation per request.
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="accepted"),
                name="quotation_one_accepted_per_request",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class QuotationLine(models.Model):
    quotation = models.ForeignKey(Quotation, on_delete=models.CASCADE, related_name="lines")
    buyer = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    sku = models.ForeignKey(SKU, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    # The quantity that goes to the cart when the quotation is accepted.
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])

    objects = PartyManager.of("merchant", "buyer", operators=True)

    class Meta:
        ordering = ["quotation_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["quotation", "sku"], name="quotationline_one_per_sku")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id}"


class QuotationTier(models.Model):
    line = models.ForeignKey(QuotationLine, on_delete=models.CASCADE, related_name="tiers")
    buyer = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    min_quantity = models.PositiveIntegerField(
        _("from quantity"), validators=[MinValueValidator(1)]
    )
    unit_price_usd = models.DecimalField(
        _("unit price (USD)"), **MONEY, validators=[MinValueValidator(CENT)]
    )

    objects = PartyManager.of("merchant", "buyer", operators=True)

    class Meta:
        ordering = ["line_id", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "min_quantity"], name="quotationtier_unique_quantity"
            ),
            models.CheckConstraint(
                condition=Q(unit_price_usd__gt=0), name="quotationtier_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.min_quantity}+ @ {self.unit_price_usd} USD"


# --- Saved lists -------------------------------------------------------------------------------


class SavedList(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    name = models.CharField(_("name"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartyManager.of("organization")

    class Meta:
        verbose_name = _("saved list")
        verbose_name_plural = _("saved lists")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="savedlist_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class SavedListItem(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    saved_list = models.ForeignKey(SavedList, on_delete=models.CASCADE, related_name="items")
    sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="+", verbose_name=_("SKU"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["saved_list", "sku"], name="savedlistitem_one_per_sku")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id}"
