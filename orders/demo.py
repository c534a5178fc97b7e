"""Demo orders for the demo buyer ``hangzhou-westlake-global-store``: a cart across three
merchants and purchase orders in every state, made through the services from the catalogue's
demo listings. Then a year of history across every demo buyer and merchant, so the dashboards
have a real shape: written in bulk, every order of it shipped, closed, rejected or cancelled
(none holds stock). Skipped when there are no listings yet; a second run changes nothing."""

from __future__ import annotations

import random
import zlib
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from catalog.models import SKU, Inventory, PriceTier
from catalog.selectors import public_products
from merchants.models import ApplicationStatus, MerchantApplication
from network.demo import DEMO_BUYER_SLUG, demo_staff
from network.models import Membership, Organization, Role
from orders import services
from orders.dashboard import daily_sales_refresh
from orders.models import (
    Cart,
    CartLine,
    LineStatus,
    MerchantOrder,
    MerchantOrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)

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


def seed() -> dict[str, int]:
    summary = _seed_scenarios()
    history = seed_history()
    if history:
        summary["history_purchase_orders"] = history
        daily_sales_refresh(days=HISTORY_DAYS + 7)
    return summary


def _seed_scenarios() -> dict[str, int]:
    store = Organization.objects.filter(slug=DEMO_BUYER_SLUG).first()
    if store is None:
        return {"purchase_orders": 0}
    if PurchaseOrder.objects.filter(
        organization=store, idempotency_key__startswith="demo:"
    ).exists():
        return {"purchase_orders": 0}
    buyer_user = _staff_buyer(store)
    by_merchant = _orderable_skus()
    if buyer_user is None or len(by_merchant) < 3:
        return {"purchase_orders": 0}
    merchants = list(by_merchant)[:6]
    # A sample beside the cases of the first order, where the catalogue offers one.
    sample_sku = _sample_sku()
    created = 0
    for index, (reference, plan) in enumerate(SCENARIOS):
        chosen = [merchants[(index + n) % len(merchants)] for n in range(3)]
        items = []
        for n, merchant_id in enumerate(chosen):
            sku = by_merchant[merchant_id][(index + n) % len(by_merchant[merchant_id])]
            items.append((sku.pk, sku.moq * (1 + (index + n) % 4)))
        if index == 0 and sample_sku is not None:
            items.append(services.OrderItem(sku_id=sample_sku.pk, quantity=1, is_sample=True))
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
            if reference == "WL-DEMO-05" and step == "deliver":
                _report_damage(parts[merchant_id], buyer_user)
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
    user = demo_staff(merchant_order.organization)
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
                tracking_number=_container_number("Maersk", merchant_order.number),
                acting_user=user,
            )
        elif action == "deliver":
            services.merchant_order_mark_delivered(merchant_order=merchant_order, acting_user=user)
        elif action == "close":
            services.merchant_order_close(merchant_order=merchant_order, acting_user=buyer_user)


def _report_damage(merchant_order: MerchantOrder, buyer_user) -> None:
    """The buyer reports crushed cases on a part delivered to consolidation, with a photo."""
    import io

    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (480, 360), (196, 164, 120))
    ImageDraw.Draw(picture).rectangle((60, 80, 420, 300), outline=(90, 60, 30), width=8)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG")
    buffer.name = "crushed-case.jpg"
    buffer.seek(0)
    services.receipt_problem_report(
        merchant_order=MerchantOrder.objects.select_related(
            "organization", "buyer", "purchase_order"
        ).get(pk=merchant_order.pk),
        kind="damaged",
        description="Two cases crushed on the pallet; 6 bottles broken.",
        photos=[buffer],
        acting_user=buyer_user,
    )


def _sample_sku() -> SKU | None:
    """A demo SKU that offers a sample (the catalogue's demo sets a few), with stock."""
    return (
        SKU.objects.filter(
            product__in=public_products(),
            sample_price_usd__isnull=False,
            sample_limit_per_buyer__gte=2,
            inventory__on_hand__gte=10,
        )
        .order_by("pk")
        .first()
    )


