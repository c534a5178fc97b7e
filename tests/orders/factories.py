"""Order test data: buyers, approved merchants with active SKUs, and placed orders. Products
are made through the catalogue's services (without images, then listed directly) so prices,
MOQ and stock are what production would hold."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django_scopes import scope, scopes_disabled

from catalog.models import SKU, Inventory, ListingState, Product
from network.cache import products_changed
from network.models import Organization, Role
from orders import services
from payments.models import BuyerCredit
from tests.catalog import factories as catalog_factories
from tests.factories import OrganizationFactory, member


def buyer(
    name: str = "Hangzhou Westlake Global Store",
    role: str = Role.BUYER,
    *,
    credit_limit: Decimal | str = "1000000.00",
    **user_fields,
):
    """A buyer organisation and a member; the operators granted it ``credit_limit`` of net
    terms (the orders' default terms here), so placing is not refused for credit."""
    organization = OrganizationFactory(name=name, kind=Organization.Kind.BUYER)
    if Decimal(credit_limit):
        with scopes_disabled():
            BuyerCredit.objects.create(organization=organization, limit_usd=Decimal(credit_limit))
    return organization, member(organization, role, **user_fields)


def merchant(name: str = "Great Lakes Maple Co.", **kwargs):
    return catalog_factories.merchant(name, **kwargs)


def sku(
    organization,
    owner,
    *,
    code: str | None = None,
    title: str = "Pure Michigan Maple Syrup 500 ml",
    moq: int = 12,
    case_pack: int = 6,
    tiers=((12, "8.50"), (48, "7.90"), (144, "7.25")),
    on_hand: int = 500,
) -> SKU:
    """An orderable SKU: an active listing of ``organization`` with price tiers and stock."""
    product = catalog_factories.product(
        organization,
        owner,
        title_en=title,
        code=code,
        moq=moq,
        case_pack=case_pack,
        tiers=tiers,
        on_hand=on_hand,
        image=False,
        publish=False,
    )
    with scopes_disabled():
        Product.objects.filter(pk=product.pk).update(state=ListingState.ACTIVE)
        products_changed([product.pk], browse=True)  # as publishing does
        return SKU.objects.select_related("product").get(product=product)


def stock(sku_obj: SKU) -> Inventory:
    with scopes_disabled():
        return Inventory.objects.get(sku=sku_obj)


def checkout(**overrides) -> services.Checkout:
    values = {
        "delivery_type": "bonded",
        "delivery_location": "Ningbo Meishan bonded warehouse",
        "incoterm": "FOB",
        "payment_terms": "net30",
        "buyer_reference": "HZ-2026-001",
        "notes": "",
    }
    values.update(overrides)
    return services.Checkout(**values)


def place(organization, user, items, *, key: str | None = None, **checkout_fields):
    """Place a purchase order for [(sku, quantity)] as ``user`` of ``organization``."""
    with scope(organization=organization):
        return services.purchase_order_place(
            organization=organization,
            items=[(s.pk, quantity) for s, quantity in items],
            checkout=checkout(**checkout_fields),
            idempotency_key=key or uuid.uuid4().hex,
            acting_user=user,
        )


def add_to_cart(organization, user, sku_obj: SKU, quantity: int):
    """Put ``quantity`` units of ``sku_obj`` in ``organization``'s cart as ``user``."""
    with scope(organization=organization):
        return services.cart_add(
            organization=organization, sku_id=sku_obj.pk, quantity=quantity, acting_user=user
        )


def check_out(organization, user, *, key: str | None = None, **checkout_fields):
    """Check out ``organization``'s whole cart as ``user``."""
    with scope(organization=organization):
        return services.purchase_order_place_from_cart(
            organization=organization,
            checkout=checkout(**checkout_fields),
            idempotency_key=key or uuid.uuid4().hex,
            acting_user=user,
        )


def fan_out(purchase_order):
    return services.purchase_order_fan_out(purchase_order_id=purchase_order.pk)


def merchant_order_of(purchase_order, merchant_org):
    from orders.models import MerchantOrder

    with scopes_disabled():
        return MerchantOrder.objects.select_related("organization", "buyer").get(
            purchase_order=purchase_order, organization=merchant_org
        )


MONEY = Decimal
