"""Brand protection and counterfeit policing: the brand registry and its authorisations, the
listing rules applied when a product is published (protected brand, look-alike title, copied
photo), reports against listings, the operators' moderation queue, takedowns with strikes, and
the merchant's one appeal.

Writes follow the catalogue's rules (one transaction, a permission check, a domain error with a
clear message, an audit record); the reads the pages need are at the end of the module."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from PIL import Image

from catalog.errors import (
    BrandNotAuthorised,
    BrandRejected,
    CatalogPermissionDenied,
    ModerationRefused,
    ReportRejected,
)
from catalog.models import (
    Appeal,
    Brand,
    BrandGrant,
    ListingReport,
    ListingState,
    Product,
    ProductImage,
    ReportReason,
    localized_lazy,
)
from merchants.models import Strike
from network.cache import products_changed
from network.models import Membership, Organization, Role, User
from network.selectors import user_is_operator
from network.services import audit, notification_send

# A title whose words resemble a protected brand's name from settings.BRAND_SIMILARITY_THRESHOLD
# (trigram similarity, 0..1, see brand_resemblance) is held for review; below this it is not
# even a candidate. Photos within settings.BRAND_IMAGE_MATCH_BITS bits are the same picture.
CANDIDATE_THRESHOLD = 0.3
EVIDENCE_MAX_BYTES = 10 * 2**20


# --- Perceptual hash ---------------------------------------------------------------------------


def image_dhash(data: bytes) -> int:
    """The 64-bit difference hash of an image: shrink to 9×8 grey pixels and record whether
    each pixel is brighter than its right neighbour. Returned as a signed 64-bit integer (a
    PostgreSQL bigint)."""
    with Image.open(io.BytesIO(data)) as image:
        grey = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
        pixels = list(grey.getdata())
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return bits - (1 << 64) if bits >= 1 << 63 else bits


def hamming(a: int, b: int) -> int:
    return bin((a ^ b) & 0xFFFFFFFFFFFFFFFF).count("1")


# --- Who may act -------------------------------------------------------------------------------


def _membership(organization: Organization, user: User) -> Membership | None:
    return Membership.objects.filter(organization=organization, user=user).first()


def _require_member(organization: Organization, user: User, role: str = Role.ADMIN) -> None:
    membership = _membership(organization, user)
    if membership is None or not membership.has_role(role):
        raise CatalogPermissionDenied(
            _("Your role in %(org)s does not allow this.") % {"org": organization.name}
        )


def _require_operator(user: User) -> None:
    if not user_is_operator(user):
        raise CatalogPermissionDenied(_("Only network operators can do this."))


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason; it is kept on record.")})
    return reason


def _normalise(name: str) -> str:
    return re.sub(r"\s+", " ", (name or "").strip()).lower()


# --- Brand registry ----------------------------------------------------------------------------


@transaction.atomic
def brand_register(
    *,
    organization: Organization,
    name: str,
    trademark_number: str,
    trademark_office: str,
    evidence=None,
    acting_user: User,
) -> Brand:
    """Register a brand the merchant owns; it is protected once an operator verifies it.
    Raises BrandRejected when the name is already in the registry."""
    if organization.kind != Organization.Kind.MERCHANT:
        raise CatalogPermissionDenied(_("Only merchants register brands."))
    _require_member(organization, acting_user)
    name = re.sub(r"\s+", " ", (name or "").strip())
    if Brand.objects.filter(name__iexact=name).exists():
        raise BrandRejected(
            _("%(name)s is already in the brand registry. If it is yours, contact the operators.")
            % {"name": name}
        )
    brand = Brand(
        owner=organization,
        name=name,
        trademark_number=(trademark_number or "").strip(),
        trademark_office=trademark_office,
    )
    if evidence is not None:
        _check_evidence(evidence)
        brand.evidence.save("evidence", evidence, save=False)
    brand.full_clean()
    brand.save()
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
    evidence=None,
    acting_user: User,
) -> Brand:
    """The owner corrects a brand's name, trademark registration or certificate (``evidence``
    None keeps the current one). These are what an operator verified, so a verified or rejected
    brand whose data changes goes back to verification: the protection rests on the
    registration an operator checked, and a renamed brand or a new number is not protected
    until it is checked again. Raises BrandRejected when the new name is another brand's."""
    _require_member(brand.owner, acting_user)
    brand = Brand.objects.select_for_update().get(pk=brand.pk)
    name = re.sub(r"\s+", " ", (name or "").strip())
    if Brand.objects.filter(name__iexact=name).exclude(pk=brand.pk).exists():
        raise BrandRejected(
            _("%(name)s is already in the brand registry. If it is yours, contact the operators.")
            % {"name": name}
        )
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
    brand.full_clean()
    if brand.status != Brand.Status.PENDING:
        changes["status"] = [brand.status, Brand.Status.PENDING]
        brand.status = Brand.Status.PENDING
        brand.decision_note = ""
        brand.verified_by = None
        brand.verified_at = None
    brand.save()
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
    _require_operator(acting_user)
    brand = Brand.objects.select_for_update().get(pk=brand.pk)
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
    _require_member(brand.owner, acting_user)
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
    _require_member(grant.brand.owner, acting_user)
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
    owned = Brand.objects.filter(owner=organization).values_list("pk", flat=True)
    granted = BrandGrant.objects.filter(
        reseller=organization, revoked_at__isnull=True, expires_at__gt=now
    ).values_list("brand_id", flat=True)
    return set(owned) | set(granted)


