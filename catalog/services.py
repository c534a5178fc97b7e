"""Every write of the catalogue. Each function is one transaction, checks who may act, raises a
``DomainError`` with a clear message, and writes an audit record."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.errors import (
    CatalogPermissionDenied,
    IllegalListingTransition,
    InvalidPriceTiers,
    InvalidStockChange,
    PublishRequirementsMissing,
)
from catalog.images import process_upload
from catalog.models import (
    SKU,
    ImportJob,
    Inventory,
    LedgerReason,
    ListingState,
    PriceTier,
    Product,
    ProductImage,
    localized_lazy,
)
from catalog.search import refresh_search_vectors, search_cjk_for
from catalog.stock import stock_check_removable, stock_open, stock_set
from merchants.errors import MerchantNotApproved
from merchants.selectors import merchant_can_trade
from network.cache import products_changed
from network.models import Membership, Organization, Role, User
from network.selectors import organization_staff
from network.services import audit, notification_send, webhook_emit
from network.tenancy import require_member, require_operator
from network.transitions import Transition, transition, transition_check

PRODUCT_FIELDS = [
    "reference",
    "category",
    "title_en",
    "title_zh_hans",
    "description_en",
    "description_zh_hans",
    "brand",
    "hs_code",
    "country_of_origin",
    "weight_kg",
    "length_cm",
    "width_cm",
    "height_cm",
    "lead_time_days",
    "msrp_usd",
]
SKU_FIELDS = ["code", "variant_en", "variant_zh_hans", "case_pack", "moq"]
Tier = tuple[int, Decimal]


@dataclass(frozen=True)
class SKUValues:
    """A SKU as a form, the API or a file gives it: its fields (``SKU_FIELDS``), its price tiers
    and its opening stock."""

    values: dict[str, Any]
    tiers: Sequence[Tier]
    on_hand: int = 0
    low_stock_threshold: int = 0


# --- Who may act -------------------------------------------------------------------------------


def require_catalogue_staff(*, organization: Organization, acting_user: User) -> Membership:
    """The one role check of the catalogue's writes (``network.tenancy.require_member``): staff
    or above of a merchant."""
    if organization.kind != Organization.Kind.MERCHANT:
        raise CatalogPermissionDenied(_("Only merchants list products."))
    return require_member(
        organization=organization,
        user=acting_user,
        role=Role.STAFF,
        error=CatalogPermissionDenied,
        message=_("Only staff, admins and owners of %(org)s can change its catalogue.")
        % {"org": organization.name},
    )


def _locked(product: Product) -> Product:
    """The product's row locked for this transaction, read as its merchant sees it (the caller
    has checked who acts; an operator acts on the merchant's row)."""
    return (
        Product.objects.visible_to(product.organization)
        .select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=product.pk)
    )


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: [str(before[k]), str(after[k])] for k in after if before.get(k) != after[k]}


def _snapshot(instance: Model, fields: Iterable[str]) -> dict[str, Any]:
    return {
        f: (getattr(instance, f + "_id") if f == "category" else getattr(instance, f))
        for f in fields
    }


# --- Derived columns ---------------------------------------------------------------------------


