"""The merchant registry: applications to join, their documents and review, strikes."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from localflavor.us.models import USStateField, USZipCodeField
from phonenumber_field.modelfields import PhoneNumberField

from merchants.us_states import state_name
from network.models import Organization
from network.storage import private_storage
from network.tenancy import PartyManager

EIN_VALIDATOR = RegexValidator(
    r"^\d{2}-\d{7}$", _("Enter the EIN as NN-NNNNNNN, for example 12-3456789.")
)
# Prefixes the IRS has never assigned; an EIN starting with one of these is a typo or a fake.
INVALID_EIN_PREFIXES = {
    "00",
    "07",
    "08",
    "09",
    "17",
    "18",
    "19",
    "28",
    "29",
    "49",
    "69",
    "70",
    "78",
    "79",
    "89",
    "96",
    "97",
}


class ProductCategory(models.TextChoices):
    FOOD = "food", _("Food and beverages")
    HEALTH = "health", _("Vitamins and supplements")
    BEAUTY = "beauty", _("Beauty and personal care")
    BABY = "baby", _("Baby and kids")
    OUTDOOR = "outdoor", _("Outdoor and sports")
    APPAREL = "apparel", _("Apparel and accessories")
    HOME = "home", _("Home and kitchen")
    PET = "pet", _("Pet supplies")
    ELECTRONICS = "electronics", _("Consumer electronics")
    TOOLS = "tools", _("Tools and hardware")


class EmployeeBand(models.TextChoices):
    MICRO = "1-9", _("1–9")
    SMALL = "10-49", _("10–49")
    MEDIUM = "50-249", _("50–249")
    LARGE = "250-999", _("250–999")
    ENTERPRISE = "1000+", _("1,000 or more")


class RevenueBand(models.TextChoices):
    UNDER_1M = "<1m", _("Under $1 million")
    UNDER_10M = "1-10m", _("$1–10 million")
    UNDER_50M = "10-50m", _("$10–50 million")
    UNDER_250M = "50-250m", _("$50–250 million")
    OVER_250M = "250m+", _("Over $250 million")


class ExportExperience(models.TextChoices):
    NONE = "none", _("None yet")
    SOME = "some", _("Some export sales")
    CHINA = "china", _("Already export to China")


class Fulfilment(models.TextChoices):
    OWN = "own", _("Own warehouse")
    THIRD_PARTY = "3pl", _("Third-party logistics (3PL)")


class Badge(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    SEMINAR_GRADUATE = "seminar_graduate", _("Seminar graduate")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


class MerchantApplication(models.Model):
    """One merchant organisation's application to join, and later its standing in the network.

    The status is the state machine of ``merchants.services``; only an approved (not suspended)
    merchant may list products, take orders or book space."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="merchant_application"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        db_index=True,
    )
    # Company
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    dba = models.CharField(_("doing business as"), max_length=200, blank=True)
    ein = models.CharField(
        _("EIN"),
        max_length=10,
        blank=True,
        validators=[EIN_VALIDATOR],
        help_text=_("Employer Identification Number, NN-NNNNNNN."),
    )
    state_of_incorporation = USStateField(_("state of incorporation"), blank=True)
    address_line1 = models.CharField(_("street address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = USStateField(_("state"), blank=True)
    postal_code = USZipCodeField(_("ZIP code"), blank=True)
    website = models.URLField(_("website"), blank=True)
    # Contact
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_phone = PhoneNumberField(_("contact phone"), blank=True, region="US")
    # Business
    year_founded = models.PositiveSmallIntegerField(
        _("year founded"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1776), MaxValueValidator(2100)],
    )
    employee_band = models.CharField(
        _("employees"), max_length=10, blank=True, choices=EmployeeBand.choices
    )
    revenue_band = models.CharField(
        _("annual revenue"), max_length=10, blank=True, choices=RevenueBand.choices
    )
    categories = ArrayField(
        models.CharField(max_length=20, choices=ProductCategory.choices),
        verbose_name=_("product categories"),
        default=list,
        blank=True,
    )
    export_experience = models.CharField(
        _("export experience"), max_length=10, blank=True, choices=ExportExperience.choices
    )
    fulfilment = models.CharField(
        _("fulfilment"), max_length=5, blank=True, choices=Fulfilment.choices
    )
    fulfilment_address = models.TextField(_("fulfilment address"), blank=True)
    # Review
    check_identity = models.BooleanField(_("identity verified"), default=False)
    check_ein = models.BooleanField(_("EIN verified"), default=False)
    check_documents = models.BooleanField(_("documents valid"), default=False)
    check_brands = models.BooleanField(_("brand claims checked"), default=False)
    check_categories = models.BooleanField(_("categories allowed"), default=False)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_reason = models.TextField(_("reason given to the applicant"), blank=True)
    suspension_reason = models.TextField(_("suspension reason"), blank=True)
    badges = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    submission_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    # Anyone may read an approved merchant's profile (the public directory); a suspended or
    # undecided one is its own and the operators' only.
    objects = PartyManager.of(
        "organization", operators=True, public=Q(status=ApplicationStatus.APPROVED)
    )

    CHECKLIST = [
        "check_identity",
        "check_ein",
        "check_documents",
        "check_brands",
        "check_categories",
    ]

    class Meta:
        verbose_name = _("merchant application")
        verbose_name_plural = _("merchant applications")
        ordering = ["submitted_at", "pk"]

    def __str__(self) -> str:
        return self.legal_name or self.organization.name

    @property
    def display_name(self) -> str:
        return self.dba or self.legal_name or self.organization.name

    # The state fields' own choices (localflavor's) are sorted by translated name each time
    # they are read, tens of milliseconds per label: our table is read directly instead.
    def get_state_display(self) -> str:
        return state_name(self.state)

    def get_state_of_incorporation_display(self) -> str:
        return state_name(self.state_of_incorporation)

    @property
    def category_labels(self) -> list[str]:
        return [ProductCategory(c).label for c in self.categories if c in ProductCategory.values]

    @property
    def badge_labels(self) -> list[str]:
        return [Badge(b).label for b in self.badges if b in Badge.values]

    @property
    def can_trade(self) -> bool:
        return self.status == ApplicationStatus.APPROVED

    @property
    def checklist_complete(self) -> bool:
        return all(getattr(self, name) for name in self.CHECKLIST)

    @property
    def waiting_since(self):
        return self.submitted_at

    def review_overdue(self, now=None) -> bool:
        if self.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW):
            return False
        now = now or timezone.now()
        return bool(self.submitted_at) and now - self.submitted_at > timedelta(
            days=settings.MERCHANT_REVIEW_TARGET_DAYS
        )