# --- Listing rules -----------------------------------------------------------------------------


@dataclass
class ListingFlag:
    """A reason to hold a listing for an operator's review."""

    reason: str
    brand: Brand
    details: str


@dataclass
class ListingCheck:
    flags: list[ListingFlag] = field(default_factory=list)


def protected_brand_named(name: str) -> Brand | None:
    if not name.strip():
        return None
    return (
        Brand.objects.annotate(key=Lower("name"))
        .filter(status=Brand.Status.VERIFIED, key=_normalise(name))
        .first()
    )


_WORD = re.compile(r"[0-9a-z\u3400-\u9fff]+")


def _words(text: str) -> list[str]:
    return _WORD.findall((text or "").lower().replace("'", "").replace("\u2019", ""))


def _trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in _words(text):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of the two texts."""
    left, right = _trigrams(a), _trigrams(b)
    union = left | right
    return len(left & right) / len(union) if union else 0.0


def brand_resemblance(brand_name: str, text: str) -> float:
    """How closely some words of ``text`` resemble the brand name (0..1): the best trigram
    similarity between the name and every run of as many words in the text, also with the
    spaces taken out ("GreatLakes", "Great-Lakes"). Comparing runs of the name's length keeps
    a shared common word ("Great Plains" for "Great Lakes") below the threshold."""
    name_words, words = _words(brand_name), _words(text)
    if not name_words or not words:
        return 0.0
    n, joined = len(name_words), "".join(name_words)
    best = 0.0
    for size in sorted({n, max(1, n - 1), n + 1}):
        for start in range(max(1, len(words) - size + 1)):
            run = words[start : start + size]
            if size == n:
                best = max(best, trigram_similarity(" ".join(name_words), " ".join(run)))
            best = max(best, trigram_similarity(joined, "".join(run)))
    return best


def similar_protected_brands(text: str, *, exclude_ids: set[int]) -> list[tuple[Brand, float]]:
    """Verified brands whose name resembles words of ``text``, closest first. PostgreSQL's
    pg_trgm word_similarity() picks the candidates; ``brand_resemblance`` scores them."""
    if not _words(text):
        return []
    candidate = Func(
        Lower("name"),
        Value(" ".join(_words(text))),
        function="word_similarity",
        output_field=FloatField(),
    )
    brands = (
        Brand.objects.filter(status=Brand.Status.VERIFIED)
        .exclude(pk__in=exclude_ids)
        .annotate(candidate=candidate)
        .filter(candidate__gte=CANDIDATE_THRESHOLD)
    )
    scored = [(brand, brand_resemblance(brand.name, text)) for brand in brands]
    return sorted(
        [(brand, score) for brand, score in scored if score >= settings.BRAND_SIMILARITY_THRESHOLD],
        key=lambda pair: -pair[1],
    )


def _protected_listing_images(hashes: list[int], *, organization: Organization):
    """Images of other merchants' listings under a protected brand (by its owner or an
    authorised reseller) within settings.BRAND_IMAGE_MATCH_BITS of one of ``hashes``: (image,
    brand) pairs."""
    if not hashes:
        return []
    now = timezone.now()
    verified = {
        _normalise(b.name): b
        for b in Brand.objects.filter(status=Brand.Status.VERIFIED).prefetch_related(
            Prefetch(
                "grants",
                queryset=BrandGrant.objects.filter(revoked_at__isnull=True, expires_at__gt=now),
            )
        )
    }
    if not verified:
        return []
    matches = []
    with scopes_disabled():
        for value in hashes:
            distance = Func(
                Func(F("dhash").bitxor(Value(value)), template="(%(expressions)s)::bit(64)"),
                function="bit_count",
                output_field=IntegerField(),
            )
            candidates = (
                ProductImage.objects.filter(
                    dhash__isnull=False,
                    product__state=ListingState.ACTIVE,
                )
                .exclude(organization=organization)
                .annotate(brand_key=Lower("product__brand"), distance=distance)
                .filter(brand_key__in=list(verified), distance__lte=settings.BRAND_IMAGE_MATCH_BITS)
                .select_related("product")
            )
            for image in candidates:
                brand = verified[image.brand_key]
                allowed = {brand.owner_id} | {g.reseller_id for g in brand.grants.all()}
                if image.organization_id in allowed:
                    matches.append((image, brand))
    return matches


def brand_authorisation_check(brand_name: str, *, authorised: set[int]) -> None:
    """Raise BrandNotAuthorised when ``brand_name`` is a protected brand whose id is not in
    ``authorised`` (the brands the merchant owns or resells)."""
    brand = protected_brand_named(brand_name)
    if brand is not None and brand.pk not in authorised:
        raise BrandNotAuthorised(
            _(
                "%(brand)s is a protected brand: only its owner and the resellers it authorises "
                "may list it. Ask the brand owner for an authorisation, or correct the brand."
            )
            % {"brand": brand.name},
            brand=brand.name,
        )


def listing_check(product: Product) -> ListingCheck:
    """Apply the listing rules to a product about to be published.

    Raises BrandNotAuthorised when its brand is protected and its merchant is neither the owner
    nor an authorised reseller; returns the reasons to hold it for review otherwise (a title
    resembling a protected brand, a photo copied from a protected brand's listing)."""
    organization = product.organization
    authorised = authorised_brand_ids(organization)
    brand_authorisation_check(product.brand, authorised=authorised)
    check = ListingCheck()
    text = " ".join(part for part in (product.title_en, product.brand) if part)
    for similar, score in similar_protected_brands(text, exclude_ids=authorised):
        check.flags.append(
            ListingFlag(
                reason=ReportReason.TRADEMARK,
                brand=similar,
                details=_("The title resembles the protected brand %(brand)s (similarity %(s)s).")
                % {"brand": similar.name, "s": f"{score:.2f}"},
            )
        )
    with scopes_disabled():
        hashes = list(
            ProductImage.objects.filter(product=product, dhash__isnull=False).values_list(
                "dhash", flat=True
            )
        )
    seen: set[int] = set()
    for image, matched in _protected_listing_images(hashes, organization=organization):
        if matched.pk in seen or matched.pk in authorised:
            continue
        seen.add(matched.pk)
        check.flags.append(
            ListingFlag(
                reason=ReportReason.COPIED,
                brand=matched,
                details=_(
                    "A photo matches a photo of %(brand)s's listing %(reference)s by another "
                    "merchant."
                )
                % {"brand": matched.name, "reference": image.product.reference},
            )
        )
    # An operator already cleared this listing of exactly this concern: do not ask again.
    cleared = set(
        ListingReport.objects.filter(
            product=product,
            source=ListingReport.Source.AUTOMATIC,
            status=ListingReport.Status.DISMISSED,
        ).values_list("reason", "matched_brand_id")
    )
    check.flags = [f for f in check.flags if (f.reason, f.brand.pk) not in cleared]
    return check


def _snapshot(product: Product) -> dict:
    with scopes_disabled():
        image_ids = list(
            ProductImage.objects.filter(product=product)
            .order_by("position", "pk")
            .values_list("pk", flat=True)
        )
    return {
        "reference": product.reference,
        "title_en": product.title_en,
        "title_zh_hans": product.title_zh_hans,
        "brand": product.brand,
        "description_en": product.description_en,
        "state": product.state,
        "price_min_usd": str(product.price_min_usd or ""),
        "price_max_usd": str(product.price_max_usd or ""),
        "merchant": product.organization.name,
        "images": image_ids,
        "taken_at": timezone.now().isoformat(),
    }


# What the listing rules look at: a change to any of these re-checks an active listing.
LISTING_RULE_FIELDS = frozenset({"title_en", "brand", "images"})


def listing_rules_apply(
    *, product: Product, acting_user: User, changed: Iterable[str] | None = None
) -> bool:
    """The one place the brand rules run, inside the caller's transaction, after its write.

    ``changed=None`` is a publish: the rules always run. Otherwise ``changed`` names what an
    edit changed (product fields, ``"images"``); the rules run when the listing is active and
    one of LISTING_RULE_FIELDS changed. A protected brand without authorisation raises
    BrandNotAuthorised, so the caller's transaction writes nothing; a look-alike title or a
    copied photo moves the listing to In review with an automatic report. Returns True when
    the listing was held for review."""
    if changed is not None and (
        product.state != ListingState.ACTIVE or not LISTING_RULE_FIELDS.intersection(changed)
    ):
        return False
    return listing_hold_for_review(product=product, acting_user=acting_user)


def listing_hold_for_review(*, product: Product, acting_user: User) -> bool:
    """Apply the listing rules to a locked product (see ``listing_rules_apply``). Returns True
    when the product was held for review."""
    check = listing_check(product)
    if not check.flags:
        return False
    before = product.state
    product.state = ListingState.IN_REVIEW
    product.save(update_fields=["state", "updated_at"])
    snapshot = _snapshot(product)
    for flag in check.flags:
        ListingReport.objects.create(
            product=product,
            merchant=product.organization,
            source=ListingReport.Source.AUTOMATIC,
            reason=flag.reason,
            details=flag.details,
            matched_brand=flag.brand,
            snapshot=snapshot,
        )
    if before == ListingState.ACTIVE:
        products_changed([product.pk], browse=True)
    audit(
        actor=acting_user,
        organization=product.organization,
        action="product.held_for_review",
        target=product,
        changes={"state": [before, product.state], "flags": [f.details for f in check.flags]},
    )
    return True


# --- Reports -----------------------------------------------------------------------------------


def _check_evidence(upload) -> None:
    from merchants.errors import DocumentRejected
    from merchants.services import document_check

    if upload.size > EVIDENCE_MAX_BYTES:
        raise ReportRejected(_("The evidence file is larger than 10 MB."))
    try:
        document_check(upload)
    except DocumentRejected as error:
        raise ReportRejected(error.message) from None


def _report_source(product: Product, organization: Organization | None) -> str:
    if organization is not None:
        if organization.kind == Organization.Kind.BUYER:
            return ListingReport.Source.BUYER
        if Brand.objects.filter(owner=organization, status=Brand.Status.VERIFIED).exists():
            return ListingReport.Source.BRAND_OWNER
    return ListingReport.Source.PUBLIC


def _rate_limited(user: User) -> bool:
    key = f"catalog:reports:{user.pk}:{timezone.now():%Y%m%d%H}"
    cache.add(key, 0, timeout=3600)
    return cache.incr(key) > settings.LISTING_REPORTS_PER_HOUR


@transaction.atomic
def report_create(
    *,
    product: Product,
    reason: str,
    details: str = "",
    evidence=None,
    reporter_organization: Organization | None,
    acting_user: User,
) -> ListingReport:
    """Report a public listing. Anyone signed in may report (buyers, brand owners, the
    public); the merchant cannot report its own listing. Raises ReportRejected."""
    if not acting_user.is_authenticated:
        raise CatalogPermissionDenied(_("Sign in to report a listing."))
    if reason not in ReportReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    with scopes_disabled():
        product = Product.objects.select_related("organization").get(pk=product.pk)
    if (
        reporter_organization is not None and reporter_organization.pk == product.organization_id
    ) or Membership.objects.filter(organization=product.organization, user=acting_user).exists():
        raise ReportRejected(_("You cannot report your own organisation's listing."))
    if product.state != ListingState.ACTIVE:
        raise ReportRejected(_("This listing is not on sale; there is nothing to report."))
    if ListingReport.objects.filter(
        product=product,
        reporter=acting_user,
        status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED],
    ).exists():
        raise ReportRejected(
            _("You have already reported this listing; its status is on your reports page.")
        )
    if _rate_limited(acting_user):
        raise ReportRejected(
            _("You have sent %(n)s reports in the last hour; try again later.")
            % {"n": settings.LISTING_REPORTS_PER_HOUR}
        )
    report = ListingReport(
        product=product,
        merchant=product.organization,
        reporter=acting_user,
        reporter_organization=reporter_organization,
        source=_report_source(product, reporter_organization),
        reason=reason,
        details=(details or "").strip(),
        matched_brand=protected_brand_named(product.brand),
        snapshot=_snapshot(product),
    )
    if evidence is not None:
        _check_evidence(evidence)
        report.evidence_name = (getattr(evidence, "name", "") or "evidence")[:200]
        report.evidence.save("evidence", evidence, save=False)
    report.full_clean()
    report.save()
    audit(
        actor=acting_user,
        organization=reporter_organization,
        action="listing_report.created",
        target=report,
        changes={"product": product.pk, "reason": reason, "source": report.source},
    )
    return report


