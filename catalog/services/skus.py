"""A product's SKUs with their price tiers, and their stock as merchants set it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.errors import (
    IllegalListingTransition,
    InvalidPriceTiers,
    InvalidStockChange,
)
from catalog.models import (
    SKU,
    Inventory,
    LedgerReason,
    ListingState,
    PriceTier,
    Product,
)
from catalog.services.common import (
    SKU_FIELDS,
    Tier,
    _buyers_see_change,
    _changes,
    _check_product_editable,
    _locked,
    _snapshot,
    refresh_product_summaries,
    require_catalogue_staff,
)
from catalog.stock import stock_check_removable, stock_open, stock_set
from network.models import User
from network.services import audit

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