class BrandClaim(models.Model):
    """A brand the merchant owns or is authorised to sell, with its trademark registration."""

    class Relationship(models.TextChoices):
        OWNER = "owner", _("We own this brand")
        AUTHORISED = "authorised", _("We are an authorised reseller")

    application = models.ForeignKey(
        MerchantApplication, on_delete=models.CASCADE, related_name="brands"
    )
    name = models.CharField(_("brand"), max_length=120)
    relationship = models.CharField(_("relationship"), max_length=12, choices=Relationship.choices)
    trademark_number = models.CharField(
        _("trademark registration number"),
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(r"^\d{7,8}$", _("A USPTO registration number has 7 or 8 digits."))
        ],
    )

    # An approved merchant's brands show on its public profile.
    objects = PartyManager.of(
        "application__organization",
        operators=True,
        public=Q(application__status=ApplicationStatus.APPROVED),
    )

    class Meta:
        verbose_name = _("brand claim")
        verbose_name_plural = _("brand claims")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["application", "name"], name="brandclaim_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The operators check an owned brand against its USPTO registration; without the
        # number there is nothing to check, so the claim is refused rather than left to the
        # submission check.
        if (
            self.relationship == self.Relationship.OWNER
            and not (self.trademark_number or "").strip()
        ):
            raise ValidationError(
                {
                    "trademark_number": _(
                        "A brand you own needs its USPTO registration number (7 or 8 digits)."
                    )
                }
            )


def _document_path(instance: MerchantDocument, filename: str) -> str:
    # The stored name says nothing of the uploaded one: no path tricks, no guessable URLs.
    return f"merchant-documents/{instance.application.organization_id}/{uuid.uuid4().hex}"


class MerchantDocument(models.Model):
    """An uploaded KYC document, kept in private storage and served only to its organisation
    and to operators."""

    class Kind(models.TextChoices):
        REGISTRATION = "registration", _("Business registration")
        W9 = "w9", _("W-9 form")
        INSURANCE = "insurance", _("Product liability insurance")
        BRAND_AUTHORISATION = "brand_letter", _("Brand authorisation letter")

    REQUIRED_KINDS = [Kind.REGISTRATION, Kind.W9, Kind.INSURANCE]

    application = models.ForeignKey(
        MerchantApplication, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=_document_path, storage=private_storage, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("application__organization", operators=True)

    class Meta:
        verbose_name = _("merchant document")
        verbose_name_plural = _("merchant documents")
        ordering = ["kind", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ReviewNote(models.Model):
    """An operator's internal note on an application; never shown to the applicant."""

    application = models.ForeignKey(
        MerchantApplication, on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of(operators=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class Strike(models.Model):
    """A strike against a merchant (from a takedown). Active strikes count towards suspension."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="strikes")
    reason = models.TextField(_("reason"))
    source = models.CharField(
        _("source"),
        max_length=100,
        blank=True,
        help_text=_("What caused it, e.g. a takedown's reference."),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("strike")
        verbose_name_plural = _("strikes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.organization}: {self.reason[:40]}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
