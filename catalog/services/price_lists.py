"""A merchant's price lists for one buyer organisation: the list (name, discount, validity),
its products (a discount of their own, or their SKUs' own tiers), ending or deleting it. Each
change is one transaction, audited, and tells the buyer's endpoints (``price_list.changed``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from catalog.errors import BuyerNotFound, PriceListRejected
from catalog.models import SKU, PriceList, PriceListEntry, PriceListTier, Product
from catalog.pricing import price_day
from catalog.services.common import require_catalogue_staff
from network.models import Organization, User
from network.services import audit, webhook_emit

PRICE_LIST_FIELDS = ["name", "discount_percent", "valid_from", "valid_until"]
MAX_QUANTITY = 10_000_000
MAX_PRICE = Decimal("10000000000")


@dataclass(frozen=True)
class OwnTier:
    """A buyer's own quantity break for one SKU, by the merchant's SKU code."""

    sku_code: str
    min_quantity: int
    unit_price_usd: Decimal


def buyer_by_name(name: str) -> Organization:
    """The buyer organisation whose slug or exact name is ``name`` (case aside), or
    ``BuyerNotFound``: a merchant names the buyer it deals with, it does not browse them."""
    name = name.strip()
    buyer = (
        Organization.objects.filter(kind=Organization.Kind.BUYER)
        .filter(Q(slug__iexact=name) | Q(name__iexact=name))
        .first()
        if name
        else None
    )
    if buyer is None:
        raise BuyerNotFound(
            _("No buyer organisation is called “%(name)s”: give its exact name or its short name.")
            % {"name": name}
        )
    return buyer


def _changed(price_list: PriceList, change: str) -> None:
    webhook_emit(
        organization=price_list.buyer,
        event="price_list.changed",
        payload={
            "price_list": price_list.pk,
            "change": change,
            "merchant": price_list.organization.slug,
            "name": price_list.name,
            "discount_percent": price_list.discount_percent,
            "valid_from": price_list.valid_from,
            "valid_until": price_list.valid_until,
        },
    )


def _locked(price_list: PriceList) -> PriceList:
    return (
        PriceList.objects.visible_to(price_list.organization)
        .select_for_update()
        .select_related("organization", "buyer")
        .get(pk=price_list.pk)
    )


def _apply(price_list: PriceList, values: dict[str, Any]) -> dict[str, list]:
    before = {name: str(getattr(price_list, name)) for name in PRICE_LIST_FIELDS}
    for name in PRICE_LIST_FIELDS:
        if name in values:
            setattr(price_list, name, values[name])
    price_list.full_clean(exclude=["organization", "buyer", "created_by"])
    after = {name: str(getattr(price_list, name)) for name in PRICE_LIST_FIELDS}
    return {name: [before[name], after[name]] for name in after if before[name] != after[name]}


@transaction.atomic
def price_list_create(
    *, organization: Organization, buyer: Organization, values: dict[str, Any], acting_user: User
) -> PriceList:
    """A new price list of ``organization`` for ``buyer`` (a buyer organisation); its products
    are set with ``price_list_entry_set``."""
    require_catalogue_staff(organization=organization, acting_user=acting_user)
    if buyer.kind != Organization.Kind.BUYER:
        raise PriceListRejected(_("A price list is granted to a buyer organisation."))
    price_list = PriceList(organization=organization, buyer=buyer, created_by=acting_user)
    changes = _apply(price_list, values)
    price_list.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="price_list.created",
        target=price_list,
        changes={"buyer": buyer.pk, **changes},
    )
    _changed(price_list, "created")
    return price_list


@transaction.atomic
def price_list_update(
    *, price_list: PriceList, values: dict[str, Any], acting_user: User
) -> PriceList:
    """Change a list's name, discount or validity."""
    require_catalogue_staff(organization=price_list.organization, acting_user=acting_user)
    price_list = _locked(price_list)
    changes = _apply(price_list, values)
    price_list.save()
    audit(
        actor=acting_user,
        organization=price_list.organization,
        action="price_list.updated",
        target=price_list,
        changes=changes,
    )
    _changed(price_list, "updated")
    return price_list


@transaction.atomic
def price_list_end(*, price_list: PriceList, acting_user: User) -> PriceList | None:
    """End a list: valid until yesterday, so today's orders no longer get it; a list not yet
    in force (or starting today) is deleted instead (None)."""
    require_catalogue_staff(organization=price_list.organization, acting_user=acting_user)
    price_list = _locked(price_list)
    yesterday = price_day() - timedelta(days=1)
    if price_list.valid_from > yesterday:
        _delete(price_list, acting_user)
        return None
    if price_list.valid_until is None or price_list.valid_until > yesterday:
        before = str(price_list.valid_until)
        price_list.valid_until = yesterday
        price_list.save(update_fields=["valid_until", "updated_at"])
        audit(
            actor=acting_user,
            organization=price_list.organization,
            action="price_list.ended",
            target=price_list,
            changes={"valid_until": [before, str(yesterday)]},
        )
        _changed(price_list, "ended")
    return price_list


