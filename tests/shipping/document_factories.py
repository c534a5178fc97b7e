"""Shipments for the trade document tests: a merchant order of a placed purchase order, shipped
on the merchant's booking, its lines with the cargo figures a shipment line holds (value = the
order line's total, cases = quantity / case pack)."""

from __future__ import annotations

from decimal import Decimal

from django_scopes import scopes_disabled

from network.models import Role
from orders.models import MerchantOrder, PurchaseOrderLine
from shipping.models import Shipment, ShipmentLine
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku
from tests.shipping.factories import SailingFactory, request_booking

NET_KG_PER_UNIT = Decimal("0.65")
CASE_TARE_KG = Decimal("1.10")
M3_PER_CASE = Decimal("0.012")


def shipment_line_of(shipment: Shipment, order_line: PurchaseOrderLine) -> ShipmentLine:
    """A current line of ``shipment`` carrying ``order_line``, its cargo figures derived from
    the quantity."""
    cases = max(order_line.quantity // order_line.case_pack, 1)
    net = NET_KG_PER_UNIT * order_line.quantity
    with scopes_disabled():
        hs_code = order_line.sku.product.hs_code if order_line.sku else "1702200000"
        return ShipmentLine.objects.create(
            organization=shipment.organization,
            buyer=shipment.buyer,
            shipment=shipment,
            merchant_order=order_line.merchant_order,
            order_line=order_line,
            sku_code=order_line.sku_code,
            description_en=" ".join(filter(None, [order_line.product_title, order_line.variant])),
            description_zh_hans=" ".join(
                filter(None, [order_line.product_title_zh_hans, order_line.variant_zh_hans])
            ),
            hs_code=hs_code,
            quantity=order_line.quantity,
            cases=cases,
            units_per_case=order_line.case_pack,
            net_weight_kg=net,
            gross_weight_kg=net + CASE_TARE_KG * cases,
            volume_m3=M3_PER_CASE * cases,
            unit_price_usd=order_line.unit_price_usd,
            value_usd=order_line.line_total_usd,
        )


def shipment_of(
    merchant_order: MerchantOrder, *, booking, shipping_marks: str = "", lines=None
) -> Shipment:
    """A planned shipment of ``merchant_order`` (all its lines, or ``lines``) on ``booking``."""
    with scopes_disabled():
        shipment = Shipment.objects.create(
            organization=merchant_order.organization,
            buyer=merchant_order.buyer,
            booking=booking,
            incoterm=merchant_order.purchase_order.incoterm or "FOB",
            shipping_marks=shipping_marks,
        )
        order_lines = list(lines if lines is not None else merchant_order.lines.order_by("pk"))
    for order_line in order_lines:
        shipment_line_of(shipment, order_line)
    return _retotal(shipment)


def _retotal(shipment: Shipment) -> Shipment:
    with scopes_disabled():
        lines = list(shipment.lines.filter(is_current=True))
        shipment.cases = sum(line.cases for line in lines)
        shipment.net_weight_kg = sum((line.net_weight_kg for line in lines), Decimal(0))
        shipment.gross_weight_kg = sum((line.gross_weight_kg for line in lines), Decimal(0))
        shipment.volume_m3 = sum((line.volume_m3 for line in lines), Decimal(0))
        shipment.value_usd = sum((line.value_usd for line in lines), Decimal(0))
        shipment.save()
    return shipment


def take_line_off(shipment: Shipment, order_line: PurchaseOrderLine) -> Shipment:
    """The order line no longer travels on ``shipment``."""
    with scopes_disabled():
        ShipmentLine.objects.filter(shipment=shipment, order_line=order_line).update(
            is_current=False
        )
    return _retotal(shipment)


def shipment_world(name: str = "Great Lakes Maple Co.", store: str = "Hangzhou Westlake Store"):
    """A merchant with two SKUs, a buyer's purchase order of both, the merchant's booking, and
    a shipment of its merchant order on that booking."""
    slug = name.lower().replace(" ", "-").replace(".", "")
    merchant_org, owner = merchant(name, slug=slug)
    syrup = sku(merchant_org, owner, code=f"{slug[:10].upper()}-SYRUP")
    candy = sku(
        merchant_org,
        owner,
        code=f"{slug[:10].upper()}-CANDY",
        title="Maple leaf candy, 24 pieces in a gift tin with a ribbon",
        moq=24,
        case_pack=12,
        tiers=((24, "4.25"),),
    )
    buyer_org, buyer_owner = buyer(store, role=Role.OWNER)
    purchase_order = place(buyer_org, buyer_owner, [(syrup, 48), (candy, 36)])
    fan_out(purchase_order)
    merchant_order = merchant_order_of(purchase_order, merchant_org)
    booking = request_booking(merchant_org, SailingFactory(), owner)
    shipment = shipment_of(merchant_order, booking=booking)
    return {
        "merchant": merchant_org,
        "owner": owner,
        "buyer": buyer_org,
        "buyer_owner": buyer_owner,
        "purchase_order": purchase_order,
        "merchant_order": merchant_order,
        "booking": booking,
        "shipment": shipment,
    }
