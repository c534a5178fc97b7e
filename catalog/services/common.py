"""What the catalogue's writes share: the fields a form or the API sets, who may act, the
product's lock, and the columns derived from its SKUs."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils.translation import gettext as _

from catalog.errors import (
    CatalogPermissionDenied,
    IllegalListingTransition,
)
from catalog.models import (
    ListingState,
    Product,
)
from catalog.search import refresh_search_vectors, search_cjk_for
from network.cache import products_changed
from network.models import Membership, Organization, Role, User
from network.permissions import require_member

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
# The packed carton's weight and size, for shipments' cargo figures (optional).
SKU_FIELDS += ["case_gross_weight_kg", "case_length_cm", "case_width_cm", "case_height_cm"]
# A sample offer (price empty: none) and the China tariff line of the landed-cost estimate.
SKU_FIELDS += ["sample_price_usd", "sample_limit_per_buyer", "cn_tariff_code"]
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


def active_listing_hs_code_error() -> str:
    """An active listing keeps its HS code: the refusal of a change (a form, the API, an
    import row) that blanks it."""
    return _("An active listing needs its HS code.")


def _check_product_editable(product: Product) -> None:
    if product.state == ListingState.TAKEN_DOWN:
        raise IllegalListingTransition(
            _("This listing was taken down by the network's operators and cannot be edited.")
        )