def _fill_cart(store, buyer_user, by_merchant, merchants) -> None:
    cart, _ = Cart.objects.get_or_create(organization=store)
    sample_sku = _sample_sku()
    if sample_sku is not None:
        CartLine.objects.get_or_create(
            organization=store,
            cart=cart,
            sku=sample_sku,
            is_sample=True,
            defaults={"quantity": 1, "added_by": buyer_user},
        )
    for merchant_id in merchants[:3]:
        sku = by_merchant[merchant_id][-1]
        available = Inventory.objects.get(sku=sku).available
        in_cart = CartLine.objects.filter(cart=cart, sku=sku, is_sample=False).exists()
        if available >= sku.moq * 2 and not in_cart:
            CartLine.objects.create(
                organization=store, cart=cart, sku=sku, quantity=sku.moq * 2, added_by=buyer_user
            )


# --- A year of history -------------------------------------------------------------------------

HISTORY_KEY = "history:"
HISTORY_DAYS = 364


def _history_skus() -> dict[int, list[dict]]:
    """Active SKUs with their first-tier price, by merchant (eight per merchant at most)."""
    tiers = PriceTier.objects.filter(sku=OuterRef("pk")).order_by("min_quantity")
    rows = (
        SKU.objects.filter(product__in=public_products())
        .annotate(price=Subquery(tiers.values("unit_price_usd")[:1]))
        .filter(price__isnull=False)
        .order_by("organization_id", "pk")
        .values(
            "pk",
            "organization_id",
            "code",
            "product__title_en",
            "product__title_zh_hans",
            "variant_en",
            "variant_zh_hans",
            "case_pack",
            "moq",
            "price",
        )
    )
    by_merchant: dict[int, list[dict]] = {}
    for row in rows:
        group = by_merchant.setdefault(row["organization_id"], [])
        if len(group) < 8:
            group.append(row)
    return by_merchant


def _daily_volume(day: int, rng) -> int:
    """Purchase orders on ``day`` days before today: the network grows through the year, peaks
    before Singles' Day (11.11) and 618, and dips over the Chinese New Year holiday."""
    when = timezone.localdate() - timedelta(days=day)
    growth = 1.0 + 2.5 * (HISTORY_DAYS - day) / HISTORY_DAYS
    season = 1.0
    if (when.month == 10 and when.day >= 10) or (when.month == 11 and when.day <= 8):
        season = 1.8
    elif when.month == 5 and when.day >= 15 or when.month == 6 and when.day <= 12:
        season = 1.4
    elif (when.month == 1 and when.day >= 20) or (when.month == 2 and when.day <= 15):
        season = 0.45
    if when.weekday() >= 5:
        season *= 0.5
    return max(0, round(rng.gauss(1.6 * growth * season, 1.0)))