def refresh_product_summaries(product_ids: Iterable[int]) -> None:
    """Recompute the price range and lowest MOQ that browsing filters on (two statements)."""
    ids = list(product_ids)
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE catalog_product AS p SET
                price_min_usd = s.price_min, price_max_usd = s.price_max, moq_min = s.moq_min
            FROM (
                SELECT k.product_id, min(t.unit_price_usd) AS price_min,
                       max(t.unit_price_usd) AS price_max, min(k.moq) AS moq_min
                FROM catalog_sku AS k LEFT JOIN catalog_pricetier AS t ON t.sku_id = k.id
                WHERE k.product_id = ANY(%s)
                GROUP BY k.product_id
            ) AS s
            WHERE p.id = s.product_id
            """,
            [ids],
        )
        cursor.execute(
            """
            UPDATE catalog_product AS p SET price_min_usd = NULL, price_max_usd = NULL,
                moq_min = NULL
            WHERE p.id = ANY(%s) AND p.moq_min IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM catalog_sku AS k WHERE k.product_id = p.id)
            """,
            [ids],
        )


def _buyers_see_change(product: Product) -> None:
    """A change to a listing shows on its page at once, and on the browse page if it is active
    (see network.cache)."""
    products_changed([product.pk], browse=product.state == ListingState.ACTIVE)


def _refresh_search(product: Product) -> None:
    cjk = search_cjk_for(title_zh_hans=product.title_zh_hans)
    if cjk != product.search_cjk:
        product.search_cjk = cjk
        Product.objects.visible_to(product.organization).filter(pk=product.pk).update(
            search_cjk=cjk
        )
    refresh_search_vectors([product.pk])


def _new_reference(organization: Organization) -> str:
    while True:
        reference = f"P-{secrets.token_hex(4).upper()}"
        if not Product.objects.visible_to(organization).filter(reference=reference).exists():
            return reference


# --- Products ----------------------------------------------------------------------------------


@transaction.atomic
def product_create(
    *,
    organization: Organization,
    values: dict[str, Any],
    acting_user: User,
    skus: Sequence[SKUValues] = (),
    image: UploadedFile | None = None,
    image_alt_text: str = "",
) -> Product:
    """Create a draft product with its SKUs (price tiers, opening stock) and its first image,
    in one transaction: a SKU or an image refused leaves nothing written. Any merchant may
    prepare drafts; only approved ones publish."""
    require_catalogue_staff(organization=organization, acting_user=acting_user)
    product = Product(organization=organization)
    for name in PRODUCT_FIELDS:
        if name in values:
            setattr(product, name, values[name])
    if not product.reference:
        product.reference = _new_reference(organization)
    product.full_clean()
    product.save()
    _refresh_search(product)
    audit(
        actor=acting_user,
        organization=organization,
        action="product.created",
        target=product,
        changes={"reference": product.reference, "title_en": product.title_en},
    )
    for sku in skus:
        sku_create(
            product=product,
            values=sku.values,
            tiers=sku.tiers,
            on_hand=sku.on_hand,
            low_stock_threshold=sku.low_stock_threshold,
            acting_user=acting_user,
        )
    if image is not None:
        product_image_add(
            product=product, upload=image, alt_text=image_alt_text, acting_user=acting_user
        )
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    values: dict[str, Any],
    acting_user: User,
    expected: Callable[[Product], None] | None = None,
) -> Product:
    """Change a product's details. A taken-down listing stays frozen. ``expected`` is called
    with the locked row before anything is written and raises (``VersionChanged``) to refuse,
    e.g. when the API's ``If-Match`` names another version."""
    require_catalogue_staff(organization=product.organization, acting_user=acting_user)
    product = _locked(product)
    if expected is not None:
        expected(product)
    if product.state == ListingState.TAKEN_DOWN:
        raise IllegalListingTransition(
            _("This listing was taken down by the network's operators and cannot be edited.")
        )
    fields = [name for name in PRODUCT_FIELDS if name in values]
    before = _snapshot(product, fields)
    for name in fields:
        setattr(product, name, values[name])
    if not product.reference:
        product.reference = _new_reference(product.organization)
    product.full_clean()
    if product.state == ListingState.ACTIVE and not product.hs_code:
        raise ValidationError({"hs_code": _("An active listing needs its HS code.")})
    product.save()
    changes = _changes(before, _snapshot(product, fields))
    from catalog.brands import listing_rules_apply

    # An active listing whose title or brand changed meets the brand rules again, as at
    # publish: refused (raises, nothing is written) or held for review.
    listing_rules_apply(product=product, acting_user=acting_user, changed=changes)
    _refresh_search(product)
    _buyers_see_change(product)
    audit(
        actor=acting_user,
        organization=product.organization,
        action="product.updated",
        target=product,
        changes=changes,
    )
    return product