@transaction.atomic
def report_add_information(
    *, report: ListingReport, details: str, evidence=None, acting_user: User
) -> ListingReport:
    """The reporter answers an operator's request for information; the report is open again."""
    report = ListingReport.objects.select_for_update().get(pk=report.pk)
    if report.reporter_id != acting_user.pk:
        raise CatalogPermissionDenied(_("Only the reporter can add to this report."))
    if report.status != ListingReport.Status.INFO_REQUESTED:
        raise ModerationRefused(_("The operators have not asked for more information."))
    details = (details or "").strip()
    if not details and evidence is None:
        raise ValidationError({"details": _("Add the information the operators asked for.")})
    if details:
        # Part of the stored text, read in any zone: so in UTC, and saying so.
        stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
        report.details = f"{report.details}\n\n[{stamp}] {details}".strip()
    if evidence is not None:
        _check_evidence(evidence)
        report.evidence_name = (getattr(evidence, "name", "") or "evidence")[:200]
        report.evidence.save("evidence", evidence, save=False)
    report.status = ListingReport.Status.OPEN
    report.save()
    audit(
        actor=acting_user,
        organization=report.reporter_organization,
        action="listing_report.information_added",
        target=report,
    )
    return report


def _notify_reporter(report: ListingReport) -> None:
    if report.reporter is None:
        return
    notification_send(
        email=report.reporter.email,
        recipient=report.reporter,
        organization=report.reporter_organization,
        kind="catalog.report_decided",
        template="catalog/email/report_decided",
        context={
            "report": report.pk,
            "product": localized_lazy(
                report.snapshot.get("title_en", ""), report.snapshot.get("title_zh_hans", "")
            ),
            # A lazy label: rendered in the reporter's language, not the operator's.
            "status": ListingReport.Status(report.status).label,
            "reason": report.decision_reason,
        },
        link=settings.SITE_URL + reverse("catalog:report", args=[report.pk]),
    )


