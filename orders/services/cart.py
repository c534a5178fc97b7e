"""The buyer's cart: lines of orderable SKUs at quantities the merchant sells."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from network.errors import DomainError
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
from orders.pricing import Quoted, quoted_refusal, sample_refusal, samples_ordered
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


def _check_stock(sku: SKU, quantity: int) -> None:
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


def _check_quantity(
    sku: SKU,
    quantity: int,
    *,
    organization: Organization,
    is_sample: bool = False,
    quoted: Quoted | None = None,
) -> None:
    """Raise what stops ``quantity`` units of the line being ordered: stock, then the sample's
    limit, the quotation's terms or the SKU's MOQ and case pack."""
    _check_stock(sku, quantity)
    refusal = None
    if is_sample:
        already = samples_ordered(buyer=organization, sku_ids=[sku.pk]).get(sku.pk, 0)
        refusal = sample_refusal(sku=sku, quantity=quantity, already=already)
    elif quoted is not None:
        refusal = quoted_refusal(sku=sku, quantity=quantity, quoted=quoted, now=timezone.now())
    else:
        quote(sku=sku, quantity=quantity)
    if refusal is not None:
        raise refusal


def _locked_cart(organization: Organization) -> Cart:
    return (
        Cart.objects.visible_to(organization)
        .select_for_update()
        .get(pk=cart_for(organization=organization).pk)
    )


def _line_of(
    organization: Organization, cart: Cart, sku: SKU, *, is_sample: bool
) -> CartLine | None:
    return (
        CartLine.objects.visible_to(organization)
        .filter(cart=cart, sku=sku, is_sample=is_sample)
        .first()
    )


def _save_line(line: CartLine, *, acting_user: User, action: str) -> CartLine:
    line.full_clean(validate_unique=False, validate_constraints=False)
    line.save()
    line.cart.save(update_fields=["updated_at"])
    changes: dict[str, object] = {"sku": line.sku.code, "quantity": line.quantity}
    if line.is_sample:
        changes["sample"] = True
    if line.quotation_number:
        changes["quotation"] = line.quotation_number
    audit(
        actor=acting_user,
        organization=line.organization,
        action=action,
        target=line.cart,
        changes=changes,
    )
    return line


@transaction.atomic
def cart_add(
    *,
    organization: Organization,
    sku_id: int,
    quantity: int,
    acting_user: User,
    sample: bool = False,
) -> CartLine:
    """Add units of a SKU to the buyer's cart (on top of what is there). Refuses quantities
    below the MOQ (a quotation's MOQ on a quoted line), outside whole case packs, or above the
    stock available now. ``sample``: see ``cart_add_sample``."""
    if sample:
        return cart_add_sample(
            organization=organization, sku_id=sku_id, quantity=quantity, acting_user=acting_user
        )
    buyer_required(organization=organization, user=acting_user)
    sku = _orderable_sku(sku_id)
    cart = _locked_cart(organization)
    return _add(organization=organization, cart=cart, sku=sku, quantity=quantity, user=acting_user)


def _add(
    *, organization: Organization, cart: Cart, sku: SKU, quantity: int, user: User
) -> CartLine:
    line = _line_of(organization, cart, sku, is_sample=False)
    total = (line.quantity if line else 0) + quantity
    if quantity < 1:
        raise QuantityNotAllowed(_("Order at least one case."))
    _check_quantity(sku, total, organization=organization, quoted=Quoted.of(line) if line else None)
    if line is None:
        line = CartLine(organization=organization, cart=cart, sku=sku, added_by=user)
    line.quantity = total
    return _save_line(line, acting_user=user, action="cart.line_added")


@transaction.atomic
def cart_line_update(*, line: CartLine, quantity: int, acting_user: User) -> CartLine | None:
    """Change a cart line's quantity; 0 removes it. Same rules as adding."""
    buyer_required(organization=line.organization, user=acting_user)
    if quantity <= 0:
        cart_line_remove(line=line, acting_user=acting_user)
        return None
    sku = _orderable_sku(line.sku_id)
    _check_quantity(
        sku,
        quantity,
        organization=line.organization,
        is_sample=line.is_sample,
        quoted=Quoted.of(line),
    )
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
        changes={"sku": line.sku_id, "quantity": line.quantity, "sample": line.is_sample},
    )
    line.delete()


