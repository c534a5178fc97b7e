"""Wholesale ordering: a buyer organisation's cart across merchants, its purchase orders, and
the merchant orders (one per merchant per purchase order) that the fan-out splits them into.

Carts, purchase orders and their lines belong to the buyer organisation; merchant orders and
the merchant's order settings belong to the merchant organisation. A merchant reaches the lines
of its own merchant orders only through ``orders.selectors``, which filter on the merchant order
explicitly (the lines' tenant is the buyer)."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import SKU, listing_label, localized
from network.models import Organization
from network.storage import private_storage
from network.tenancy import PartyManager

MONEY = {"max_digits": 14, "decimal_places": 2}
CENT = Decimal("0.01")


# --- Cart --------------------------------------------------------------------------------------


class Cart(models.Model):
    """The buyer organisation's cart: one per organisation, shared by its buyers."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="cart", verbose_name=_("buyer")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PartyManager.of("organization")

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self) -> str:
        return f"cart of {self.organization_id}"


class PriceSource(models.TextChoices):
    """Where a line's unit price comes from, in order of precedence at checkout: an accepted
    quotation (until it expires), the buyer's price list, the public tiers. A sample has its
    own price."""

    QUOTATION = "quotation", _("Quotation")
    PRICE_LIST = "price_list", _("Your price list")
    TIERS = "tiers", _("Price tiers")
    SAMPLE = "sample", _("Sample")