def publish_missing(product: Product) -> list[str]:
    """What stops a product from being published, in words (empty when it can be)."""
    missing: list[str] = []
    if not product.hs_code:
        missing.append(_("an HS code"))
    else:
        try:
            Product._meta.get_field("hs_code").run_validators(product.hs_code)
        except ValidationError:
            missing.append(_("a valid HS code"))
    skus = list(
        SKU.objects.visible_to(product.organization)
        .filter(product=product)
        .prefetch_related("tiers")
    )
    if not skus:
        missing.append(_("at least one SKU with its MOQ"))
    for sku in skus:
        tiers = sorted(sku.tiers.all(), key=lambda t: t.min_quantity)
        if not tiers:
            missing.append(_("price tiers for SKU %(code)s") % {"code": sku.code})
        elif tiers[0].min_quantity != sku.moq:
            missing.append(_("a first price tier at the MOQ of SKU %(code)s") % {"code": sku.code})
    if not ProductImage.objects.visible_to(product.organization).filter(product=product).exists():
        missing.append(_("at least one image"))
    return missing


L = ListingState
# action -> (label, states it may start from, state it leads to) for the services below. The
# brand rules (catalog.brands) hold an active listing for review and release it.
LISTING_TRANSITIONS: dict[str, Transition] = {
    "publish": transition(gettext_lazy("publish"), {L.DRAFT, L.PAUSED}, L.ACTIVE),
    "pause": transition(gettext_lazy("pause"), {L.ACTIVE}, L.PAUSED),
    "take_down": transition(
        gettext_lazy("take down"), set(L.values) - {L.TAKEN_DOWN}, L.TAKEN_DOWN
    ),
    "restore": transition(gettext_lazy("restore"), {L.TAKEN_DOWN}, L.PAUSED),
}


def _listing_check(product: Product, action: str, message: str) -> Transition:
    return transition_check(
        LISTING_TRANSITIONS,
        action,
        product,
        field="state",
        message=message,
        status_label=product.get_state_display().lower(),
        error=IllegalListingTransition,
    )


@transaction.atomic
def product_publish(*, product: Product, acting_user: User) -> Product:
    """Make a draft or paused product visible to buyers. Requires an approved merchant in good
    standing, a valid HS code, price tiers from the MOQ and an image."""
    require_catalogue_staff(organization=product.organization, acting_user=acting_user)
    if not merchant_can_trade(organization=product.organization):
        raise MerchantNotApproved(
            _("Only approved merchants in good standing can publish products.")
        )
    product = _locked(product)
    rule = _listing_check(product, "publish", _("A %(state)s listing cannot be published."))
    missing = publish_missing(product)
    if missing:
        raise PublishRequirementsMissing(
            _("To publish, add %(missing)s.") % {"missing": ", ".join(missing)}, missing=missing
        )
    from catalog.brands import listing_rules_apply

    # Brand rules: a protected brand without authorisation is refused (raises); a look-alike
    # title or a copied photo holds the listing for an operator's review instead.
    if listing_rules_apply(product=product, acting_user=acting_user):
        return product
    before = product.state
    product.state = rule.to_status
    product.published_at = product.published_at or timezone.now()
    product.save(update_fields=["state", "published_at", "updated_at"])
    products_changed([product.pk], browse=True)
    audit(
        actor=acting_user,
        organization=product.organization,
        action="product.published",
        target=product,
        changes={"state": [before, product.state]},
    )
    return product


@transaction.atomic
def product_pause(*, product: Product, acting_user: User) -> Product:
    """Hide an active listing from buyers for a while; publishing again shows it."""
    require_catalogue_staff(organization=product.organization, acting_user=acting_user)
    product = _locked(product)
    rule = _listing_check(product, "pause", _("Only an active listing can be paused."))
    product.state = rule.to_status
    product.save(update_fields=["state", "updated_at"])
    products_changed([product.pk], browse=True)
    audit(
        actor=acting_user,
        organization=product.organization,
        action="product.paused",
        target=product,
        changes={"state": [ListingState.ACTIVE, ListingState.PAUSED]},
    )
    return product


