"""The listing rules, applied when a product is published and when an active listing's title,
brand or photos change: a protected brand only from its owner and the resellers it authorises;
a title resembling a protected brand or a photo copied from a protected brand's listing holds
the listing for an operator's review, with an automatic report."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, FloatField, Func, IntegerField, Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import BrandNotAuthorised
from catalog.listing_rules import image_dhash as image_dhash  # the hash the rule compares
from catalog.models import ListingState, Product, ProductImage
from moderation.models import Brand, BrandGrant, ListingReport, ReportReason
from moderation.services.common import _normalise
from moderation.services.registry import authorised_brand_ids
from network.cache import products_changed
from network.models import Organization, User
from network.services import audit

# A title whose words resemble a protected brand's name from settings.BRAND_SIMILARITY_THRESHOLD
# (trigram similarity, 0..1, see brand_resemblance) is held for review; below this it is not
# even a candidate. Photos within settings.BRAND_IMAGE_MATCH_BITS bits are the same picture.
CANDIDATE_THRESHOLD = 0.3


def hamming(a: int, b: int) -> int:
    return bin((a ^ b) & 0xFFFFFFFFFFFFFFFF).count("1")


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
    return Brand.objects.public().annotate(key=Lower("name")).filter(key=_normalise(name)).first()


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
        Brand.objects.public()
        .exclude(pk__in=exclude_ids)
        .annotate(candidate=candidate)
        .filter(candidate__gte=CANDIDATE_THRESHOLD)
    )
    scored = [(brand, brand_resemblance(brand.name, text)) for brand in brands]
    return sorted(
        [(brand, score) for brand, score in scored if score >= settings.BRAND_SIMILARITY_THRESHOLD],
        key=lambda pair: -pair[1],
    )


def _protected_listing_images(
    hashes: list[int], *, organization: Organization
) -> list[tuple[ProductImage, Brand]]:
    """Images of other merchants' listings under a protected brand (by its owner or an
    authorised reseller) within settings.BRAND_IMAGE_MATCH_BITS of one of ``hashes``: (image,
    brand) pairs."""
    if not hashes:
        return []
    now = timezone.now()
    verified = {_normalise(b.name): b for b in Brand.objects.public()}
    if not verified:
        return []
    matches: list[tuple[ProductImage, Brand]] = []
    # Other merchants' public listing photos and the brands' authorisations in force.
    allowed = {brand.pk: {brand.owner_id} for brand in verified.values()}
    for brand_id, reseller_id in (
        BrandGrant.objects.public()
        .filter(brand_id__in=list(allowed), revoked_at__isnull=True, expires_at__gt=now)
        .values_list("brand_id", "reseller_id")
    ):
        allowed[brand_id].add(reseller_id)
    for value in hashes:
        distance = Func(
            Func(
                F("dhash").bitxor(Value(value)),  # type: ignore[arg-type]
                template="(%(expressions)s)::bit(64)",
            ),
            function="bit_count",
            output_field=IntegerField(),
        )
        candidates = (
            ProductImage.objects.public()
            .filter(dhash__isnull=False)
            .exclude(organization=organization)
            .annotate(brand_key=Lower("product__brand"), distance=distance)
            .filter(brand_key__in=list(verified), distance__lte=settings.BRAND_IMAGE_MATCH_BITS)
            .select_related("product")
        )
        for image in candidates:
            brand = verified[image.brand_key]
            if image.organization_id in allowed[brand.pk]:
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
    hashes = [
        value
        for value in ProductImage.objects.visible_to(organization)
        .filter(product=product, dhash__isnull=False)
        .values_list("dhash", flat=True)
        if value is not None
    ]
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
        ListingReport.objects.visible_to(organization)
        .filter(
            product=product,
            source=ListingReport.Source.AUTOMATIC,
            status=ListingReport.Status.DISMISSED,
        )
        .values_list("reason", "matched_brand_id")
    )
    check.flags = [f for f in check.flags if (f.reason, f.brand.pk) not in cleared]
    return check


def _snapshot(product: Product) -> dict:
    image_ids = list(
        ProductImage.objects.visible_to(product.organization)
        .filter(product=product)
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


def listing_hold_for_review(*, product: Product, acting_user: User) -> bool:
    """Apply the listing rules to a locked product (registered with
    ``catalog.listing_rules``, which runs it on publish and on every change that matters).
    Returns True when the product was held for review."""
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
