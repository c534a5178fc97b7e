"""Products: created with their SKUs, updated, upserted by SKU code (the API), published,
paused, taken down and restored."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.errors import (
    CatalogPermissionDenied,
    IllegalListingTransition,
    PublishRequirementsMissing,
)
from catalog.listing_rules import listing_rules_apply
from catalog.models import (
    SKU,
    ListingState,
    Product,
    ProductImage,
    localized_lazy,
)
from catalog.services.common import (
    PRODUCT_FIELDS,
    SKUValues,
    Tier,
    _buyers_see_change,
    _changes,
    _locked,
    _new_reference,
    _refresh_search,
    _snapshot,
    active_listing_hs_code_error,
    require_catalogue_staff,
)
from catalog.services.images import product_image_add
from catalog.services.skus import sku_create, sku_update
from merchants.errors import MerchantNotApproved
from merchants.selectors import merchant_can_trade
from network.cache import products_changed
from network.errors import DomainError
from network.models import Organization, User
from network.permissions import require_operator
from network.selectors import organization_staff
from network.services import audit, notification_send, webhook_emit
from network.transitions import Transition, transition, transition_check

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
        raise ValidationError({"hs_code": active_listing_hs_code_error()})
    product.save()
    changes = _changes(before, _snapshot(product, fields))
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
# listing rules (moderation, through catalog.listing_rules) hold an active listing for review
# and release it.
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

    for product in products.order_by("pk"):
        try:
            done.append(service(product=product, acting_user=acting_user))
        except DomainError as error:
            refused.append((product, error.message))
    return done, refused


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
