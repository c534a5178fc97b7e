"""Brand protection: the brand registry and its reseller authorisations, reports against
listings (and the automatic reviews of the listing rules), and the merchant's appeal of a
takedown.

Every row names its parties (see network.tenancy): a brand its owner, an authorisation its
reseller and the brand's owner, a report its reporter's organisation and the listed merchant, an
appeal its merchant; the network's operators see them all. Verified brands are public (the
listing rules name them to any merchant). The tables were made by the catalogue's migrations and
keep their names."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product, localized
from network.models import Organization
from network.storage import private_storage
from network.tenancy import PartyManager


class TrademarkOffice(models.TextChoices):
    USPTO = "USPTO", _("United States Patent and Trademark Office (USPTO)")
    CNIPA = "CNIPA", _("China National Intellectual Property Administration (CNIPA)")
    EUIPO = "EUIPO", _("European Union Intellectual Property Office (EUIPO)")
    UKIPO = "UKIPO", _("UK Intellectual Property Office (UKIPO)")
    JPO = "JPO", _("Japan Patent Office (JPO)")
    WIPO = "WIPO", _("WIPO international registration (Madrid)")


def _brand_evidence_path(instance: Brand, filename: str) -> str:
    return f"brand-evidence/{instance.owner_id}/{uuid.uuid4().hex}"


class Brand(models.Model):
    """A brand in the registry, owned by a merchant. Once an operator has verified the
    trademark registration against the evidence, the brand is protected: only its owner and
    the resellers it authorises may list products under it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    owner = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="brands", verbose_name=_("owner")
    )
    name = models.CharField(_("brand"), max_length=120)
    trademark_number = models.CharField(
        _("trademark registration number"),
        max_length=20,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9-]{5,20}$",
                _("Enter the registration number as it appears on the certificate."),
            )
        ],
    )
    trademark_office = models.CharField(
        _("trademark office"),
        max_length=5,
        choices=TrademarkOffice.choices,
        default=TrademarkOffice.USPTO,
    )
    evidence = models.FileField(
        _("registration certificate"),
        storage=private_storage,
        upload_to=_brand_evidence_path,
        max_length=200,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decision_note = models.TextField(_("operator's note"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered"), default=timezone.now)

    objects = PartyManager.of("owner", operators=True, public=Q(status="verified"))

    class Meta:
        db_table = "catalog_brand"
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="brand_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_protected(self) -> bool:
        return self.status == self.Status.VERIFIED


class BrandGrant(models.Model):
    """The brand owner's authorisation of a reseller to list the brand, until ``expires_at``.

    Public rows: the unrevoked authorisations of verified brands — who may sell a protected
    brand is what the listing rules check for every merchant's listing."""

    brand = models.ForeignKey(
        Brand, on_delete=models.CASCADE, related_name="grants", verbose_name=_("brand")
    )
    reseller = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="brand_grants",
        verbose_name=_("authorised reseller"),
    )
    expires_at = models.DateTimeField(_("expires"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("granted"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = PartyManager.of(
        "reseller",
        "brand__owner",
        operators=True,
        public=Q(revoked_at__isnull=True, brand__status="verified"),
    )

    class Meta:
        db_table = "catalog_brandgrant"
        verbose_name = _("brand authorisation")
        verbose_name_plural = _("brand authorisations")
        ordering = ["brand_id", "-expires_at"]
        indexes = [models.Index(fields=["reseller", "brand"], name="brandgrant_reseller")]

    def __str__(self) -> str:
        return f"{self.brand_id} → {self.reseller_id}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class ReportReason(models.TextChoices):
    COUNTERFEIT = "counterfeit", _("Counterfeit product")
    TRADEMARK = "trademark", _("Trademark misuse")
    COPIED = "copied", _("Copied images or text")
    UNSAFE = "unsafe", _("Unsafe product")


class ListingReportManager(PartyManager):
    def of_reporter(self, user) -> models.QuerySet[ListingReport]:
        """The reports ``user`` filed: the reporter is a party to a report as a person too
        (someone signed in without an organisation may report a listing)."""
        if not user.is_authenticated:
            return self.none()
        return self._unguarded().filter(reporter=user)


def _report_evidence_path(instance: ListingReport, filename: str) -> str:
    return f"report-evidence/{instance.product_id}/{uuid.uuid4().hex}"


class ListingReport(models.Model):
    """A report against a listing (from a buyer, a brand owner or anyone signed in), or an
    automatic review when the listing rules held a listing back. Seen only by its reporter and
    the network's operators; the listing as it was when reported is kept in ``snapshot``."""

    class Source(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        BRAND_OWNER = "brand_owner", _("Brand owner")
        PUBLIC = "public", _("Member of the public")
        AUTOMATIC = "automatic", _("Listing rules")
        OPERATOR = "operator", _("Network operator")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        INFO_REQUESTED = "info_requested", _("More information requested")
        TAKEN_DOWN = "taken_down", _("Listing taken down")
        DISMISSED = "dismissed", _("Dismissed")

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="reports", verbose_name=_("listing")
    )
    merchant = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="listing_reports",
        verbose_name=_("reporter"),
    )
    reporter_organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    reason = models.CharField(_("reason"), max_length=12, choices=ReportReason.choices)
    details = models.TextField(_("details"), blank=True)
    evidence = models.FileField(
        _("evidence"),
        storage=private_storage,
        upload_to=_report_evidence_path,
        max_length=200,
        blank=True,
    )
    evidence_name = models.CharField(max_length=200, blank=True)
    matched_brand = models.ForeignKey(
        Brand, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    snapshot = models.JSONField(_("listing when reported"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    strike = models.ForeignKey(
        "merchants.Strike", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("reported"), default=timezone.now)

    objects = ListingReportManager.of("reporter_organization", "merchant", operators=True)

    class Meta:
        db_table = "catalog_listingreport"
        verbose_name = _("listing report")
        verbose_name_plural = _("listing reports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="report_status_time"),
            models.Index(fields=["reporter", "-created_at"], name="report_reporter"),
            models.Index(fields=["product", "status"], name="report_product"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "info_requested"]) | Q(decided_at__isnull=False),
                name="report_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_reason_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.INFO_REQUESTED)

    @property
    def listing_title(self) -> str:
        """The listing's title when it was reported, in the reader's language."""
        return localized(self.snapshot.get("title_en", ""), self.snapshot.get("title_zh_hans", ""))


class Appeal(models.Model):
    """The merchant's one appeal against a takedown, decided by an operator other than the one
    who took the listing down."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        UPHELD = "upheld", _("Takedown upheld")
        OVERTURNED = "overturned", _("Takedown overturned")

    report = models.OneToOneField(
        ListingReport, on_delete=models.CASCADE, related_name="appeal", verbose_name=_("report")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    statement = models.TextField(_("why the takedown is wrong"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("filed"), default=timezone.now)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        db_table = "catalog_appeal"
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"appeal of report #{self.report_id}"