class CartLine(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="+", verbose_name=_("SKU"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    # A sample line: the SKU's sample price, outside its MOQ and case pack.
    is_sample = models.BooleanField(_("sample"), default=False)
    # An accepted quotation's terms, put here by ``orders.services.cart.cart_add_quoted``:
    # its tiers as [[min quantity, "unit price"], ...], its MOQ, its number and when it expires.
    # Empty for a line at list price.
    quoted_tiers = models.JSONField(default=list, blank=True)
    quoted_moq = models.PositiveIntegerField(null=True, blank=True)
    quotation_number = models.CharField(_("quotation"), max_length=24, blank=True)
    quoted_until = models.DateTimeField(_("quoted price valid until"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization")

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "sku", "is_sample"], name="cartline_one_per_sku"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cartline_quantity_min"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id}"


# --- Merchant settings -------------------------------------------------------------------------


class MerchantOrderSettings(models.Model):
    """A merchant's terms for incoming orders."""

    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        related_name="order_settings",
        verbose_name=_("merchant"),
    )
    minimum_order_value_usd = models.DecimalField(
        _("minimum order value (USD)"),
        **MONEY,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("The smallest order you accept, across all your products. 0 for none."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    # The minimum order value is a public term: every buyer's cart and checkout hold to it.
    # Operators see every merchant's terms (the admin).
    objects = PartyManager.of(
        "organization", operators=True, public=Q(minimum_order_value_usd__gt=0)
    )

    class Meta:
        verbose_name = _("order settings")
        verbose_name_plural = _("order settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_order_value_usd__gte=0), name="ordersettings_minimum_min"
            ),
        ]

    def __str__(self) -> str:
        return f"order settings of {self.organization_id}"


# --- Purchase orders ---------------------------------------------------------------------------


class DeliveryType(models.TextChoices):
    WAREHOUSE = "warehouse", _("Consolidation warehouse")
    BONDED = "bonded", _("Bonded warehouse")
    PORT = "port", _("Port")


class Incoterm(models.TextChoices):
    EXW = "EXW", _("EXW – Ex works")
    FCA = "FCA", _("FCA – Free carrier")
    FAS = "FAS", _("FAS – Free alongside ship")
    FOB = "FOB", _("FOB – Free on board")
    CFR = "CFR", _("CFR – Cost and freight")
    CIF = "CIF", _("CIF – Cost, insurance and freight")
    CPT = "CPT", _("CPT – Carriage paid to")
    CIP = "CIP", _("CIP – Carriage and insurance paid to")
    DAP = "DAP", _("DAP – Delivered at place")
    DPU = "DPU", _("DPU – Delivered at place unloaded")
    DDP = "DDP", _("DDP – Delivered duty paid")


class PaymentTerms(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid")
    DEPOSIT = "deposit", _("Deposit, balance before shipment")
    NET_30 = "net30", _("Net 30")
    NET_60 = "net60", _("Net 60")


class PurchaseOrderStatus(models.TextChoices):
    """Derived from the purchase order's merchant orders (``orders.services.derive_status``)."""

    PLACED = "placed", _("Placed")
    PARTLY_ACCEPTED = "partly_accepted", _("Partly accepted")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    SHIPPED = "shipped", _("Shipped")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class PurchaseOrder(models.Model):
    """One buyer's order across merchants, placed in one transaction with its stock reserved."""

    # Set by the placing services, not stored: True when a repeated request (same idempotency
    # key) got the order placed before.
    replayed: bool

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="purchase_orders",
        verbose_name=_("buyer"),
    )
    number = models.CharField(_("purchase order number"), max_length=20, unique=True)
    # The browser's form token or the API's Idempotency-Key: a second submit finds this order.
    idempotency_key = models.CharField(max_length=255)
    buyer_reference = models.CharField(
        _("your PO reference"),
        max_length=35,
        blank=True,
        help_text=_("Your own purchase order number; it is printed on the order."),
    )
    delivery_type = models.CharField(
        _("deliver to"), max_length=12, choices=DeliveryType.choices, default=DeliveryType.WAREHOUSE
    )
    delivery_location = models.CharField(
        _("delivery location"),
        max_length=200,
        help_text=_("e.g. Ningbo Meishan bonded warehouse, or the port of Shanghai (CNSHA)."),
    )
    incoterm = models.CharField(
        _("Incoterm"), max_length=3, choices=Incoterm.choices, default=Incoterm.FOB
    )
    payment_terms = models.CharField(
        _("payment terms"),
        max_length=10,
        choices=PaymentTerms.choices,
        default=PaymentTerms.PREPAID,
    )
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    travel_together = models.BooleanField(
        _("ship together"),
        default=False,
        help_text=_(
            "Put every merchant's goods of this order in the same shared container while it "
            "has room, so they arrive together."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=PurchaseOrderStatus.choices,
        default=PurchaseOrderStatus.PLACED,
    )
    total_usd = models.DecimalField(_("total (USD)"), **MONEY, default=Decimal("0.00"))
    savings_usd = models.DecimalField(_("tier savings (USD)"), **MONEY, default=Decimal("0.00"))
    merchant_count = models.PositiveSmallIntegerField(default=0)
    # The CNY figures shown beside USD: the operators' rate in force when the order was placed
    # and the estimated landed cost in China then (None without a rate or tariff data).
    usd_cny_rate = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    landed_cost_cny = models.DecimalField(
        _("estimated landed cost (CNY)"), **MONEY, null=True, blank=True
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="purchaseorder_idempotency"
            ),
            models.CheckConstraint(condition=Q(total_usd__gte=0), name="purchaseorder_total_min"),
        ]
        indexes = [
            models.Index(fields=["organization", "-placed_at"], name="po_org_placed"),
            models.Index(fields=["status", "-placed_at"], name="po_status_placed"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total_cny(self) -> Decimal | None:
        """The total in CNY at the rate in force when the order was placed (None without)."""
        if self.usd_cny_rate is None:
            return None
        return (self.total_usd * self.usd_cny_rate).quantize(CENT, rounding=ROUND_HALF_UP)


class LineStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the merchant")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    SHIPPED = "shipped", _("Shipped")


class PurchaseOrderLine(models.Model):
    """A SKU ordered from one merchant, at the tier price of the quantity when placed. The SKU's
    code, title (in both languages), variant and pack are copied so the order reads the same if the
    listing changes."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    merchant = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("merchant")
    )
    merchant_order = models.ForeignKey(
        "MerchantOrder", on_delete=models.SET_NULL, null=True, blank=True, related_name="lines"
    )
    sku = models.ForeignKey(SKU, on_delete=models.SET_NULL, null=True, related_name="+")
    sku_code = models.CharField(_("SKU code"), max_length=40)
    product_title = models.CharField(_("product"), max_length=200)
    product_title_zh_hans = models.CharField(
        _("product (Simplified Chinese)"), max_length=200, blank=True
    )
    variant = models.CharField(_("variant"), max_length=100, blank=True)
    variant_zh_hans = models.CharField(
        _("variant (Simplified Chinese)"), max_length=100, blank=True
    )
    case_pack = models.PositiveIntegerField(_("case pack"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price_usd = models.DecimalField(_("unit price (USD)"), max_digits=12, decimal_places=2)
    # The price at the MOQ (first tier): the difference is the tier saving shown to the buyer.
    list_unit_price_usd = models.DecimalField(max_digits=12, decimal_places=2)
    line_total_usd = models.DecimalField(_("line total (USD)"), **MONEY)
    is_sample = models.BooleanField(_("sample"), default=False)
    price_source = models.CharField(
        _("price"), max_length=12, choices=PriceSource.choices, default=PriceSource.TIERS
    )
    # The quotation number or the price list's name the price came from.
    price_reference = models.CharField(_("price reference"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=LineStatus.choices, default=LineStatus.PENDING
    )
    # Units of this line currently held in the SKU's ``Inventory.reserved``.
    reserved_quantity = models.PositiveIntegerField(default=0)

    objects = PartyManager.of("organization", "merchant", operators=True)

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["purchase_order_id", "merchant_id", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="poline_quantity_min"),
            models.CheckConstraint(
                condition=Q(reserved_quantity__lte=F("quantity")), name="poline_reserved_le_qty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_code}"

    @property
    def label(self) -> str:
        """The product and variant as ordered, in the reader's language, the variant named once.
        Lines placed before the Chinese copies were kept read in English."""
        return listing_label(
            localized(self.product_title, self.product_title_zh_hans),
            localized(self.variant, self.variant_zh_hans),
        )

    @property
    def saving_usd(self) -> Decimal:
        return (self.list_unit_price_usd - self.unit_price_usd) * self.quantity

    @property
    def cases(self) -> int:
        return self.quantity // self.case_pack if self.case_pack else self.quantity


# --- Merchant orders ---------------------------------------------------------------------------


class MerchantOrderStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting acceptance")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered to consolidation")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Before shipment a merchant order holds reserved stock; cancelling it gives the stock back.
CANCELLABLE = (
    MerchantOrderStatus.PENDING,
    MerchantOrderStatus.ACCEPTED,
    MerchantOrderStatus.PACKED,
)


class MerchantOrder(models.Model):
    """One merchant's part of a purchase order, created by the fan-out."""

    # Set by orders.selectors.with_tracking_urls, not stored: the carrier's page or "".
    tracking_url: str

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="merchant_orders",
        verbose_name=_("merchant"),
    )
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="merchant_orders"
    )
    buyer = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    number = models.CharField(_("order number"), max_length=24, unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MerchantOrderStatus.choices,
        default=MerchantOrderStatus.PENDING,
    )
    subtotal_usd = models.DecimalField(_("subtotal (USD)"), **MONEY, default=Decimal("0.00"))
    accept_by = models.DateTimeField(_("accept by"))
    carrier_name = models.CharField(_("carrier"), max_length=100, blank=True)
    booking_reference = models.CharField(_("booking reference"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # rejected or cancelled

    objects = PartyManager.of("organization", "buyer", operators=True)

    class Meta:
        verbose_name = _("merchant order")
        verbose_name_plural = _("merchant orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The fan-out's guarantee: one merchant order per merchant per purchase order.
            models.UniqueConstraint(
                fields=["purchase_order", "organization"], name="merchantorder_one_per_merchant"
            ),
            models.CheckConstraint(
                condition=~Q(status="shipped") | ~Q(carrier_name=""),
                name="merchantorder_shipped_has_carrier",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="mo_org_created"),
            models.Index(fields=["status", "accept_by"], name="mo_status_accept_by"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def holds_stock(self) -> bool:
        return self.status in CANCELLABLE


# --- Dashboard summary -------------------------------------------------------------------------


class DailySales(models.Model):
    """Sold order lines summed per day of placing, merchant, top-level category and the buyer's
    country: what the operators' network-wide GMV panels read instead of every line. Rebuilt
    from the lines by ``orders.dashboard.daily_sales_refresh`` (beat), never edited by hand."""

    day = models.DateField()
    merchant = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        "catalog.Category", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    buyer_country = models.CharField(max_length=2)
    gmv_usd = models.DecimalField(**MONEY)
    units = models.PositiveIntegerField()
    lines = models.PositiveIntegerField()
    refreshed_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("merchant", operators=True)

    class Meta:
        verbose_name = _("daily sales")
        verbose_name_plural = _("daily sales")
        indexes = [
            models.Index(fields=["day"], name="dailysales_day"),
            models.Index(fields=["-refreshed_at"], name="dailysales_refreshed"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.merchant_id} {self.category_id}: {self.gmv_usd}"


# --- Receipt -----------------------------------------------------------------------------------


class ReceiptProblem(models.Model):
    """A buyer's report that a merchant order arrived short, damaged or not as described; the
    merchant and the network's operators see it (its settlement belongs to payments' claims)."""

    class Kind(models.TextChoices):
        SHORT = "short", _("Quantity short")
        DAMAGED = "damaged", _("Damaged")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    merchant = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    merchant_order = models.ForeignKey(
        "MerchantOrder", on_delete=models.CASCADE, related_name="receipt_problems"
    )
    kind = models.CharField(_("problem"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("what is wrong"), max_length=2000)
    # Per order line: {line id: units missing or affected}; empty when the whole order is meant.
    affected_quantities = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("reported"), default=timezone.now)

    objects = PartyManager.of("organization", "merchant", operators=True)

    class Meta:
        verbose_name = _("receipt problem")
        verbose_name_plural = _("receipt problems")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.merchant_order_id} {self.kind}"


def _receipt_photo_path(instance: ReceiptProblemPhoto, filename: str) -> str:
    # The stored name says nothing of the uploaded one: no path tricks, no guessable URLs.
    return f"receipt-problems/{instance.organization_id}/{uuid.uuid4().hex}"


class ReceiptProblemPhoto(models.Model):
    """A photo the buyer attached to a receipt problem, kept in private storage."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    merchant = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    problem = models.ForeignKey(ReceiptProblem, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(
        _("photo"), upload_to=_receipt_photo_path, storage=private_storage, max_length=200
    )
    content_type = models.CharField(max_length=50)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", "merchant", operators=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.image.name
