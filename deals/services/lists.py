"""Buying again: reorder a past purchase order, quick order by pasting ``SKU,quantity`` lines,
and saved lists of SKUs and quantities. Each puts its lines in the cart through
``orders.services.cart.cart_add_many``, which says line by line what went in and what did not
(no longer available, below the MOQ, not a whole case, out of stock)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from catalog.models import SKU
from deals.models import SavedList, SavedListItem
from network.errors import DomainError
from network.models import Organization, User
from network.services import audit
from orders.models import PurchaseOrder, PurchaseOrderLine
from orders.selectors import orderable_skus
from orders.services.cart import LineOutcome, cart_add_many
from orders.services.common import buyer_required

MAX_QUICK_ORDER_LINES = 200
MAX_LIST_ITEMS = 500


class SavedListInvalid(DomainError):
    """A list without a name, a name the organisation already uses, or a bad quantity."""

    code = "saved_list_invalid"
    status = 400


class QuickOrderInvalid(DomainError):
    """Nothing to order in the pasted text, or too many lines."""

    code = "quick_order_invalid"
    status = 400


def _with_code(outcome: LineOutcome, code: str) -> LineOutcome:
    """The outcome naming its SKU code (a SKU no longer on sale comes back without one)."""
    return outcome if outcome.code else replace(outcome, code=code)


# --- Reorder -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReorderLine:
    """One line of the old purchase order and what became of it."""

    code: str
    title: str
    outcome: LineOutcome


@transaction.atomic
def purchase_order_reorder(
    *, purchase_order: PurchaseOrder, acting_user: User
) -> list[ReorderLine]:
    """Put the purchase order's lines (samples aside) in the cart again, in the same
    quantities; each line says whether it went in or why not (no longer available, below the
    MOQ, ...)."""
    organization = purchase_order.organization
    buyer_required(organization=organization, user=acting_user)
    lines = list(
        PurchaseOrderLine.objects.visible_to(organization)
        .filter(purchase_order=purchase_order, is_sample=False)
        .order_by("pk")
    )
    # A SKU its merchant deleted since is gone from the line; the others go to the cart.
    orderable = [line for line in lines if line.sku_id is not None]
    added = cart_add_many(
        organization=organization,
        items=[(line.sku_id, line.quantity) for line in orderable if line.sku_id is not None],
        acting_user=acting_user,
    )
    by_line = dict(zip([line.pk for line in orderable], added, strict=True))
    outcomes = [
        by_line.get(line.pk)
        or LineOutcome(
            sku_id=None,
            code=line.sku_code,
            requested=line.quantity,
            outcome="unavailable",
            message=_("This product is no longer available to order."),
        )
        for line in lines
    ]
    audit(
        actor=acting_user,
        organization=organization,
        action="purchase_order.reordered",
        target=purchase_order,
        changes={"added": sum(o.added for o in outcomes), "lines": len(lines)},
    )
    return [
        ReorderLine(
            code=line.sku_code,
            title=line.label,
            outcome=_with_code(outcome, line.sku_code),
        )
        for line, outcome in zip(lines, outcomes, strict=True)
    ]


# --- Quick order -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuickOrderProblem:
    line_number: int
    text: str
    message: str


@dataclass
class QuickOrder:
    """The pasted lines read: SKUs found, with their quantities, and the lines not understood."""

    items: list[tuple[SKU, int, int]] = field(default_factory=list)  # sku, quantity, line no.
    problems: list[QuickOrderProblem] = field(default_factory=list)
    outcomes: list[tuple[SKU, LineOutcome]] = field(default_factory=list)


_SEPARATOR = re.compile(r"\s*[,;\t]\s*|\s+")


def _split(text: str) -> tuple[str, str] | None:
    parts = [p for p in _SEPARATOR.split(text.strip(), maxsplit=1) if p]
    return (parts[0], parts[1]) if len(parts) == 2 else None


def quick_order_read(*, text: str) -> QuickOrder:
    """Read ``SKU,quantity`` lines (a comma, semicolon, tab or space between). SKU codes are
    unique per merchant only: a code several merchants use is reported with how to write it,
    ``merchant-slug/CODE``."""
    lines = [(n, raw.strip()) for n, raw in enumerate(text.splitlines(), start=1) if raw.strip()]
    if not lines:
        raise QuickOrderInvalid(_("Paste at least one line: SKU code, quantity."), field="lines")
    if len(lines) > MAX_QUICK_ORDER_LINES:
        raise QuickOrderInvalid(
            _("Paste at most %(n)s lines at a time.") % {"n": MAX_QUICK_ORDER_LINES},
            field="lines",
        )
    read = QuickOrder()
    wanted: list[tuple[int, str, str, str, int]] = []  # line no., text, merchant, code, qty
    for number, raw in lines:
        parts = _split(raw)
        if parts is None or not parts[1].isdigit() or int(parts[1]) < 1:
            read.problems.append(
                QuickOrderProblem(
                    number, raw, _("Write the SKU code, a comma and a whole number of units.")
                )
            )
            continue
        reference, quantity = parts[0], int(parts[1])
        merchant_slug, _slash, code = reference.rpartition("/")
        wanted.append((number, raw, merchant_slug.lower(), code.upper(), quantity))
    codes = {code for _n, _raw, _m, code, _q in wanted}
    candidates: dict[str, list[SKU]] = {}
    for sku in (
        SKU.objects.public()
        .filter(code__in=codes)
        .select_related("product", "organization")
        .order_by("organization__slug")
    ):
        candidates.setdefault(sku.code.upper(), []).append(sku)
    for number, raw, merchant_slug, code, quantity in wanted:
        found = [
            sku
            for sku in candidates.get(code, [])
            if not merchant_slug or sku.organization.slug == merchant_slug
        ]
        if not found:
            message = _("No product on sale has the SKU code %(code)s.") % {"code": code}
            read.problems.append(QuickOrderProblem(number, raw, message))
        elif len(found) > 1:
            spelled = ", ".join(f"{sku.organization.slug}/{sku.code}" for sku in found)
            message = _(
                "Several merchants use the SKU code %(code)s: write it with the merchant, "
                "one of %(choices)s."
            ) % {"code": code, "choices": spelled}
            read.problems.append(QuickOrderProblem(number, raw, message))
        else:
            read.items.append((found[0], quantity, number))
    return read


@transaction.atomic
def quick_order_add(*, organization: Organization, text: str, acting_user: User) -> QuickOrder:
    """Read the pasted lines and put those understood in the cart; what was not understood
    or could not be added is reported line by line."""
    buyer_required(organization=organization, user=acting_user)
    read = quick_order_read(text=text)
    if read.items:
        outcomes = cart_add_many(
            organization=organization,
            items=[(sku.pk, quantity) for sku, quantity, _n in read.items],
            acting_user=acting_user,
        )
        read.outcomes = [
            (sku, outcome) for (sku, _q, _n), outcome in zip(read.items, outcomes, strict=True)
        ]
        audit(
            actor=acting_user,
            organization=organization,
            action="cart.quick_order",
            changes={
                "lines": len(read.items) + len(read.problems),
                "added": sum(o.added for o in outcomes),
            },
        )
    return read


# --- Saved lists -------------------------------------------------------------------------------


def _name_checked(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise SavedListInvalid(_("Give the list a name."), field="name")
    if len(name) > 100:
        raise SavedListInvalid(_("A list's name is at most 100 characters."), field="name")
    return name


def _name_taken(organization: Organization, name: str, *, other_than: int | None = None) -> bool:
    lists = SavedList.objects.visible_to(organization).filter(
        organization=organization, name__iexact=name
    )
    if other_than is not None:
        lists = lists.exclude(pk=other_than)
    return lists.exists()


@transaction.atomic
def saved_list_create(*, organization: Organization, name: str, acting_user: User) -> SavedList:
    """A new, empty list of the buyer's; ``saved_list_invalid`` for a name already in use."""
    buyer_required(organization=organization, user=acting_user)
    name = _name_checked(name)
    if _name_taken(organization, name):
        raise SavedListInvalid(
            _("You already have a list named %(name)s.") % {"name": name}, field="name"
        )
    saved_list = SavedList(organization=organization, name=name, created_by=acting_user)
    try:
        with transaction.atomic():
            saved_list.save()
    except IntegrityError:
        raise SavedListInvalid(
            _("You already have a list named %(name)s.") % {"name": name}, field="name"
        ) from None
    audit(
        actor=acting_user,
        organization=organization,
        action="saved_list.created",
        target=saved_list,
    )
    return saved_list