def seed_history(*, days: int = HISTORY_DAYS, seed: int = 2026) -> int:
    """A year of purchase orders from every demo buyer across the approved merchants, in bulk.
    Returns how many purchase orders it wrote (0 when there already are some, or nothing to
    order)."""
    if PurchaseOrder.objects.filter(idempotency_key__startswith=HISTORY_KEY).exists():
        return 0
    skus = _history_skus()
    # Approved merchants trade from their approval on (from the start when it is not recorded).
    approved = dict(
        MerchantApplication.objects.filter(
            organization_id__in=list(skus), status=ApplicationStatus.APPROVED
        ).values_list("organization_id", "approved_at")
    )
    merchant_ids = [m for m in skus if m in approved]
    buyers = list(
        Organization.objects.filter(kind=Organization.Kind.BUYER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not merchant_ids or not buyers:
        return 0
    rng = random.Random(seed)
    # A few big buyers and a long tail, as in any wholesale channel.
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(buyers))]
    rng.shuffle(weights)
    # The demo login's store is one of the big ones.
    demo_store = Organization.objects.filter(slug=DEMO_BUYER_SLUG).values_list("pk", flat=True)
    for store_id in demo_store:
        weights[buyers.index(store_id)] = max(weights) / 2
    merchant_weights = [1 / (rank + 1) ** 0.6 for rank in range(len(merchant_ids))]
    now = timezone.now()
    purchase_orders: list[PurchaseOrder] = []
    parts: list[tuple[int, list[tuple[MerchantOrder, list[PurchaseOrderLine]]]]] = []
    sequence = 0
    for day in range(days, 2, -1):
        for _ in range(_daily_volume(day, rng)):
            placed_at = now - timedelta(days=day, minutes=rng.randint(0, 60 * 14))
            open_merchants = [
                m
                for m in merchant_ids
                if approved.get(m) is None or approved[m] < placed_at - timedelta(days=10)
            ]
            if not open_merchants:
                continue
            sequence += 1
            buyer_id = rng.choices(buyers, weights)[0]
            count = min(len(open_merchants), rng.choice([1, 1, 2, 2, 3, 4]))
            chosen: list[int] = []
            while len(chosen) < count:
                pick = rng.choices(merchant_ids, merchant_weights)[0]
                if pick in open_merchants and pick not in chosen:
                    chosen.append(pick)
            number = f"POH{sequence:07d}"
            purchase_order = PurchaseOrder(
                organization_id=buyer_id,
                number=number,
                idempotency_key=f"{HISTORY_KEY}{number}",
                buyer_reference=f"B{buyer_id}-{sequence:05d}",
                delivery_type=rng.choice(["bonded", "warehouse", "port"]),
                delivery_location=rng.choice(
                    [
                        "Ningbo Meishan bonded warehouse",
                        "Shanghai Waigaoqiao free trade zone",
                        "Port of Shenzhen (CNSZX)",
                        "Hangzhou cross-border e-commerce zone",
                    ]
                ),
                incoterm=rng.choice(["FOB", "FOB", "CIF", "EXW"]),
                payment_terms=rng.choice(["prepaid", "net30", "net60"]),
                merchant_count=count,
                placed_at=placed_at,
                fanned_out_at=placed_at + timedelta(minutes=1),
            )
            order_parts = []
            for part, merchant_id in enumerate(chosen, start=1):
                order_parts.append(
                    _history_part(rng, purchase_order, part, merchant_id, skus, placed_at, now)
                )
            statuses = [mo.status for mo, _lines in order_parts]
            purchase_order.status = services.derive_status(statuses)
            if purchase_order.status == PurchaseOrderStatus.CANCELLED:
                purchase_order.cancelled_at = max(mo.ended_at for mo, _lines in order_parts)
            purchase_order.total_usd = sum(
                (line.line_total_usd for _mo, lines in order_parts for line in lines),
                Decimal("0.00"),
            )
            purchase_order.savings_usd = sum(
                (line.saving_usd for _mo, lines in order_parts for line in lines),
                Decimal("0.00"),
            )
            purchase_orders.append(purchase_order)
            parts.append((len(purchase_orders) - 1, order_parts))
    with transaction.atomic():
        PurchaseOrder.objects.bulk_create(purchase_orders, batch_size=1000)
        merchant_orders, lines = [], []
        for index, order_parts in parts:
            purchase_order = purchase_orders[index]
            for merchant_order, _lines in order_parts:
                merchant_order.purchase_order = purchase_order
                merchant_orders.append(merchant_order)
        MerchantOrder.objects.bulk_create(merchant_orders, batch_size=1000)
        for index, order_parts in parts:
            purchase_order = purchase_orders[index]
            for merchant_order, part_lines in order_parts:
                for line in part_lines:
                    line.purchase_order = purchase_order
                    line.merchant_order = merchant_order
                    lines.append(line)
        PurchaseOrderLine.objects.bulk_create(lines, batch_size=2000)
    return len(purchase_orders)


