"""The buyer's cart: lines of orderable SKUs at quantities the merchant sells."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import SKU
from network.models import Organization, User
from network.services import audit
from orders.errors import (
    InsufficientStock,
    ProductUnavailable,
    QuantityNotAllowed,
)
from orders.models import (
    Cart,
    CartLine,
)
from orders.selectors import orderable_skus, quote
from orders.services.common import buyer_required


def cart_for(*, organization: Organization) -> Cart:
    cart, _created = Cart.objects.visible_to(organization).get_or_create(organization=organization)
    return cart


def _orderable_sku(sku_id: int) -> SKU:
    """A SKU of an active listing of a merchant in good standing, with tiers and stock."""
    sku = (
        orderable_skus([sku_id])
        .select_related("product", "organization", "inventory")
        .prefetch_related("tiers")
        .first()
    )
    if sku is None:
        raise ProductUnavailable(_("This product is not available to order."))
    return sku


def _check_quantity(sku: SKU, quantity: int) -> None:
    # The stock first: no whole number of cases makes a quantity above it orderable, so the
    # buyer learns what is there rather than how to round a number that cannot be met.
    inventory = getattr(sku, "inventory", None)
    available = inventory.available if inventory is not None else 0
    if quantity > available:
        raise InsufficientStock(
            _("Only %(available)s units of %(code)s are in stock; you asked for %(requested)s.")
            % {"available": available, "code": sku.code, "requested": quantity},
            lines=[{"sku": sku.pk, "requested": quantity, "available": available}],
        )
    quote(sku=sku, quantity=quantity)


@transaction.atomic
def cart_add(
    *, organization: Organization, sku_id: int, quantity: int, acting_user: User
) -> CartLine:
    """Add units of a SKU to the buyer's cart (on top of what is there). Refuses quantities
    below the MOQ, outside whole case packs, or above the stock available now."""
    buyer_required(organization=organization, user=acting_user)
    sku = _orderable_sku(sku_id)
    cart = (
        Cart.objects.visible_to(organization)
        .select_for_update()
        .get(pk=cart_for(organization=organization).pk)
    )
    line = CartLine.objects.visible_to(organization).filter(cart=cart, sku=sku).first()
    total = (line.quantity if line else 0) + quantity
    if quantity < 1:
        raise QuantityNotAllowed(_("Order at least one case."))
    _check_quantity(sku, total)
    if line is None:
        line = CartLine(organization=organization, cart=cart, sku=sku, added_by=acting_user)
    line.quantity = total
    line.full_clean(validate_unique=False, validate_constraints=False)
    line.save()
    cart.save(update_fields=["updated_at"])
    audit(
        actor=acting_user,
        organization=organization,
        action="cart.line_added",
        target=cart,
        changes={"sku": sku.code, "quantity": total},
    )
    return line


@transaction.atomic
def cart_line_update(*, line: CartLine, quantity: int, acting_user: User) -> CartLine | None:
    """Change a cart line's quantity; 0 removes it. Same rules as adding."""
    buyer_required(organization=line.organization, user=acting_user)
    if quantity <= 0:
        cart_line_remove(line=line, acting_user=acting_user)
        return None
    sku = _orderable_sku(line.sku_id)
    _check_quantity(sku, quantity)
    before = line.quantity
    line.quantity = quantity
    line.full_clean(validate_unique=False, validate_constraints=False)
    line.save(update_fields=["quantity"])
    audit(
        actor=acting_user,
        organization=line.organization,
        action="cart.line_changed",
        target=line.cart,
        changes={"sku": sku.code, "quantity": [before, quantity]},
    )
    return line


@transaction.atomic
def cart_line_remove(*, line: CartLine, acting_user: User) -> None:
    """Take a line out of the cart."""
    buyer_required(organization=line.organization, user=acting_user)
    audit(
        actor=acting_user,
        organization=line.organization,
        action="cart.line_removed",
        target=line.cart,
        changes={"sku": line.sku_id, "quantity": line.quantity},
    )
    line.delete()


@transaction.atomic
def cart_add_quoted(
    *,
    organization: Organization,
    sku_id: int,
    quantity: int,
    tiers: list[tuple[int, Decimal]],
    moq: int,
    quotation_number: str,
    valid_until: datetime,
    acting_user: User,
) -> CartLine:
    """Put ``quantity`` units of a SKU in the buyer's cart at a quotation's prices (``tiers``:
    (from quantity, unit price USD), its ``moq``), honoured at checkout until ``valid_until``.
    The quotation replaces any list-price line of the SKU. Called by ``deals`` when a buyer
    accepts a quotation; refuses a SKU no longer orderable."""
    raise NotImplementedError


@transaction.atomic
def cart_add_sample(
    *, organization: Organization, sku_id: int, quantity: int, acting_user: User
) -> CartLine:
    """Put sample units of a SKU in the cart at its sample price, outside its MOQ and case
    pack, within its limit per buyer (counting samples already ordered)."""
    raise NotImplementedError


@dataclass(frozen=True)
class LineOutcome:
    """What became of one wanted line: ``added`` (with the quantity put in the cart, which may
    be rounded up to the MOQ or a whole case only if ``adjust`` was asked) or the reason it
    was not: ``unavailable``, ``below_moq``, ``case_pack``, ``insufficient_stock``; ``message``
    says it to the buyer in their language."""

    sku_id: int | None
    code: str
    requested: int
    outcome: str
    quantity: int = 0
    message: str = ""


def cart_add_many(
    *, organization: Organization, items: list[tuple[int, int]], acting_user: User
) -> list[LineOutcome]:
    """Put many (SKU id, quantity) lines in the cart (a reorder, a quick order, a saved list),
    each line on its own: a line that cannot be ordered is reported, not raised, and the
    others still go in. One transaction."""
    raise NotImplementedError