@transaction.atomic
def price_list_delete(*, price_list: PriceList, acting_user: User) -> None:
    """Delete a list and its products; orders placed at its prices keep them."""
    require_catalogue_staff(organization=price_list.organization, acting_user=acting_user)
    _delete(_locked(price_list), acting_user)


def _delete(price_list: PriceList, acting_user: User) -> None:
    _changed(price_list, "deleted")
    audit(
        actor=acting_user,
        organization=price_list.organization,
        action="price_list.deleted",
        target=price_list,
        changes={"name": price_list.name, "buyer": price_list.buyer_id},
    )
    price_list.delete()


@transaction.atomic
def price_list_entry_set(
    *,
    price_list: PriceList,
    product: Product,
    discount_percent: Decimal | None,
    tiers: Sequence[OwnTier],
    acting_user: User,
) -> PriceListEntry:
    """Put ``product`` on the list, or replace its terms: its own discount and/or its SKUs' own
    tiers (by SKU code). Refused for another merchant's product, an unknown SKU code, a tier
    twice, or terms that set no price (no tiers and no discount here or on the list)."""
    require_catalogue_staff(organization=price_list.organization, acting_user=acting_user)
    price_list = _locked(price_list)
    if product.organization_id != price_list.organization_id:
        raise PriceListRejected(_("A price list holds only your own products."))
    if not tiers and discount_percent is None and price_list.discount_percent is None:
        raise PriceListRejected(
            _("Give the product a discount or its own tiers (the list has no discount).")
        )
    skus = {
        sku.code: sku
        for sku in SKU.objects.visible_to(price_list.organization).filter(product=product)
    }
    errors = []
    seen = set()
    for tier in tiers:
        if tier.sku_code not in skus:
            errors.append(_("%(code)s is not a SKU of this product.") % {"code": tier.sku_code})
        if (tier.sku_code, tier.min_quantity) in seen:
            errors.append(
                _("%(code)s has two tiers from %(quantity)s.")
                % {"code": tier.sku_code, "quantity": tier.min_quantity}
            )
        if not (
            1 <= tier.min_quantity <= MAX_QUANTITY
            and Decimal("0") < tier.unit_price_usd < MAX_PRICE
            and tier.unit_price_usd == tier.unit_price_usd.quantize(Decimal("0.01"))
        ):
            errors.append(
                _("Each tier needs a quantity from 1 and a price above 0 in whole cents.")
            )
        seen.add((tier.sku_code, tier.min_quantity))
    if errors:
        raise PriceListRejected(" ".join(errors), errors=errors)
    entry = (
        PriceListEntry.objects.visible_to(price_list.organization)
        .filter(price_list=price_list, product=product)
        .first()
    ) or PriceListEntry(
        organization=price_list.organization,
        buyer=price_list.buyer,
        price_list=price_list,
        product=product,
    )
    entry.discount_percent = discount_percent
    entry.full_clean(exclude=["organization", "buyer", "price_list", "product"])
    entry.save()
    PriceListTier.objects.visible_to(price_list.organization).filter(entry=entry).delete()
    PriceListTier.objects.visible_to(price_list.organization).bulk_create(
        PriceListTier(
            organization=price_list.organization,
            buyer=price_list.buyer,
            entry=entry,
            sku=skus[tier.sku_code],
            min_quantity=tier.min_quantity,
            unit_price_usd=tier.unit_price_usd,
        )
        for tier in tiers
    )
    audit(
        actor=acting_user,
        organization=price_list.organization,
        action="price_list.product_set",
        target=price_list,
        changes={
            "product": product.pk,
            "discount_percent": str(discount_percent),
            "tiers": [[t.sku_code, t.min_quantity, str(t.unit_price_usd)] for t in tiers],
        },
    )
    _changed(price_list, "updated")
    return entry


@transaction.atomic
def price_list_entry_remove(*, entry: PriceListEntry, acting_user: User) -> None:
    """Take a product off its price list."""
    price_list = entry.price_list
    require_catalogue_staff(organization=price_list.organization, acting_user=acting_user)
    price_list = _locked(price_list)
    PriceListEntry.objects.visible_to(price_list.organization).filter(pk=entry.pk).delete()
    audit(
        actor=acting_user,
        organization=price_list.organization,
        action="price_list.product_removed",
        target=price_list,
        changes={"product": entry.product_id},
    )
    _changed(price_list, "updated")


def price_list_in_force(price_list: PriceList, on: date | None = None) -> bool:
    day = on or price_day()
    return price_list.valid_from <= day and (
        price_list.valid_until is None or price_list.valid_until >= day
    )