def _history_part(rng, purchase_order, part, merchant_id, skus, placed_at, now):
    """One merchant's part of a history order: its lines and where it ended up."""
    age = (now - placed_at).days
    roll = rng.random()
    if roll < 0.04:
        status = MerchantOrderStatus.REJECTED
    elif roll < 0.06:
        status = MerchantOrderStatus.CANCELLED
    elif age > 50:
        status = MerchantOrderStatus.CLOSED
    elif age > 30:
        status = rng.choice([MerchantOrderStatus.DELIVERED, MerchantOrderStatus.CLOSED])
    else:
        status = MerchantOrderStatus.SHIPPED
    accepted_at = placed_at + timedelta(hours=rng.uniform(2, 60))
    # Most merchants ship within a week; a slow tail takes two or three.
    shipped_at = accepted_at + timedelta(days=min(rng.lognormvariate(1.5, 0.55), 30))
    shipped = status in (
        MerchantOrderStatus.SHIPPED,
        MerchantOrderStatus.DELIVERED,
        MerchantOrderStatus.CLOSED,
    )
    if shipped and shipped_at > now - timedelta(hours=1):
        shipped_at = now - timedelta(hours=rng.uniform(1, 48))
    line_status = {
        MerchantOrderStatus.REJECTED: LineStatus.REJECTED,
        MerchantOrderStatus.CANCELLED: LineStatus.CANCELLED,
    }.get(status, LineStatus.SHIPPED)
    number = f"{purchase_order.number}-{part:02d}"
    carrier = rng.choice(["Maersk", "CMA CGM"]) if shipped else ""
    merchant_order = MerchantOrder(
        organization_id=merchant_id,
        buyer_id=purchase_order.organization_id,
        number=number,
        status=status,
        accept_by=placed_at + timedelta(days=3),
        created_at=placed_at + timedelta(minutes=1),
        accepted_at=accepted_at if shipped else None,
        packed_at=shipped_at - timedelta(hours=12) if shipped else None,
        shipped_at=shipped_at if shipped else None,
        delivered_at=shipped_at + timedelta(days=18)
        if status in (MerchantOrderStatus.DELIVERED, MerchantOrderStatus.CLOSED)
        else None,
        closed_at=shipped_at + timedelta(days=25) if status == MerchantOrderStatus.CLOSED else None,
        ended_at=accepted_at if not shipped else None,
        carrier_name=carrier,
        tracking_number=_container_number(carrier, number) if shipped else "",
        status_reason="Out of stock for this run."
        if status == MerchantOrderStatus.REJECTED
        else "",
    )
    choices = skus[merchant_id]
    lines = []
    for sku in rng.sample(choices, min(len(choices), rng.choice([1, 1, 2, 3]))):
        multiple = rng.choice([1, 1, 2, 2, 3, 4, 6, 10])
        quantity = max(sku["moq"], sku["case_pack"]) * multiple
        quantity += (-quantity) % sku["case_pack"]
        list_price = sku["price"]
        # Larger quantities reach the cheaper tiers.
        discount = Decimal("0.92") if multiple >= 4 else Decimal("1")
        unit_price = (list_price * discount).quantize(Decimal("0.01"))
        lines.append(
            PurchaseOrderLine(
                organization_id=purchase_order.organization_id,
                merchant_id=merchant_id,
                sku_id=sku["pk"],
                sku_code=sku["code"],
                product_title=sku["product__title_en"][:200],
                product_title_zh_hans=(sku["product__title_zh_hans"] or "")[:200],
                variant=sku["variant_en"] or "",
                variant_zh_hans=sku["variant_zh_hans"] or "",
                case_pack=sku["case_pack"],
                quantity=quantity,
                unit_price_usd=unit_price,
                list_unit_price_usd=list_price,
                line_total_usd=unit_price * quantity,
                status=line_status,
                reserved_quantity=0,
            )
        )
    merchant_order.subtotal_usd = sum((line.line_total_usd for line in lines), Decimal("0.00"))
    return merchant_order, lines


def _container_number(carrier: str, merchant_order_number: str) -> str:
    """A container number of the carrier's (owner code and seven digits), which its tracking
    page looks up. (Demo orders name no booking: bookings are seeded by shipping, after.)"""
    owner = {"Maersk": "MSKU", "CMA CGM": "CMAU"}.get(carrier, "GUMU")
    return f"{owner}{zlib.crc32(merchant_order_number.encode()) % 10_000_000:07d}"
