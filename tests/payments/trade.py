"""Test data for release and claims: a buyer's purchase order from one merchant, paid into
escrow and sent on its way (or delivered to consolidation, which is the goods' arrival for an
order without a shipment)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled
from PIL import Image

from network.models import Organization, Role, User
from orders import services as order_services
from orders.models import MerchantOrder, PurchaseOrder
from payments import ledger
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku
from tests.payments.paying import pay
from tests.shipping.factories import approve

# 48 bottles at the 48-unit tier price of US$7.90.
TOTAL = Decimal("379.20")


@dataclass
class Trade:
    buyer: Organization
    buyer_user: User
    merchant: Organization
    merchant_user: User
    purchase_order: PurchaseOrder
    merchant_order: MerchantOrder

    def reload(self) -> MerchantOrder:
        with scopes_disabled():
            self.merchant_order = MerchantOrder.objects.select_related(
                "buyer", "organization", "purchase_order"
            ).get(pk=self.merchant_order.pk)
        return self.merchant_order

    def escrow(self) -> Decimal:
        return ledger.balance(ledger.escrow_account(self.merchant_order))

    def owed_to_merchant(self) -> Decimal:
        return ledger.balance(ledger.merchant_account(self.merchant))

    def buyer_credit(self) -> Decimal:
        return ledger.balance(ledger.buyer_account(self.buyer))


def trade(
    *,
    terms: str = "prepaid",
    paid: bool = True,
    status: str = "delivered",
    language: str = "en",
    merchant_name: str = "Great Lakes Maple Co.",
    buyer_name: str = "Hangzhou Westlake Global Store",
) -> Trade:
    """One merchant's order of 48 bottles on ``terms``, paid in full when ``paid``, taken to
    ``status`` (accepted, packed, shipped, delivered or closed)."""
    shop, owner = merchant(merchant_name)
    approve(shop, legal_name=f"{merchant_name} LLC")
    item = sku(shop, owner, code=f"MAPLE-{shop.pk}")
    store, wang = buyer(buyer_name, Role.OWNER, language=language, full_name="Wang Fang")
    purchase_order = place(store, wang, [(item, 48)], payment_terms=terms)
    fan_out(purchase_order)
    merchant_order = merchant_order_of(purchase_order, shop)
    merchant_order = order_services.merchant_order_accept(
        merchant_order=merchant_order, acting_user=owner
    )
    if paid:
        pay(purchase_order)
    steps = ["accepted", "packed", "shipped", "delivered", "closed"]
    target = steps.index(status)
    if target >= 1:
        merchant_order = order_services.merchant_order_pack(
            merchant_order=merchant_order, acting_user=owner
        )
    if target >= 2:
        merchant_order = order_services.merchant_order_ship(
            merchant_order=merchant_order, carrier_name="Maersk", acting_user=owner
        )
    if target >= 3:
        merchant_order = order_services.merchant_order_mark_delivered(
            merchant_order=merchant_order, acting_user=owner
        )
    world = Trade(store, wang, shop, owner, purchase_order, merchant_order_of(purchase_order, shop))
    if target >= 4:
        order_services.merchant_order_confirm_receipt(
            merchant_order=world.merchant_order, acting_user=wang
        )
        world.reload()
    return world


def photo(name: str = "crate.jpg", image_format: str = "JPEG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (200, 120, 40)).save(buffer, image_format)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[image_format]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)