DECISIONS = ("take_down", "dismiss", "request_info")


@transaction.atomic
def report_decide(
    *, report: ListingReport, decision: str, reason: str, acting_user: User
) -> ListingReport:
    """Operators: decide an open report, with a reason on record.

    ``take_down`` hides the listing at once, tells the merchant and issues a strike (three
    active strikes within twelve months suspend the merchant); the listing's other open reports
    are closed with it. ``dismiss`` closes the report (a listing held by the rules is
    published). ``request_info`` asks the reporter for more."""
    from catalog.services import product_take_down
    from merchants.services import strike_issue

    _require_operator(acting_user)
    if decision not in DECISIONS:
        raise ModerationRefused(_("Unknown decision."))
    reason = _require_reason(reason)
    report = (
        ListingReport.objects.select_for_update(of=("self",))
        .select_related("product", "merchant", "reporter")
        .get(pk=report.pk)
    )
    if not report.is_open:
        raise ModerationRefused(_("This report is already decided."))
    if decision == "request_info" and report.reporter_id is None:
        raise ModerationRefused(_("The listing rules raised this review; there is nobody to ask."))
    now = timezone.now()
    before = report.status
    product = report.product
    if decision == "take_down":
        with scopes_disabled():
            current = Product.objects.get(pk=product.pk).state
        if current != ListingState.TAKEN_DOWN:
            product_take_down(product=product, reason=reason, acting_user=acting_user)
        report.strike = strike_issue(
            organization=report.merchant,
            reason=reason,
            source=f"listing-report:{report.pk}",
            acting_user=acting_user,
        )
        report.status = ListingReport.Status.TAKEN_DOWN
    elif decision == "dismiss":
        report.status = ListingReport.Status.DISMISSED
    else:
        report.status = ListingReport.Status.INFO_REQUESTED
    report.decision_reason = reason
    report.decided_by = acting_user
    report.decided_at = now if decision != "request_info" else None
    report.save()
    audit(
        actor=acting_user,
        organization=report.merchant,
        action=f"listing_report.{decision}",
        target=report,
        changes={"status": [before, report.status], "reason": reason},
    )
    if decision == "take_down":
        others = list(
            ListingReport.objects.select_for_update(of=("self",))
            .filter(
                product=product,
                status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED],
            )
            .exclude(pk=report.pk)
            .select_related("reporter")
        )
        for other in others:
            other.status = ListingReport.Status.TAKEN_DOWN
            other.decision_reason = reason
            other.decided_by = acting_user
            other.decided_at = now
            other.save()
            _notify_reporter(other)
    elif decision == "dismiss":
        _release_if_cleared(product, acting_user=acting_user)
    _notify_reporter(report)
    return report


