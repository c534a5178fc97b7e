"""Demo orders for the demo buyer ``hangzhou-westlake-global-store``: a cart across three
merchants and purchase orders in every state, made through the services from the catalogue's
demo listings. Skipped when there are no listings yet; a second run changes nothing."""

from __future__ import annotations

from django.db.models import F

from catalog.models import SKU, Inventory
from catalog.selectors import public_products
from network.demo import DEMO_BUYER_SLUG
from network.models import Membership, Organization, Role
from orders import services
from orders.models import Cart, CartLine, MerchantOrder, PurchaseOrder

CHECKOUT = services.Checkout(
    delivery_type="bonded",
    delivery_location="Ningbo Meishan bonded warehouse, Zone B",
    incoterm="FOB",
    payment_terms="net30",
    notes="Bilingual (EN/中文) carton labels, please.",
)

# (reference, what the merchants do with their parts)
SCENARIOS = [
    ("WL-DEMO-01", ["none", "none", "none"]),  # placed
    ("WL-DEMO-02", ["accept", "none", "none"]),  # partly accepted
    ("WL-DEMO-03", ["pack", "accept", "reject"]),  # in fulfilment
    ("WL-DEMO-04", ["ship", "ship", "none"]),  # partly accepted, two parts on the water
    ("WL-DEMO-05", ["ship", "deliver", "ship"]),  # shipped
    ("WL-DEMO-06", ["close", "close", "close"]),  # completed
    ("WL-DEMO-07", ["reject", "reject", "reject"]),  # cancelled (all rejected)
    ("WL-DEMO-08", ["buyer_cancel", "buyer_cancel", "buyer_cancel"]),  # cancelled by the buyer
]


def _orderable_skus() -> dict[int, list[SKU]]:
    """Demo SKUs with plenty of stock, by merchant (three per merchant at most)."""
    skus = (
        SKU.objects.filter(product__in=public_products(), inventory__on_hand__gte=F("moq") * 40)
        .select_related("product", "organization")
        .order_by("organization__name", "pk")
    )
    by_merchant: dict[int, list[SKU]] = {}
    for sku in skus[:2000]:
        group = by_merchant.setdefault(sku.organization_id, [])
        if len(group) < 3:
            group.append(sku)
    return by_merchant


def _staff(organization: Organization):
    membership = (
        Membership.objects.filter(
            organization=organization, role__in=[Role.OWNER, Role.ADMIN, Role.STAFF]
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def seed() -> dict[str, int]:
    store = Organization.objects.filter(slug=DEMO_BUYER_SLUG).first()
    if store is None:
        return {"purchase_orders": 0}
    if PurchaseOrder.objects.filter(
        organization=store, idempotency_key__startswith="demo:"
    ).exists():
        return {"purchase_orders": 0}
    buyer_user = _staff_buyer(store)
    by_merchant = {k: v for k, v in _orderable_skus().items() if _staff(v[0].organization)}
    if buyer_user is None or len(by_merchant) < 3:
        return {"purchase_orders": 0}
    merchants = list(by_merchant)[:6]
    created = 0
    for index, (reference, plan) in enumerate(SCENARIOS):
        chosen = [merchants[(index + n) % len(merchants)] for n in range(3)]
        items = []
        for n, merchant_id in enumerate(chosen):
            sku = by_merchant[merchant_id][(index + n) % len(by_merchant[merchant_id])]
            items.append((sku.pk, sku.moq * (1 + (index + n) % 4)))
        purchase_order = services.purchase_order_place(
            organization=store,
            items=items,
            checkout=services.Checkout(**{**CHECKOUT.__dict__, "buyer_reference": reference}),
            idempotency_key=f"demo:{reference}",
            acting_user=buyer_user,
        )
        services.purchase_order_fan_out(purchase_order_id=purchase_order.pk)
        created += 1
        parts = {
            mo.organization_id: mo
            for mo in MerchantOrder.objects.filter(purchase_order=purchase_order).select_related(
                "organization", "buyer"
            )
        }
        if plan[0] == "buyer_cancel":
            services.purchase_order_cancel(
                purchase_order=purchase_order,
                reason="Ordered twice by mistake.",
                acting_user=buyer_user,
            )
            continue
        for merchant_id, step in zip(chosen, plan, strict=True):
            _advance(parts[merchant_id], step, buyer_user)
    _fill_cart(store, buyer_user, by_merchant, merchants)
    return {
        "purchase_orders": created,
        "cart_lines": CartLine.objects.filter(organization=store).count(),
    }


def _staff_buyer(store: Organization):
    membership = (
        Membership.objects.filter(organization=store, role__in=[Role.BUYER, Role.OWNER, Role.ADMIN])
        .select_related("user")
        .order_by("role", "pk")
        .first()
    )
    return membership.user if membership else None


def _advance(merchant_order: MerchantOrder, step: str, buyer_user) -> None:
    user = _staff(merchant_order.organization)
    order = ["accept", "pack", "ship", "deliver", "close"]
    if step == "none":
        return
    if step == "reject":
        services.merchant_order_reject(
            merchant_order=merchant_order, reason="Sold out until the spring run.", acting_user=user
        )
        return
    for action in order[: order.index(step) + 1]:
        if action == "accept":
            services.merchant_order_accept(merchant_order=merchant_order, acting_user=user)
        elif action == "pack":
            services.merchant_order_pack(merchant_order=merchant_order, acting_user=user)
        elif action == "ship":
            services.merchant_order_ship(
                merchant_order=merchant_order,
                carrier_name="Maersk",
                booking_reference=f"MAEU{merchant_order.pk:09d}",
                tracking_number=f"1Z{merchant_order.pk:016d}",
                acting_user=user,
            )
        elif action == "deliver":
            services.merchant_order_mark_delivered(merchant_order=merchant_order, acting_user=user)
        elif action == "close":
            services.merchant_order_close(merchant_order=merchant_order, acting_user=buyer_user)


def _fill_cart(store, buyer_user, by_merchant, merchants) -> None:
    cart, _ = Cart.objects.get_or_create(organization=store)
    for merchant_id in merchants[:3]:
        sku = by_merchant[merchant_id][-1]
        available = Inventory.objects.get(sku=sku).available
        if available >= sku.moq * 2 and not CartLine.objects.filter(cart=cart, sku=sku).exists():
            CartLine.objects.create(
                organization=store, cart=cart, sku=sku, quantity=sku.moq * 2, added_by=buyer_user
            )
