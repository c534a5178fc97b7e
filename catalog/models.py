"""The catalogue: a category tree, merchants' products with variants (SKUs), wholesale price
tiers, stock per SKU with its ledger, product images, and spreadsheet import jobs.

Products, SKUs, stock, images and import jobs belong to a merchant organisation (their party;
the network's operators see all of them but import jobs) and are read through their
``PartyManager``. What buyers may read is each model's ``objects.public()``:

- ``Product.objects.public()``: the listings the marketplace shows to anyone, active listings
  of merchants whose application is approved (a suspended merchant's listings vanish at once:
  the condition reads the merchant's current status, nothing is copied onto the products);
- ``SKU.objects.public()``, ``ProductImage.objects.public()``, ``Inventory.objects.public()``:
  the SKUs, photos and stock rows of those listings (the same condition through ``product``).

Other apps (orders, moderation) read listings a buyer may order or report through these, never
by turning the guard off. A draft, paused, in-review or taken-down listing is seen only by its
merchant and the operators (``visible_to``)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Mod, Upper
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from merchants.models import ApplicationStatus
from network.models import Organization
from network.storage import private_storage
from network.tenancy import PartyManager

MONEY = {"max_digits": 12, "decimal_places": 2}
CENT = Decimal("0.01")

# A Harmonized System code: 6 digits (the international part) and up to 4 national digits.
HS_CODE_VALIDATOR = RegexValidator(
    r"^\d{6,10}$", _("Enter the HS code as 6 to 10 digits, for example 1702200000.")
)


def validate_hs_chapter(value: str) -> None:
    """The first two digits are the HS chapter: 01–97, and chapter 77 is reserved."""
    if len(value) >= 2 and value[:2].isdigit():
        chapter = int(value[:2])
        if not 1 <= chapter <= 97 or chapter == 77:
            raise ValidationError(
                _("%(chapter)s is not an HS chapter (chapters run from 01 to 97, without 77)."),
                params={"chapter": value[:2]},
                code="hs_chapter",
            )


def validate_sku_code(value: str) -> None:
    if value != value.strip() or any(ch.isspace() for ch in value):
        raise ValidationError(_("A SKU code has no spaces."), code="sku_spaces")


class Country(models.TextChoices):
    """Countries of origin merchants of the network declare most."""

    US = "US", _("United States")
    CA = "CA", _("Canada")
    MX = "MX", _("Mexico")
    CN = "CN", _("China")
    JP = "JP", _("Japan")
    KR = "KR", _("South Korea")
    TW = "TW", _("Taiwan")
    VN = "VN", _("Vietnam")
    TH = "TH", _("Thailand")
    IN = "IN", _("India")
    BD = "BD", _("Bangladesh")
    ID = "ID", _("Indonesia")
    MY = "MY", _("Malaysia")
    DE = "DE", _("Germany")
    FR = "FR", _("France")
    IT = "IT", _("Italy")
    GB = "GB", _("United Kingdom")
    NZ = "NZ", _("New Zealand")
    AU = "AU", _("Australia")
    BR = "BR", _("Brazil")
    CL = "CL", _("Chile")
    TR = "TR", _("Turkey")
    PT = "PT", _("Portugal")
    ES = "ES", _("Spain")


def localized(english: str, chinese: str) -> str:
    """The Chinese text for Chinese readers when there is one; English otherwise.

    The one rule for bilingual content: categories, product titles and variants, and the copies
    of them that orders and reports keep, all read through it."""
    if chinese and (get_language() or "").lower().startswith("zh"):
        return chinese
    return english


# The same, decided when the text is rendered: for mail and notifications, which are rendered in
# their recipient's language rather than the language of the request that sends them.
localized_lazy = lazy(localized, str)

# What may close a title after the variant it names: "…, gift tin", "…（礼品罐装）".
_TITLE_END = " \t,.;:·-–—()（）[]【】、，。"


def listing_label(title: str, variant: str) -> str:
    """A SKU as orders and carts name it: "title · variant", with the variant named once.

    Merchants often end a title with the variant it is sold as ("Maple syrup, gift tin" for the
    SKU "gift tin"); appending the variant again would read "…, gift tin · gift tin"."""
    variant = variant.strip()
    if not variant or _names_at_end(title, variant):
        return title
    return f"{title} · {variant}"


def _names_at_end(title: str, variant: str) -> bool:
    end, variant = title.rstrip(_TITLE_END).casefold(), variant.casefold()
    if not end.endswith(variant):
        return False
    # "Cream spread" does not name the variant "read": a Latin word must start where it does.
    before = end[: -len(variant)][-1:]
    return not (_latin(before) and _latin(variant[0]))


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


class Category(models.Model):
    """A node of the category tree (shared by every merchant; maintained by operators)."""

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name_en"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self.name_en, self.name_zh_hans)

    def clean(self) -> None:
        # Walk up from the new parent: meeting ourselves would make a loop.
        node, seen = self.parent, set()
        while node is not None and node.pk not in seen:
            if self.pk and node.pk == self.pk:
                raise ValidationError({"parent": _("A category cannot sit inside itself.")})
            seen.add(node.pk)
            node = node.parent


class ListingState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    IN_REVIEW = "in_review", _("In review")
    TAKEN_DOWN = "taken_down", _("Taken down")


def public_listing(path: str = "") -> Q:
    """The condition of a public listing, from the row through ``path`` to its product: active,
    and its merchant approved (not suspended)."""
    return Q(
        **{
            f"{path}state": ListingState.ACTIVE,
            f"{path}organization__merchant_application__status": ApplicationStatus.APPROVED,
        }
    )


class Product(models.Model):
    """A merchant's listing. Buyers see it while it is active and the merchant is approved:
    ``Product.objects.public()`` holds exactly those listings (a suspended merchant's vanish at
    once); its merchant and the operators see it in every state (``visible_to``)."""

    # Set on the cards of a listing page by catalog.selectors, not stored.
    has_stock: bool
    sku_variants: list[tuple[str, str]]
    image_id: int | None

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="products",
        verbose_name=_("merchant"),
    )
    reference = models.CharField(
        _("product reference"),
        max_length=40,
        help_text=_("Your own product or style number; it identifies the product in imports."),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh_hans = models.CharField(_("title (Simplified Chinese)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"))
    description_zh_hans = models.TextField(_("description (Simplified Chinese)"), blank=True)
    brand = models.CharField(_("brand"), max_length=120, blank=True)
    hs_code = models.CharField(
        _("HS code"),
        max_length=10,
        blank=True,
        validators=[HS_CODE_VALIDATOR, validate_hs_chapter],
        help_text=_("Harmonized System code, 6 to 10 digits; needed to publish."),
    )
    country_of_origin = models.CharField(
        _("country of origin"), max_length=2, choices=Country.choices, default=Country.US
    )
    weight_kg = models.DecimalField(
        _("weight (kg)"),
        max_digits=8,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("Shipping weight of one unit."),
    )
    length_cm = models.DecimalField(
        _("length (cm)"),
        max_digits=7,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    width_cm = models.DecimalField(
        _("width (cm)"),
        max_digits=7,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    height_cm = models.DecimalField(
        _("height (cm)"),
        max_digits=7,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    lead_time_days = models.PositiveSmallIntegerField(
        _("lead time (days)"),
        validators=[MaxValueValidator(365)],
        help_text=_("Days from order to ready for dispatch."),
    )
    msrp_usd = models.DecimalField(
        _("MSRP (USD)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(CENT)],
        help_text=_("Manufacturer's suggested retail price of one unit."),
    )
    state = models.CharField(
        _("listing state"),
        max_length=12,
        choices=ListingState.choices,
        default=ListingState.DRAFT,
    )
    takedown_reason = models.TextField(_("takedown reason"), blank=True)
    # Kept by catalog.services from the SKUs and tiers, so browsing filters and sorts on columns.
    price_min_usd = models.DecimalField(**MONEY, null=True, blank=True, editable=False)
    price_max_usd = models.DecimalField(**MONEY, null=True, blank=True, editable=False)
    moq_min = models.PositiveIntegerField(null=True, blank=True, editable=False)
    search_cjk = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    # Whether a SKU has stock available, kept by catalog.facets whenever products_changed says
    # the browse page may have changed, so that filters and counts read a column.
    in_stock = models.BooleanField(default=False, db_default=False, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    objects = PartyManager.of("organization", operators=True, public=public_listing())

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "reference"], name="product_reference_unique"
            ),
            models.CheckConstraint(
                condition=Q(hs_code="") | Q(hs_code__regex=r"^[0-9]{6,10}$"),
                name="product_hs_code_digits",
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__gt=0)
                & Q(length_cm__gt=0)
                & Q(width_cm__gt=0)
                & Q(height_cm__gt=0),
                name="product_measures_positive",
            ),
            models.CheckConstraint(
                condition=Q(lead_time_days__lte=365), name="product_lead_time_max"
            ),
            models.CheckConstraint(
                condition=Q(msrp_usd__isnull=True) | Q(msrp_usd__gt=0),
                name="product_msrp_positive",
            ),
            models.CheckConstraint(
                condition=~Q(state="active") | Q(hs_code__regex=r"^[0-9]{6,10}$"),
                name="product_active_has_hs_code",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="product_search_gin"),
            models.Index(fields=["state", "-published_at", "-id"], name="product_state_published"),
            models.Index(fields=["state", "price_min_usd"], name="product_state_price"),
            models.Index(fields=["organization", "state"], name="product_org_state"),
            models.Index(fields=["category", "state"], name="product_category_state"),
            models.Index(fields=["brand"], name="product_brand"),
            # The browse page under a brand filter (``brand__iexact``), newest first.
            models.Index(
                Upper("brand"),
                F("published_at").desc(),
                F("id").desc(),
                name="product_active_brand_published",
                condition=Q(state="active"),
            ),
        ]

    def __str__(self) -> str:
        return self.title_en

    @property
    def title(self) -> str:
        return localized(self.title_en, self.title_zh_hans)

    @property
    def description(self) -> str:
        return localized(self.description_en, self.description_zh_hans)

    @property
    def is_public(self) -> bool:
        return self.state == ListingState.ACTIVE

    def clean(self) -> None:
        for name in ("title_en", "description_en", "brand", "reference"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, value.strip())
        if not self.title_en:
            raise ValidationError({"title_en": _("An English title is required.")})


class FacetCount(models.Model):
    """How many active listings a merchant has in a category under a brand (``brand`` NULL:
    under every brand; ``category`` NULL: in every category, so that the brand facet outside a
    category sums one row per merchant and brand), in stock or not: the browse page's totals
    and facet counts without a search are sums over these rows (``catalog.facets``), which
    ``catalog.facets.listings_changed`` recomputes for a merchant whenever ``products_changed``
    reports a change the browse page could show. The merchant's standing and US state are
    joined when read, so a suspension needs no recount."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", null=True
    )  # NULL: every category (rows of one brand)
    brand = models.CharField(max_length=120, null=True)  # noqa: DJ001 - NULL: every brand
    in_stock = models.BooleanField()
    listings = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "category", "brand", "in_stock"],
                name="facetcount_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [
            # A brand filter and a category filter read only their rows.
            models.Index(Upper("brand"), name="facetcount_brand"),
            models.Index(fields=["category"], name="facetcount_category"),
            # The rows of every brand (the totals and the other facets) and of every category
            # (the brand facet) are read without the rest of the table (and, once vacuumed,
            # from the index alone).
            models.Index(
                fields=["category", "organization", "in_stock"],
                include=["listings"],
                condition=Q(brand__isnull=True),
                name="facetcount_every_brand",
            ),
            models.Index(
                fields=["brand", "organization", "in_stock"],
                include=["listings"],
                condition=Q(category__isnull=True),
                name="facetcount_every_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.category_id}/{self.brand}: {self.listings}"


class SKU(models.Model):
    """A variant of a product that a buyer orders: its own code, case pack and MOQ.
    ``SKU.objects.public()``: the SKUs of public listings, the ones a buyer may order."""

    # Set on a product page by catalog.selectors, not stored: (tier, its last quantity or None).
    tier_rows: list[tuple[PriceTier, int | None]]

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="skus", verbose_name=_("product")
    )
    code = models.CharField(
        _("SKU code"),
        max_length=40,
        validators=[validate_sku_code],
        help_text=_("Unique among your SKUs."),
    )
    variant_en = models.CharField(
        _("variant (English)"), max_length=100, blank=True, help_text=_("e.g. 500 ml, red, size M")
    )
    variant_zh_hans = models.CharField(
        _("variant (Simplified Chinese)"), max_length=100, blank=True
    )
    case_pack = models.PositiveIntegerField(
        _("case pack"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("Units in one shipping carton."),
    )
    moq = models.PositiveIntegerField(
        _("minimum order quantity"),
        validators=[MinValueValidator(1)],
        help_text=_("In units; a whole number of case packs."),
    )
    # The packed shipping carton, for shipments' cargo lines and the packing list; a SKU
    # without them is estimated from the product's unit weight and size times the case pack.
    case_gross_weight_kg = models.DecimalField(
        _("case gross weight (kg)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("One packed carton, with its packaging."),
    )
    case_length_cm = models.DecimalField(
        _("case length (cm)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    case_width_cm = models.DecimalField(
        _("case width (cm)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    case_height_cm = models.DecimalField(
        _("case height (cm)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    # A sample: one unit (or a few) at its own price, outside the MOQ and the case pack.
    sample_price_usd = models.DecimalField(
        _("sample price (USD)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(CENT)],
        help_text=_("Leave empty to offer no sample."),
    )
    sample_limit_per_buyer = models.PositiveSmallIntegerField(
        _("samples per buyer"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("How many sample units one buyer organisation may order in all."),
    )
    # The Chinese import tariff line (8 digits) for the landed-cost estimate; suggested from the
    # product's HS code, set by the merchant or an operator.
    cn_tariff_code = models.CharField(
        _("China tariff code"),
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^\d{8}$", _("Enter the 8-digit Chinese tariff code."))],
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", operators=True, public=public_listing("product__"))

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["product_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="sku_code_unique"),
            models.CheckConstraint(condition=Q(case_pack__gte=1), name="sku_case_pack_min"),
            models.CheckConstraint(condition=Q(moq__gte=1), name="sku_moq_min"),
            models.CheckConstraint(
                condition=Exact(Mod(F("moq"), F("case_pack")), 0),
                name="sku_moq_multiple_of_case_pack",
            ),
            models.CheckConstraint(
                condition=(
                    Q(case_length_cm__isnull=True)
                    & Q(case_width_cm__isnull=True)
                    & Q(case_height_cm__isnull=True)
                )
                | (Q(case_length_cm__gt=0) & Q(case_width_cm__gt=0) & Q(case_height_cm__gt=0)),
                name="sku_case_dimensions_all_or_none",
            ),
            models.CheckConstraint(
                condition=Q(case_gross_weight_kg__isnull=True) | Q(case_gross_weight_kg__gt=0),
                name="sku_case_weight_positive",
            ),
            models.CheckConstraint(
                condition=Q(sample_price_usd__isnull=True) | Q(sample_price_usd__gt=0),
                name="sku_sample_price_positive",
            ),
            models.CheckConstraint(
                condition=Q(sample_limit_per_buyer__gte=1), name="sku_sample_limit_min"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def variant(self) -> str:
        return localized(self.variant_en, self.variant_zh_hans)

    @property
    def label(self) -> str:
        """The product and this variant, in the reader's language (one query for the product
        unless it is already loaded)."""
        return listing_label(self.product.title, self.variant)

    def clean(self) -> None:
        error = moq_error(moq=self.moq, case_pack=self.case_pack)
        if error:
            raise ValidationError({"moq": error})


def moq_error(*, moq: int | None, case_pack: int | None) -> str:
    """What is wrong with a MOQ for this case pack ("" when nothing): the MOQ is a whole number
    of case packs. Checked by ``SKU.clean`` and by the spreadsheet import for its rows."""
    if moq and case_pack and moq % case_pack:
        return _("The MOQ must be a whole number of case packs (a multiple of %(pack)s).") % {
            "pack": case_pack
        }
    return ""


class PriceTier(models.Model):
    """A quantity break: from ``min_quantity`` units, each costs ``unit_price_usd``.

    The rules across a SKU's tiers (the first at the MOQ, prices strictly falling) are checked
    by ``catalog.services.price_tiers_set``, which replaces a SKU's tiers as a whole."""

    sku = models.ForeignKey(
        SKU, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("SKU")
    )
    min_quantity = models.PositiveIntegerField(
        _("from quantity"), validators=[MinValueValidator(1)]
    )
    unit_price_usd = models.DecimalField(
        _("unit price (USD)"), **MONEY, validators=[MinValueValidator(CENT)]
    )

    class Meta:
        verbose_name = _("price tier")
        verbose_name_plural = _("price tiers")
        ordering = ["sku_id", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "min_quantity"], name="tier_unique_quantity"),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="tier_quantity_min"),
            models.CheckConstraint(condition=Q(unit_price_usd__gt=0), name="tier_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.min_quantity}+ @ {self.unit_price_usd} USD"


class Inventory(models.Model):
    """Stock of one SKU: one row per SKU, so the orders app locks exactly that row
    (``select_for_update`` ordered by ``sku_id``, through ``catalog.stock``) to reserve.
    ``Inventory.objects.public()``: the stock rows of public listings (what buyers see)."""

    sku = models.OneToOneField(
        SKU,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="inventory",
        verbose_name=_("SKU"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    on_hand = models.PositiveIntegerField(_("on hand"), default=0)
    reserved = models.PositiveIntegerField(_("reserved"), default=0)
    low_stock_threshold = models.PositiveIntegerField(
        _("low-stock threshold"),
        default=0,
        help_text=_("We alert you when the stock available falls to this level."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartyManager.of(
        "organization", operators=True, public=public_listing("sku__product__")
    )

    class Meta:
        verbose_name = _("inventory")
        verbose_name_plural = _("inventory")
        constraints = [
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_on_hand_min"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="inventory_reserved_min"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="inventory_reserved_le_on_hand"
            ),
        ]
        # No index of its own on the organisation: the foreign key has one (a second, identical
        # one was kept up to date by every stock write for nothing).

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.on_hand} on hand, {self.reserved} reserved"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return self.available <= self.low_stock_threshold


class LedgerReason(models.TextChoices):
    COUNT = "count", _("Stock count")
    RECEIVED = "received", _("Goods received")
    DAMAGED = "damaged", _("Damaged or lost")
    CORRECTION = "correction", _("Correction")
    IMPORT = "import", _("Spreadsheet import")
    RESERVED = "reserved", _("Reserved for an order")
    RELEASED = "released", _("Reservation released")
    SHIPPED = "shipped", _("Shipped")


class InventoryLedger(models.Model):
    """One change of a SKU's stock: who, why, and the figures before and after."""

    # The ledger is append-only, read only per SKU (ledger_sku_time), and a bulk stock call
    # writes 10,000 rows at once: the database checks only the SKU key (organisation and actor
    # follow from it and from the service) and keeps one index besides the primary key, which
    # more than halves the cost of such a call. Django still applies on_delete to all three.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="ledger", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    reason = models.CharField(_("reason"), max_length=12, choices=LedgerReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    on_hand_before = models.PositiveIntegerField()
    on_hand_after = models.PositiveIntegerField()
    reserved_before = models.PositiveIntegerField()
    reserved_after = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("stock ledger entry")
        verbose_name_plural = _("stock ledger")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["sku", "-created_at"], name="ledger_sku_time")]

    def __str__(self) -> str:
        return f"{self.sku_id} {self.reason}: {self.on_hand_before} → {self.on_hand_after}"


def _image_path(instance: ProductImage, filename: str) -> str:
    # Generated names: nothing of the uploaded name reaches the disk.
    return f"products/{instance.organization_id}/{uuid.uuid4().hex}.jpg"


class ProductImage(models.Model):
    """A product photo, re-encoded as JPEG at upload, with a thumbnail. Served by
    ``catalog.views.product_image``; ``ProductImage.objects.public()`` holds the photos of
    public listings, which anyone may see and cache."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.FileField(_("image"), upload_to=_image_path, max_length=200)
    thumbnail = models.FileField(upload_to=_image_path, max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    alt_text = models.CharField(_("description of the image"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # 64-bit difference hash of the picture (listing_rules.image_dhash): copies of a protected
    # brand's photos are found by Hamming distance.
    dhash = models.BigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", operators=True, public=public_listing("product__"))

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["product_id", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.product_id} #{self.position}"


def _import_path(instance: ImportJob, filename: str) -> str:
    return f"catalog-imports/{instance.organization_id}/{uuid.uuid4().hex}"


class ImportJob(models.Model):
    """A spreadsheet of products and stock, imported by a Celery task with its progress and a
    per-row error report."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        RUNNING = "running", _("Importing")
        SUCCEEDED = "succeeded", _("Imported")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(storage=private_storage, upload_to=_import_path, max_length=200)
    original_name = models.CharField(max_length=200)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    all_or_nothing = models.BooleanField(
        _("all or nothing"),
        default=True,
        help_text=_("Import nothing if any row has an error."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    row_errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of("organization")

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=F("total_rows")), name="importjob_progress_le_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


# --- Brand protection ------------------------------------------------------------------------
# The brand registry, listing reports and appeals are moderation's (moderation.models). Migration
# 0003, which made their tables, names these upload paths, so they stay importable here.


def _brand_evidence_path(instance: models.Model, filename: str) -> str:
    return f"brand-evidence/{instance.owner_id}/{uuid.uuid4().hex}"  # type: ignore[attr-defined]


def _report_evidence_path(instance: models.Model, filename: str) -> str:
    return f"report-evidence/{instance.product_id}/{uuid.uuid4().hex}"  # type: ignore[attr-defined]


# --- Buyer price lists -------------------------------------------------------------------------


class PriceList(models.Model):
    """A merchant's own prices for one buyer organisation, valid from one day to another (or
    open-ended): a discount off the public tiers on chosen products, or the products' own
    tiers. Only the merchant and that buyer see it; checkout, the API and the merchant's order
    pages use it. Where a buyer holds several lists in force for one product, the lowest price
    wins."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    buyer = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    name = models.CharField(_("name"), max_length=100)
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("99.99"))],
        help_text=_("Off the public tiers, for the products without their own tiers here."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartyManager.of("organization", "buyer", operators=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["-valid_from", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="pricelist_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__isnull=True)
                | (Q(discount_percent__gt=0) & Q(discount_percent__lt=100)),
                name="pricelist_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriceListEntry(models.Model):
    """A product on a price list: its own discount, or (with ``tiers``) its SKUs' own tiers."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("99.99"))],
    )

    objects = PartyManager.of("organization", "buyer", operators=True)

    class Meta:
        verbose_name = _("price list product")
        verbose_name_plural = _("price list products")
        ordering = ["price_list_id", "product_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product"], name="pricelistentry_one_per_product"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__isnull=True)
                | (Q(discount_percent__gt=0) & Q(discount_percent__lt=100)),
                name="pricelistentry_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.price_list_id}: {self.product_id}"


class PriceListTier(models.Model):
    """The buyer's own quantity break for one SKU of a price-list product."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    buyer = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(PriceListEntry, on_delete=models.CASCADE, related_name="tiers")
    sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="+", verbose_name=_("SKU"))
    min_quantity = models.PositiveIntegerField(
        _("from quantity"), validators=[MinValueValidator(1)]
    )
    unit_price_usd = models.DecimalField(
        _("unit price (USD)"), **MONEY, validators=[MinValueValidator(CENT)]
    )

    objects = PartyManager.of("organization", "buyer", operators=True)

    class Meta:
        verbose_name = _("price list tier")
        verbose_name_plural = _("price list tiers")
        ordering = ["entry_id", "sku_id", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "sku", "min_quantity"], name="pricelisttier_unique_quantity"
            ),
            models.CheckConstraint(
                condition=Q(unit_price_usd__gt=0), name="pricelisttier_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.min_quantity}+ @ {self.unit_price_usd} USD"


# --- China tariff lines and landed cost --------------------------------------------------------


class TariffLine(models.Model):
    """One line of the operators' China import tariff table, in force from ``effective_from``
    until a newer row for the same code. Public reference data: the landed-cost estimate shown
    to every buyer reads it."""

    code = models.CharField(
        _("China tariff code"),
        max_length=8,
        validators=[RegexValidator(r"^\d{8}$", _("Enter the 8-digit Chinese tariff code."))],
    )
    hs6 = models.CharField(
        _("HS-6 heading"),
        max_length=6,
        validators=[RegexValidator(r"^\d{6}$", _("Enter the 6-digit HS code."))],
    )
    description_en = models.CharField(_("description (English)"), max_length=200)
    description_zh_hans = models.CharField(
        _("description (Simplified Chinese)"), max_length=200, blank=True
    )
    mfn_duty_percent = models.DecimalField(
        _("MFN duty (%)"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)]
    )
    additional_duty_percent = models.DecimalField(
        _("additional duty on US-origin goods (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    consumption_tax_percent = models.DecimalField(
        _("consumption tax (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(Decimal("99.99"))],
    )
    vat_percent = models.DecimalField(
        _("VAT (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    cross_border_positive_list = models.BooleanField(
        _("on the cross-border e-commerce positive list"), default=False
    )
    effective_from = models.DateField(_("effective from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("China tariff line")
        verbose_name_plural = _("China tariff lines")
        ordering = ["code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "effective_from"], name="tariffline_one_per_code_and_day"
            ),
            models.CheckConstraint(
                condition=Q(mfn_duty_percent__gte=0)
                & Q(additional_duty_percent__gte=0)
                & Q(consumption_tax_percent__gte=0)
                & Q(consumption_tax_percent__lt=100)
                & Q(vat_percent__gte=0),
                name="tariffline_rates_in_range",
            ),
        ]
        indexes = [models.Index(fields=["hs6"], name="tariffline_hs6")]

    def __str__(self) -> str:
        return f"{self.code} ({self.effective_from})"

    @property
    def description(self) -> str:
        return localized(self.description_en, self.description_zh_hans)