@transaction.atomic
def listing_take_down(
    *, product: Product, category: str, reason: str, acting_user: User
) -> ListingReport:
    """Operators: take a listing down on their own finding (from the product page). It is put
    on record as a report by the operator and decided at once, so it hides the listing, tells
    the merchant, issues a strike and can be appealed like any other takedown."""
    _require_operator(acting_user)
    if category not in ReportReason.values:
        raise ValidationError({"category": _("Choose a reason.")})
    reason = _require_reason(reason)
    with scopes_disabled():
        product = Product.objects.select_related("organization").get(pk=product.pk)
    if product.state == ListingState.TAKEN_DOWN:
        raise ModerationRefused(_("This listing is already taken down."))
    report = ListingReport.objects.create(
        product=product,
        merchant=product.organization,
        reporter=acting_user,
        source=ListingReport.Source.OPERATOR,
        reason=category,
        details=reason,
        matched_brand=protected_brand_named(product.brand),
        snapshot=_snapshot(product),
    )
    return report_decide(
        report=report, decision="take_down", reason=reason, acting_user=acting_user
    )


def _release_if_cleared(product: Product, *, acting_user: User) -> None:
    """A listing held by the rules is published once its last open review is dismissed."""
    from merchants.selectors import merchant_can_trade

    with scopes_disabled():
        product = Product.objects.select_for_update().get(pk=product.pk)
    if product.state != ListingState.IN_REVIEW:
        return
    if ListingReport.objects.filter(
        product=product,
        status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED],
    ).exists():
        return
    product.state = (
        ListingState.ACTIVE
        if merchant_can_trade(organization=product.organization)
        else ListingState.PAUSED
    )
    product.published_at = product.published_at or timezone.now()
    with scopes_disabled():
        product.save(update_fields=["state", "published_at", "updated_at"])
    products_changed([product.pk], browse=True)
    audit(
        actor=acting_user,
        organization=product.organization,
        action="product.review_cleared",
        target=product,
        changes={"state": [ListingState.IN_REVIEW, product.state]},
    )