@transaction.atomic
def cart_line_drop_quotation(*, line: CartLine, acting_user: User) -> CartLine:
    """Go on with a quoted line at the buyer's list price (price list or tiers): the
    quotation's terms leave the line, its quantity stays (the cart then says if it falls short
    of the SKU's MOQ or case pack)."""
    buyer_required(organization=line.organization, user=acting_user)
    number = line.quotation_number
    line.quoted_tiers = []
    line.quoted_moq = None
    line.quotation_number = ""
    line.quoted_until = None
    line.save(update_fields=["quoted_tiers", "quoted_moq", "quotation_number", "quoted_until"])
    audit(
        actor=acting_user,
        organization=line.organization,
        action="cart.quotation_dropped",
        target=line.cart,
        changes={"sku": line.sku_id, "quotation": number},
    )
    return line


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
    accepts a quotation; refuses a SKU no longer orderable, a quotation already expired
    (``QuotationExpired``) and a quantity outside its MOQ or the SKU's case pack
    (``QuantityNotAllowed``). Stock is not checked here: the cart and checkout say it."""
    buyer_required(organization=organization, user=acting_user)
    if not tiers:
        raise QuantityNotAllowed(_("The quotation has no price."))
    sku = _orderable_sku(sku_id)
    quoted = Quoted(
        number=quotation_number,
        tiers=tuple(sorted((int(qty), Decimal(price)) for qty, price in tiers)),
        moq=max(int(moq), 1),
        until=valid_until,
    )
    refusal = quoted_refusal(sku=sku, quantity=quantity, quoted=quoted, now=timezone.now())
    if refusal is not None:
        raise refusal
    cart = _locked_cart(organization)
    line = _line_of(organization, cart, sku, is_sample=False) or CartLine(
        organization=organization, cart=cart, sku=sku, added_by=acting_user
    )
    line.quantity = quantity
    line.quoted_tiers = [[qty, str(price)] for qty, price in quoted.tiers]
    line.quoted_moq = quoted.moq
    line.quotation_number = quotation_number
    line.quoted_until = valid_until
    return _save_line(line, acting_user=acting_user, action="cart.quotation_added")


@transaction.atomic
def cart_add_sample(
    *, organization: Organization, sku_id: int, quantity: int, acting_user: User
) -> CartLine:
    """Put sample units of a SKU in the cart at its sample price, outside its MOQ and case
    pack, within its limit per buyer (counting samples already ordered). Raises
    ``SampleNotOffered``, ``SampleLimitReached`` or ``InsufficientStock``."""
    buyer_required(organization=organization, user=acting_user)
    sku = _orderable_sku(sku_id)
    if quantity < 1:
        raise QuantityNotAllowed(_("Order at least one sample unit."))
    cart = _locked_cart(organization)
    line = _line_of(organization, cart, sku, is_sample=True)
    total = (line.quantity if line else 0) + quantity
    _check_quantity(sku, total, organization=organization, is_sample=True)
    if line is None:
        line = CartLine(
            organization=organization, cart=cart, sku=sku, is_sample=True, added_by=acting_user
        )
    line.quantity = total
    return _save_line(line, acting_user=acting_user, action="cart.sample_added")


@dataclass(frozen=True)
class LineOutcome:
    """What became of one wanted line: ``added`` (with the quantity put in the cart, which may
    be rounded up to the MOQ or a whole case only if ``adjust`` was asked) or the reason it
    was not: ``unavailable``, ``below_moq``, ``case_pack``, ``insufficient_stock`` (or
    ``not_allowed`` for any other refusal, e.g. the cart's line of the SKU is at a quotation
    that has expired); ``message`` says it to the buyer in their language."""

    sku_id: int | None
    code: str
    requested: int
    outcome: str
    quantity: int = 0
    message: str = ""

    @property
    def added(self) -> bool:
        return self.outcome == "added"


def _rounded_up(total: int, *, moq: int, case_pack: int) -> int:
    total = max(total, moq)
    return -(-total // case_pack) * case_pack


@transaction.atomic
def cart_add_many(
    *,
    organization: Organization,
    items: list[tuple[int, int]],
    acting_user: User,
    adjust: bool = False,
) -> list[LineOutcome]:
    """Put many (SKU id, quantity) lines in the cart (a reorder, a quick order, a saved list),
    each line on its own: a line that cannot be ordered is reported, not raised, and the
    others still go in. With ``adjust``, a quantity below the MOQ or outside whole cases is
    rounded up instead of refused. One transaction; an outcome per item, in order."""
    buyer_required(organization=organization, user=acting_user)
    wanted_ids = {int(sku_id) for sku_id, _qty in items if sku_id is not None}
    skus = {
        sku.pk: sku
        for sku in orderable_skus(wanted_ids)
        .select_related("product", "organization", "inventory")
        .prefetch_related("tiers")
    }
    cart = _locked_cart(organization)
    outcomes: list[LineOutcome] = []
    for sku_id, requested in items:
        sku = skus.get(int(sku_id)) if sku_id is not None else None
        if sku is None:
            outcomes.append(
                LineOutcome(
                    sku_id=sku_id,
                    code="",
                    requested=requested,
                    outcome="unavailable",
                    message=_("This product is no longer available to order."),
                )
            )
            continue
        outcomes.append(
            _add_one(
                organization=organization,
                cart=cart,
                sku=sku,
                requested=int(requested),
                adjust=adjust,
                user=acting_user,
            )
        )
    return outcomes


def _add_one(
    *, organization: Organization, cart: Cart, sku: SKU, requested: int, adjust: bool, user: User
) -> LineOutcome:
    line = _line_of(organization, cart, sku, is_sample=False)
    quoted = Quoted.of(line) if line else None
    before = line.quantity if line else 0
    moq = quoted.moq if quoted else sku.moq
    quantity = max(requested, 0)
    total = before + quantity
    if adjust:
        total = _rounded_up(max(total, 1), moq=moq, case_pack=sku.case_pack)
        quantity = total - before
    outcome = LineOutcome(sku_id=sku.pk, code=sku.code, requested=requested, outcome="added")
    refused = None
    if total < moq:
        refused = "below_moq"
    elif total % sku.case_pack:
        refused = "case_pack"
    try:
        with transaction.atomic():
            _add(organization=organization, cart=cart, sku=sku, quantity=quantity, user=user)
    except InsufficientStock as error:
        return replace(outcome, outcome="insufficient_stock", message=error.message)
    except QuantityNotAllowed as error:
        return replace(outcome, outcome=refused or "not_allowed", message=error.message)
    except DomainError as error:
        return replace(outcome, outcome="not_allowed", message=error.message)
    return replace(outcome, quantity=quantity)