@transaction.atomic
def saved_list_rename(*, saved_list: SavedList, name: str, acting_user: User) -> SavedList:
    organization = saved_list.organization
    buyer_required(organization=organization, user=acting_user)
    name = _name_checked(name)
    if _name_taken(organization, name, other_than=saved_list.pk):
        raise SavedListInvalid(
            _("You already have a list named %(name)s.") % {"name": name}, field="name"
        )
    before = saved_list.name
    saved_list.name = name
    saved_list.save(update_fields=["name", "updated_at"])
    audit(
        actor=acting_user,
        organization=organization,
        action="saved_list.renamed",
        target=saved_list,
        changes={"name": [before, name]},
    )
    return saved_list


@transaction.atomic
def saved_list_delete(*, saved_list: SavedList, acting_user: User) -> None:
    organization = saved_list.organization
    buyer_required(organization=organization, user=acting_user)
    audit(
        actor=acting_user,
        organization=organization,
        action="saved_list.deleted",
        target=saved_list,
        changes={"name": saved_list.name},
    )
    saved_list.delete()


@transaction.atomic
def saved_list_add_item(
    *,
    organization: Organization,
    sku: SKU,
    quantity: int,
    acting_user: User,
    saved_list: SavedList | None = None,
    list_name: str = "",
) -> SavedListItem:
    """Put a SKU on one of the buyer's lists (named ``list_name``, made if new, when no list is
    given); a SKU already on it takes the new quantity."""
    buyer_required(organization=organization, user=acting_user)
    if quantity < 1:
        raise SavedListInvalid(_("Enter a quantity of at least 1."), field="quantity")
    if not orderable_skus([sku.pk]).exists():
        raise SavedListInvalid(_("This product is not on sale."), field="sku")
    if saved_list is None:
        name = _name_checked(list_name)
        saved_list = (
            SavedList.objects.visible_to(organization)
            .filter(organization=organization, name__iexact=name)
            .first()
        ) or saved_list_create(organization=organization, name=name, acting_user=acting_user)
    saved_list = (
        SavedList.objects.visible_to(organization).select_for_update().get(pk=saved_list.pk)
    )
    items = SavedListItem.objects.visible_to(organization).filter(saved_list=saved_list)
    item = items.filter(sku=sku).first()
    if item is None:
        if items.aggregate(n=Count("pk"))["n"] >= MAX_LIST_ITEMS:
            raise SavedListInvalid(
                _("A list holds at most %(n)s products.") % {"n": MAX_LIST_ITEMS}, field="sku"
            )
        item = SavedListItem(organization=organization, saved_list=saved_list, sku=sku)
    item.quantity = quantity
    item.save()
    saved_list.save(update_fields=["updated_at"])
    audit(
        actor=acting_user,
        organization=organization,
        action="saved_list.item_saved",
        target=saved_list,
        changes={"sku": sku.code, "quantity": quantity},
    )
    return item