# --- Appeals -----------------------------------------------------------------------------------


@transaction.atomic
def appeal_file(*, report: ListingReport, statement: str, acting_user: User) -> Appeal:
    """The merchant appeals a takedown, once. Raises ModerationRefused otherwise."""
    _require_member(report.merchant, acting_user, role=Role.STAFF)
    report = ListingReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ListingReport.Status.TAKEN_DOWN or report.strike_id is None:
        raise ModerationRefused(_("Only a takedown can be appealed."))
    if Appeal.objects.filter(report=report).exists():
        raise ModerationRefused(_("A takedown can be appealed only once."))
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError({"statement": _("Say why the takedown is wrong.")})
    appeal = Appeal.objects.create(
        report=report, organization=report.merchant, statement=statement, filed_by=acting_user
    )
    audit(
        actor=acting_user,
        organization=report.merchant,
        action="appeal.filed",
        target=appeal,
        changes={"report": report.pk},
    )
    return appeal


OUTCOMES = ("uphold", "overturn")


@transaction.atomic
def appeal_decide(*, appeal: Appeal, outcome: str, reason: str, acting_user: User) -> Appeal:
    """Operators: decide an appeal. The operator who took the listing down may not decide it.
    Overturning revokes the strike and restores the listing (paused, for the merchant)."""
    from catalog.services import product_restore
    from merchants.services import strike_revoke

    _require_operator(acting_user)
    if outcome not in OUTCOMES:
        raise ModerationRefused(_("Unknown decision."))
    reason = _require_reason(reason)
    with scopes_disabled():
        appeal = (
            Appeal.objects.select_for_update(of=("self",))
            .select_related("report", "report__strike", "report__product", "organization")
            .get(pk=appeal.pk)
        )
    if appeal.status != Appeal.Status.PENDING:
        raise ModerationRefused(_("This appeal is already decided."))
    if appeal.report.decided_by_id == acting_user.pk:
        raise ModerationRefused(
            _("You took this listing down; another operator must decide the appeal.")
        )
    appeal.status = Appeal.Status.UPHELD if outcome == "uphold" else Appeal.Status.OVERTURNED
    appeal.decision_reason = reason
    appeal.decided_by = acting_user
    appeal.decided_at = timezone.now()
    with scopes_disabled():
        appeal.save()
    if outcome == "overturn":
        if appeal.report.strike is not None:
            strike_revoke(strike=appeal.report.strike, acting_user=acting_user)
        with scopes_disabled():
            state = Product.objects.get(pk=appeal.report.product_id).state
        if state == ListingState.TAKEN_DOWN:
            product_restore(product=appeal.report.product, acting_user=acting_user)
    audit(
        actor=acting_user,
        organization=appeal.organization,
        action=f"appeal.{appeal.status}",
        target=appeal,
        changes={"reason": reason},
    )
    for membership in Membership.objects.filter(
        organization=appeal.organization, role__in=[Role.OWNER, Role.ADMIN]
    ).select_related("user"):
        notification_send(
            email=membership.user.email,
            recipient=membership.user,
            organization=appeal.organization,
            kind="catalog.appeal_decided",
            template="catalog/email/appeal_decided",
            context={
                "product": localized_lazy(
                    appeal.report.snapshot.get("title_en", ""),
                    appeal.report.snapshot.get("title_zh_hans", ""),
                ),
                "status": Appeal.Status(appeal.status).label,
                "reason": reason,
            },
            link=settings.SITE_URL
            + reverse("catalog:product_edit", args=[appeal.report.product_id]),
        )
    return appeal