@transaction.atomic
def product_take_down(*, product: Product, reason: str, acting_user: User) -> Product:
    """Operators only: hide a listing for a policy reason and tell the merchant."""
    require_operator(
        acting_user,
        error=CatalogPermissionDenied,
        message=_("Only network operators can take listings down."),
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the merchant a reason.")})
    product = _locked(product)
    rule = _listing_check(product, "take_down", _("This listing is already taken down."))
    before = product.state
    product.state = rule.to_status
    product.takedown_reason = reason
    product.save(update_fields=["state", "takedown_reason", "updated_at"])
    products_changed([product.pk], browse=True)
    audit(
        actor=acting_user,
        organization=product.organization,
        action="product.taken_down",
        target=product,
        changes={"state": [before, product.state], "reason": reason},
    )
    for user in organization_staff(organization=product.organization):
        notification_send(
            email=user.email,
            recipient=user,
            organization=product.organization,
            kind="catalog.product_taken_down",
            template="catalog/email/taken_down",
            context={
                "product": localized_lazy(product.title_en, product.title_zh_hans),
                "reference": product.reference,
                "reason": reason,
            },
            link=settings.SITE_URL + reverse("catalog:product_edit", args=[product.pk]),
        )
    webhook_emit(
        organization=product.organization,
        event="listing.taken_down",
        payload={"product": product.reference, "title": product.title_en, "reason": reason},
    )
    return product


@transaction.atomic
def product_restore(*, product: Product, acting_user: User) -> Product:
    """Operators only: lift a takedown; the listing comes back paused for the merchant to
    publish again."""
    require_operator(
        acting_user,
        error=CatalogPermissionDenied,
        message=_("Only network operators can take listings down."),
    )
    product = _locked(product)
    rule = _listing_check(product, "restore", _("Only a taken-down listing can be restored."))
    product.state = rule.to_status
    product.save(update_fields=["state", "updated_at"])
    products_changed([product.pk], browse=True)
    audit(
        actor=acting_user,
        organization=product.organization,
        action="product.restored",
        target=product,
        changes={"state": [ListingState.TAKEN_DOWN, ListingState.PAUSED]},
    )
    return product


def products_bulk_transition(
    *, organization: Organization, product_ids: Sequence[int], action: str, acting_user: User
) -> tuple[list[Product], list[tuple[Product, str]]]:
    """Publish or pause several of the merchant's products, each in its own transaction.
    Returns the products changed and those refused with the reason."""
    if action not in ("publish", "pause"):
        raise IllegalListingTransition(_("Unknown action."))
    require_catalogue_staff(organization=organization, acting_user=acting_user)
    service = product_publish if action == "publish" else product_pause
    done: list[Product] = []
    refused: list[tuple[Product, str]] = []
    products = Product.objects.visible_to(organization).filter(
        organization=organization, pk__in=list(product_ids)
    )
    from network.errors import DomainError

    for product in products.order_by("pk"):
        try:
            done.append(service(product=product, acting_user=acting_user))
        except DomainError as error:
            refused.append((product, error.message))
    return done, refused


# --- SKUs and price tiers ----------------------------------------------------------------------


def tier_errors(tiers: Sequence[Tier], *, moq: int, case_pack: int) -> list[str]:
    """Every rule a SKU's tiers break, in words: at least one tier; the first at the MOQ;
    quantities rising in whole case packs; unit prices positive and strictly falling."""
    errors: list[str] = []
    if not tiers:
        return [_("Add at least one price tier.")]
    ordered = sorted(tiers, key=lambda t: t[0])
    quantities = [q for q, _p in ordered]
    if len(set(quantities)) != len(quantities):
        errors.append(_("Each tier needs a different quantity."))
    if quantities[0] != moq:
        errors.append(_("The first tier must start at the MOQ (%(moq)s units).") % {"moq": moq})
    for quantity, price in ordered:
        if quantity < 1:
            errors.append(_("Tier quantities are at least 1."))
        elif case_pack and quantity % case_pack:
            errors.append(
                _("%(qty)s is not a whole number of case packs of %(pack)s.")
                % {"qty": quantity, "pack": case_pack}
            )
        if price is None or price <= 0:
            errors.append(_("Each tier needs a unit price above zero."))
        elif price != price.quantize(Decimal("0.01")):
            errors.append(_("Unit prices are in whole cents."))
    prices = [p for _q, p in ordered]
    if all(p is not None for p in prices):
        for (q1, p1), (q2, p2) in zip(ordered, ordered[1:], strict=False):
            if q1 != q2 and p2 >= p1:
                errors.append(
                    _(
                        "The unit price must fall as the quantity rises: %(q2)s units at "
                        "%(p2)s USD is not below %(q1)s units at %(p1)s USD."
                    )
                    % {"q1": q1, "p1": p1, "q2": q2, "p2": p2}
                )
    return errors


def _write_tiers(sku: SKU, tiers: Sequence[Tier]) -> None:
    PriceTier.objects.filter(sku=sku).delete()
    PriceTier.objects.bulk_create(
        [
            PriceTier(sku=sku, min_quantity=q, unit_price_usd=p)
            for q, p in sorted(tiers, key=lambda t: t[0])
        ]
    )


def _check_product_editable(product: Product) -> None:
    if product.state == ListingState.TAKEN_DOWN:
        raise IllegalListingTransition(
            _("This listing was taken down by the network's operators and cannot be edited.")
        )


@transaction.atomic
def sku_create(
    *,
    product: Product,
    values: dict[str, Any],
    tiers: Sequence[Tier],
    on_hand: int = 0,
    low_stock_threshold: int = 0,
    acting_user: User,
) -> SKU:
    """Add a variant with its price tiers and its stock row (and a ledger entry for the
    opening stock)."""
    require_catalogue_staff(organization=product.organization, acting_user=acting_user)
    _check_product_editable(product)
    sku = SKU(organization=product.organization, product=product)
    for name in SKU_FIELDS:
        if name in values:
            setattr(sku, name, values[name])
    sku.full_clean()
    errors = tier_errors(tiers, moq=sku.moq, case_pack=sku.case_pack)
    if errors:
        raise InvalidPriceTiers(" ".join(errors), errors=errors)
    if on_hand < 0 or low_stock_threshold < 0:
        raise InvalidStockChange(_("Stock figures cannot be negative."))
    sku.save()
    _write_tiers(sku, tiers)
    stock_open(
        sku=sku, on_hand=on_hand, low_stock_threshold=low_stock_threshold, acting_user=acting_user
    )
    refresh_product_summaries([product.pk])
    _buyers_see_change(product)
    audit(
        actor=acting_user,
        organization=product.organization,
        action="sku.created",
        target=sku,
        changes={
            "product": product.pk,
            "moq": sku.moq,
            "case_pack": sku.case_pack,
            "tiers": [[q, str(p)] for q, p in tiers],
            "on_hand": on_hand,
        },
    )
    return sku


@transaction.atomic
def sku_update(
    *, sku: SKU, values: dict[str, Any], tiers: Sequence[Tier] | None = None, acting_user: User
) -> SKU:
    """Change a variant and, when given, replace its price tiers; the tiers must still start at
    the (possibly new) MOQ."""
    require_catalogue_staff(organization=sku.organization, acting_user=acting_user)
    sku = (
        SKU.objects.visible_to(sku.organization)
        .select_for_update(of=("self",))
        .select_related("product")
        .get(pk=sku.pk)
    )
    _check_product_editable(sku.product)
    fields = [name for name in SKU_FIELDS if name in values]
    before = _snapshot(sku, fields)
    for name in fields:
        setattr(sku, name, values[name])
    sku.full_clean()
    current = tiers
    if current is None:
        current = [(t.min_quantity, t.unit_price_usd) for t in sku.tiers.all()]
    errors = tier_errors(current, moq=sku.moq, case_pack=sku.case_pack)
    if errors:
        raise InvalidPriceTiers(" ".join(errors), errors=errors)
    sku.save()
    changes = _changes(before, _snapshot(sku, fields))
    if tiers is not None:
        old = [[t.min_quantity, str(t.unit_price_usd)] for t in sku.tiers.order_by("min_quantity")]
        new = [[q, str(p)] for q, p in sorted(tiers, key=lambda t: t[0])]
        _write_tiers(sku, tiers)
        if old != new:
            changes["tiers"] = [old, new]
    refresh_product_summaries([sku.product_id])
    _buyers_see_change(sku.product)
    audit(
        actor=acting_user,
        organization=sku.organization,
        action="sku.updated",
        target=sku,
        changes=changes,
    )
    return sku


@transaction.atomic
def price_tiers_set(*, sku: SKU, tiers: Sequence[Tier], acting_user: User) -> list[PriceTier]:
    """Replace a SKU's price tiers as a whole (validated by ``tier_errors``)."""
    sku_update(sku=sku, values={}, tiers=tiers, acting_user=acting_user)
    return list(PriceTier.objects.filter(sku=sku).order_by("min_quantity"))


@transaction.atomic
def sku_upsert(
    *,
    organization: Organization,
    code: str,
    values: dict[str, Any],
    sku_values: dict[str, Any],
    tiers: Sequence[Tier],
    acting_user: User,
    expected: Callable[[Product | None], None] | None = None,
) -> tuple[Product, bool]:
    """The product of the merchant's SKU ``code``: created as a draft with that SKU when the
    merchant has no such code, otherwise its details (``values``), the SKU's fields and tiers
    replaced; one transaction, the brand rules applied as by ``product_update``. ``expected``
    is called with the current product (None when there is none) under the SKU's lock and
    raises to refuse. Returns (product, created)."""
    require_catalogue_staff(organization=organization, acting_user=acting_user)
    existing = (
        SKU.objects.visible_to(organization)
        .select_for_update(of=("self",))
        .select_related("product", "product__organization")
        .filter(organization=organization, code=code)
        .first()
    )
    if expected is not None:
        expected(existing.product if existing is not None else None)
    if existing is None:
        sku = SKUValues(values={"code": code, **sku_values}, tiers=tiers)
        product = product_create(
            organization=organization, values=values, acting_user=acting_user, skus=[sku]
        )
        return product, True
    product = product_update(product=existing.product, values=values, acting_user=acting_user)
    sku_update(sku=existing, values=sku_values, tiers=tiers, acting_user=acting_user)
    return product, False


@transaction.atomic
def sku_delete(*, sku: SKU, acting_user: User) -> None:
    """Remove a variant. An active listing keeps at least one."""
    require_catalogue_staff(organization=sku.organization, acting_user=acting_user)
    product = _locked(sku.product)
    _check_product_editable(product)
    if (
        product.state == ListingState.ACTIVE
        and SKU.objects.visible_to(product.organization)
        .filter(product=product)
        .exclude(pk=sku.pk)
        .count()
        == 0
    ):
        raise IllegalListingTransition(
            _("An active listing needs at least one SKU; pause it first.")
        )
    stock_check_removable(sku=sku)
    audit(
        actor=acting_user,
        organization=sku.organization,
        action="sku.deleted",
        target=sku,
        changes={"code": sku.code, "product": product.pk},
    )
    sku.delete()
    refresh_product_summaries([product.pk])
    _buyers_see_change(product)


# --- Inventory ---------------------------------------------------------------------------------


@transaction.atomic
def inventory_set(
    *,
    sku: SKU,
    on_hand: int,
    acting_user: User,
    reason: str = LedgerReason.COUNT,
    note: str = "",
    low_stock_threshold: int | None = None,
) -> Inventory:
    """Set the stock on hand (e.g. after a count), recorded in the ledger; alerts the merchant
    when the available stock falls to the low-stock threshold."""
    require_catalogue_staff(organization=sku.organization, acting_user=acting_user)
    return stock_set(
        sku=sku,
        on_hand=on_hand,
        reason=reason,
        note=note,
        acting_user=acting_user,
        low_stock_threshold=low_stock_threshold,
    )


@transaction.atomic
def inventory_adjust(
    *, sku: SKU, delta: int, reason: str, acting_user: User, note: str = ""
) -> Inventory:
    """Add (goods received) or remove (damaged) stock, relative to what the row holds when it
    is locked, so two adjustments at once both count."""
    require_catalogue_staff(organization=sku.organization, acting_user=acting_user)
    return stock_set(
        sku=sku,
        delta=delta,
        reason=reason,
        note=note,
        acting_user=acting_user,
    )


# --- Images ------------------------------------------------------------------------------------


@transaction.atomic
def product_image_add(
    *, product: Product, upload: UploadedFile, acting_user: User, alt_text: str = ""
) -> ProductImage:
    """Check an uploaded photo with Pillow, store it re-encoded with a thumbnail."""
    require_catalogue_staff(organization=product.organization, acting_user=acting_user)
    _check_product_editable(product)
    processed = process_upload(upload)
    images = ProductImage.objects.visible_to(product.organization).filter(product=product)
    if images.count() >= 12:
        from catalog.errors import ImageRejected

        raise ImageRejected(_("A product has at most 12 images."))
    last = images.order_by("-position").first()
    image = ProductImage(
        organization=product.organization,
        product=product,
        width=processed.width,
        height=processed.height,
        alt_text=alt_text[:200],
        position=(last.position + 1) if last else 0,
    )
    from catalog.brands import image_dhash

    image.dhash = image_dhash(processed.thumbnail)
    image.image.save("image.jpg", ContentFile(processed.full), save=False)
    image.thumbnail.save("thumb.jpg", ContentFile(processed.thumbnail), save=False)
    image.save()
    from catalog.brands import listing_rules_apply

    # A photo added to an active listing meets the brand rules (copied photos) as at publish.
    listing_rules_apply(product=product, acting_user=acting_user, changed={"images"})
    _buyers_see_change(product)
    audit(
        actor=acting_user,
        organization=product.organization,
        action="product.image_added",
        target=product,
        changes={"image": image.pk, "width": image.width, "height": image.height},
    )
    return image


@transaction.atomic
def product_image_remove(*, image: ProductImage, acting_user: User) -> None:
    """Remove a photo. An active listing keeps at least one."""
    require_catalogue_staff(organization=image.organization, acting_user=acting_user)
    product = _locked(image.product)
    if (
        product.state == ListingState.ACTIVE
        and ProductImage.objects.visible_to(product.organization)
        .filter(product=product)
        .exclude(pk=image.pk)
        .count()
        == 0
    ):
        raise IllegalListingTransition(
            _("An active listing needs at least one image; pause it first.")
        )
    names = [image.image.name, image.thumbnail.name]
    storage = image.image.storage
    audit(
        actor=acting_user,
        organization=image.organization,
        action="product.image_removed",
        target=product,
        changes={"image": image.pk},
    )
    image.delete()
    _buyers_see_change(product)
    transaction.on_commit(lambda: [storage.delete(name) for name in names if name])


# --- Spreadsheet import ------------------------------------------------------------------------


@transaction.atomic
def import_job_create(
    *,
    organization: Organization,
    upload: UploadedFile,
    acting_user: User,
    all_or_nothing: bool = True,
) -> ImportJob:
    """Store an uploaded CSV or XLSX file and import it in the background after commit."""
    from catalog.errors import ImportRejected
    from catalog.spreadsheets import MAX_BYTES
    from catalog.tasks import import_job_run

    require_catalogue_staff(organization=organization, acting_user=acting_user)
    name = (getattr(upload, "name", "") or "").strip()
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ImportJob.Format.values:
        raise ImportRejected(_("Upload a .csv or .xlsx file."))
    size = upload.size if upload.size is not None else sum(map(len, upload.chunks()))
    if size > MAX_BYTES:
        raise ImportRejected(
            _("The file is larger than %(mb)s MB; split it.") % {"mb": MAX_BYTES // 2**20}
        )
    job = ImportJob(
        organization=organization,
        created_by=acting_user,
        original_name=name[:200],
        file_format=extension,
        all_or_nothing=all_or_nothing,
    )
    job.file.save("upload", upload, save=False)
    job.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="catalog.import_started",
        target=job,
        changes={"file": job.original_name, "all_or_nothing": all_or_nothing},
    )
    import_job_run.delay_on_commit(job.pk)
    return job