@transaction.atomic
def saved_list_remove_item(*, item: SavedListItem, acting_user: User) -> None:
    organization = item.organization
    buyer_required(organization=organization, user=acting_user)
    audit(
        actor=acting_user,
        organization=organization,
        action="saved_list.item_removed",
        target=item.saved_list,
        changes={"sku": item.sku_id},
    )
    item.delete()


@transaction.atomic
def saved_list_to_cart(
    *, saved_list: SavedList, acting_user: User
) -> list[tuple[SavedListItem, LineOutcome]]:
    """Put every item of the list in the cart; each says whether it went in or why not."""
    organization = saved_list.organization
    buyer_required(organization=organization, user=acting_user)
    items = list(
        SavedListItem.objects.visible_to(organization)
        .filter(saved_list=saved_list)
        .select_related("sku__product")
    )
    if not items:
        raise SavedListInvalid(_("The list is empty."))
    outcomes = cart_add_many(
        organization=organization,
        items=[(item.sku_id, item.quantity) for item in items],
        acting_user=acting_user,
    )
    audit(
        actor=acting_user,
        organization=organization,
        action="saved_list.to_cart",
        target=saved_list,
        changes={"added": sum(o.added for o in outcomes), "items": len(items)},
    )
    return [
        (item, _with_code(outcome, item.sku.code))
        for item, outcome in zip(items, outcomes, strict=True)
    ]