# --- Reads -------------------------------------------------------------------------------------


def _active_strikes(now: datetime) -> Subquery:
    with scopes_disabled():
        return Coalesce(
            Subquery(
                Strike.objects.filter(
                    organization=OuterRef("merchant"),
                    revoked_at__isnull=True,
                    expires_at__gt=now,
                    created_at__gt=now - timedelta(days=365),
                )
                .values("organization")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            0,
        )


def moderation_queue() -> QuerySet[ListingReport]:
    """Open reports, brand owners' reports first, then merchants with the most active strikes,
    then the oldest. Fixed queries: one, whatever the number of reports."""
    now = timezone.now()
    return (
        ListingReport.objects.filter(
            status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED]
        )
        .annotate(
            from_owner=Case(
                When(source=ListingReport.Source.BRAND_OWNER, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            merchant_strikes=_active_strikes(now),
        )
        .select_related("product", "merchant", "reporter", "matched_brand")
        .order_by("-from_owner", "-merchant_strikes", "status", "created_at", "pk")
    )


def reports_to_moderate_count() -> int:
    """Open reports, and those waiting for the reporter's information (the moderation queue)."""
    with scopes_disabled():
        return ListingReport.objects.filter(
            status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED]
        ).count()


def appeals_pending_count() -> int:
    with scopes_disabled():
        return Appeal.objects.filter(status=Appeal.Status.PENDING).count()


def brands_to_verify_count() -> int:
    with scopes_disabled():
        return Brand.objects.filter(status=Brand.Status.PENDING).count()


def appeals_pending() -> QuerySet[Appeal]:
    with scopes_disabled():
        return (
            Appeal.objects.filter(status=Appeal.Status.PENDING)
            .select_related("report", "report__product", "report__decided_by", "organization")
            .order_by("created_at", "pk")
        )


def reports_of_reporter(*, user: User) -> QuerySet[ListingReport]:
    return (
        ListingReport.objects.filter(reporter=user)
        .select_related("product")
        .order_by("-created_at", "-pk")
    )


def report_for_viewer(*, report_id: int, user: User) -> ListingReport | None:
    """The report when ``user`` is its reporter or an operator; None for anybody else."""
    report = (
        ListingReport.objects.select_related(
            "product", "merchant", "reporter", "decided_by", "matched_brand", "strike"
        )
        .filter(pk=report_id)
        .first()
    )
    if report is None or not user.is_authenticated:
        return None
    if report.reporter_id == user.pk or user_is_operator(user):
        return report
    return None


def takedowns_of_merchant(
    *, organization: Organization, product: Product | None = None
) -> list[ListingReport]:
    """The merchant's takedowns (of one product when given) with ``appeal_or_none``, for the
    appeal form on its pages. Pages show only the decision, never the reporter."""
    reports = ListingReport.objects.filter(
        merchant=organization, status=ListingReport.Status.TAKEN_DOWN, strike__isnull=False
    )
    if product is not None:
        reports = reports.filter(product=product)
    reports = list(reports.select_related("product").order_by("-decided_at"))
    with scopes_disabled():
        appeals = {a.report_id: a for a in Appeal.objects.filter(report__in=reports)}
    for report in reports:
        report.appeal_or_none = appeals.get(report.pk)
    return reports


def brands_of_owner(*, organization: Organization) -> list[Brand]:
    return list(
        Brand.objects.filter(owner=organization).prefetch_related(
            Prefetch(
                "grants",
                queryset=BrandGrant.objects.select_related("reseller").order_by("-expires_at"),
            )
        )
    )


def brands_to_verify() -> QuerySet[Brand]:
    return (
        Brand.objects.filter(status=Brand.Status.PENDING)
        .select_related("owner")
        .order_by("created_at")
    )


class Median(Aggregate):
    """PostgreSQL's median of a column (NULLs, i.e. undecided reports, are skipped)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


@dataclass
class Transparency:
    reports_received: int
    automatic_reviews: int
    operator_findings: int
    takedowns: int
    dismissed: int
    open: int
    median_hours_to_decision: float | None
    appeals: int
    appeals_overturned: int


def transparency_figures(*, since: datetime | None = None) -> Transparency:
    """Public figures of counterfeit policing (since ``since``, or ever): two queries."""
    reports = ListingReport.objects.all()
    if since is not None:
        reports = reports.filter(created_at__gte=since)
    people = Q(
        source__in=[
            ListingReport.Source.BUYER,
            ListingReport.Source.BRAND_OWNER,
            ListingReport.Source.PUBLIC,
        ]
    )
    counts = reports.aggregate(
        received=Count("pk", filter=people),
        automatic=Count("pk", filter=Q(source=ListingReport.Source.AUTOMATIC)),
        by_operators=Count("pk", filter=Q(source=ListingReport.Source.OPERATOR)),
        takedowns=Count("pk", filter=Q(status=ListingReport.Status.TAKEN_DOWN)),
        dismissed=Count("pk", filter=Q(status=ListingReport.Status.DISMISSED)),
        open=Count(
            "pk",
            filter=Q(status__in=[ListingReport.Status.OPEN, ListingReport.Status.INFO_REQUESTED]),
        ),
        median=Median(F("decided_at") - F("created_at"), output_field=DurationField()),
    )
    with scopes_disabled():
        appeals = Appeal.objects.all()
        if since is not None:
            appeals = appeals.filter(created_at__gte=since)
        appeal_counts = appeals.aggregate(
            n=Count("pk"), overturned=Count("pk", filter=Q(status=Appeal.Status.OVERTURNED))
        )
    median = counts["median"]
    return Transparency(
        reports_received=counts["received"],
        automatic_reviews=counts["automatic"],
        operator_findings=counts["by_operators"],
        takedowns=counts["takedowns"],
        dismissed=counts["dismissed"],
        open=counts["open"],
        median_hours_to_decision=round(median.total_seconds() / 3600, 1)
        if median is not None
        else None,
        appeals=appeal_counts["n"],
        appeals_overturned=appeal_counts["overturned"],
    )


def strike_history() -> list[Organization]:
    """Merchants with strikes, most active strikes first, each with ``strike_list`` (newest
    first) and ``active_strikes``. Two queries."""
    now = timezone.now()
    with scopes_disabled():
        strikes = list(Strike.objects.select_related("organization", "issued_by"))
    merchants: dict[int, Organization] = {}
    for strike in strikes:
        organization = merchants.setdefault(strike.organization_id, strike.organization)
        if not hasattr(organization, "strike_list"):
            organization.strike_list = []
            organization.active_strikes = 0
        organization.strike_list.append(strike)
        if strike.is_active(now) and strike.created_at > now - timedelta(days=365):
            organization.active_strikes += 1
    for organization in merchants.values():
        organization.strike_list.sort(key=lambda s: s.created_at, reverse=True)
    return sorted(merchants.values(), key=lambda o: (-o.active_strikes, o.name.lower(), o.pk))
