"""Placing a purchase order: tier prices, quantity rules, stock reserved under lock with a
ledger, nothing written when stock is short, idempotent replays, and the fan-out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from catalog.models import InventoryLedger, LedgerReason
from merchants.models import ApplicationStatus, MerchantApplication
from network.models import AuditEvent, Role
from orders import services
from orders.errors import (
    InsufficientStock,
    MinimumOrderNotMet,
    OrderPermissionDenied,
    ProductUnavailable,
    QuantityNotAllowed,
)
from orders.models import (
    MerchantOrder,
    MerchantOrderSettings,
    MerchantOrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from tests.factories import member
from tests.orders.factories import buyer, fan_out, merchant, place, sku, stock

pytestmark = pytest.mark.django_db


def _audits(action: str) -> int:
    with scopes_disabled():
        return AuditEvent.objects.filter(action=action).count()


@pytest.fixture
def maple():
    organization, owner = merchant("Great Lakes Maple Co.")
    return organization, owner, sku(organization, owner, code="MAPLE-500")


def test_quantity_rules_name_the_sku_and_the_rule(maple):
    _org, _owner, syrup = maple
    store, wang = buyer()
    with pytest.raises(QuantityNotAllowed, match="minimum order for MAPLE-500 is 12 units"):
        place(store, wang, [(syrup, 6)])
    with pytest.raises(QuantityNotAllowed, match="MAPLE-500 is sold in case packs of 6"):
        place(store, wang, [(syrup, 15)])
    with scopes_disabled():
        assert not PurchaseOrder.objects.exists()


@pytest.mark.parametrize(
    ("quantity", "unit_price", "saving"),
    [(12, "8.50", "0.00"), (42, "8.50", "0.00"), (48, "7.90", "28.80"), (144, "7.25", "180.00")],
)
def test_tier_price_of_the_quantity_applies_and_the_saving_is_recorded(
    maple, quantity, unit_price, saving
):
    _org, _owner, syrup = maple
    store, wang = buyer()
    purchase_order = place(store, wang, [(syrup, quantity)])
    with scopes_disabled():
        line = PurchaseOrderLine.objects.get(purchase_order=purchase_order)
    assert line.unit_price_usd == Decimal(unit_price)
    assert line.line_total_usd == Decimal(unit_price) * quantity
    assert purchase_order.savings_usd == Decimal(saving)
    assert purchase_order.total_usd == Decimal(unit_price) * quantity


def test_placing_reserves_stock_with_a_ledger_entry(maple):
    _org, _owner, syrup = maple
    store, wang = buyer()
    purchase_order = place(store, wang, [(syrup, 48)])
    inventory = stock(syrup)
    assert (inventory.on_hand, inventory.reserved) == (500, 48)
    with scopes_disabled():
        entry = InventoryLedger.objects.get(sku=syrup, reason=LedgerReason.RESERVED)
        line = PurchaseOrderLine.objects.get(purchase_order=purchase_order)
    assert (entry.reserved_before, entry.reserved_after) == (0, 48)
    assert (entry.on_hand_before, entry.on_hand_after) == (500, 500)
    assert entry.actor == wang and entry.note == purchase_order.number
    assert line.reserved_quantity == 48
    assert _audits("purchase_order.placed") == 1


def test_short_stock_names_every_short_line_and_writes_nothing():
    organization, owner = merchant()
    syrup = sku(organization, owner, code="MAPLE-500", on_hand=24)
    candy = sku(organization, owner, code="MAPLE-CANDY", title="Maple candy", on_hand=12)
    fudge = sku(organization, owner, code="FUDGE", title="Fudge", on_hand=500)
    store, wang = buyer()
    with pytest.raises(InsufficientStock) as refused:
        place(store, wang, [(syrup, 36), (candy, 18), (fudge, 12)])
    assert refused.value.code == "insufficient_stock"
    assert "MAPLE-500: you asked for 36 units, 24 are available." in refused.value.message
    assert "MAPLE-CANDY: you asked for 18 units, 12 are available." in refused.value.message
    assert {line["sku"] for line in refused.value.details["lines"]} == {syrup.pk, candy.pk}
    with scopes_disabled():
        assert not PurchaseOrder.objects.exists()
        assert not PurchaseOrderLine.objects.exists()
        assert not InventoryLedger.objects.filter(reason=LedgerReason.RESERVED).exists()
    assert [stock(s).reserved for s in (syrup, candy, fudge)] == [0, 0, 0]


def test_same_idempotency_key_returns_the_same_order_and_reserves_once(maple):
    _org, _owner, syrup = maple
    store, wang = buyer()
    first = place(store, wang, [(syrup, 12)], key="form:abc")
    again = place(store, wang, [(syrup, 12)], key="form:abc")
    assert again.pk == first.pk and again.replayed and not first.replayed
    assert stock(syrup).reserved == 12
    # Another buyer may use the same token: keys are per buyer organisation.
    other_store, li = buyer("Shenzhen Bay Imports")
    other = place(other_store, li, [(syrup, 12)], key="form:abc")
    assert other.pk != first.pk


def test_suspended_merchant_takes_no_new_orders(maple):
    organization, _owner, syrup = maple
    with scopes_disabled():
        MerchantApplication.objects.filter(organization=organization).update(
            status=ApplicationStatus.SUSPENDED
        )
    store, wang = buyer()
    with pytest.raises(ProductUnavailable) as refused:
        place(store, wang, [(syrup, 12)])
    assert refused.value.message == f"The SKU with id {syrup.pk} is not available to order."


def test_minimum_order_value_of_a_merchant_is_enforced(maple):
    organization, _owner, syrup = maple
    with scopes_disabled():
        MerchantOrderSettings.objects.create(
            organization=organization, minimum_order_value_usd=Decimal("500")
        )
    store, wang = buyer()
    with pytest.raises(MinimumOrderNotMet, match=r"from US\$500.00; yours comes to US\$102.00"):
        place(store, wang, [(syrup, 12)])
    assert place(store, wang, [(syrup, 72)]).total_usd == Decimal("568.80")


def test_viewers_and_merchants_cannot_place_orders(maple):
    organization, owner, syrup = maple
    store, _wang = buyer()
    viewer = member(store, Role.VIEWER)
    with pytest.raises(OrderPermissionDenied):
        place(store, viewer, [(syrup, 12)])
    with pytest.raises(OrderPermissionDenied):
        place(organization, owner, [(syrup, 12)])


def test_fan_out_splits_per_merchant_and_running_it_twice_is_running_it_once(
    django_capture_on_commit_callbacks,
):
    maple_org, maple_owner = merchant("Great Lakes Maple Co.")
    cheese_org, cheese_owner = merchant("Driftless Cheese Makers")
    syrup = sku(maple_org, maple_owner, code="MAPLE-500")
    candy = sku(maple_org, maple_owner, code="MAPLE-CANDY", title="Maple candy")
    cheddar = sku(cheese_org, cheese_owner, code="CHEDDAR", title="Aged cheddar")
    store, wang = buyer()
    purchase_order = place(store, wang, [(syrup, 12), (candy, 48), (cheddar, 24)])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        created = fan_out(purchase_order)
    with django_capture_on_commit_callbacks(execute=True):
        again = fan_out(purchase_order)

    assert len(created) == 2 and again == []
    with scopes_disabled():
        orders = {mo.organization_id: mo for mo in MerchantOrder.objects.all()}
        assert set(orders) == {maple_org.pk, cheese_org.pk}
        assert orders[maple_org.pk].subtotal_usd == Decimal("8.50") * 12 + Decimal("7.90") * 48
        assert set(
            PurchaseOrderLine.objects.filter(merchant_order=orders[cheese_org.pk]).values_list(
                "sku_code", flat=True
            )
        ) == {"CHEDDAR"}
        assert not PurchaseOrderLine.objects.filter(merchant_order__isnull=True).exists()
        purchase_order.refresh_from_db()
    assert purchase_order.status == PurchaseOrderStatus.PLACED
    assert purchase_order.fanned_out_at is not None
    assert all(mo.status == MerchantOrderStatus.PENDING for mo in orders.values())
    assert {m.to[0] for m in mail.outbox} == {maple_owner.email, cheese_owner.email}
    assert len(mail.outbox) == 2
    assert _audits("merchant_order.created") == 2


def test_fan_out_runs_after_commit_when_placed(maple, django_capture_on_commit_callbacks):
    _org, _owner, syrup = maple
    store, wang = buyer()
    with django_capture_on_commit_callbacks(execute=True):
        purchase_order = place(store, wang, [(syrup, 12)])
    with scopes_disabled():
        assert MerchantOrder.objects.filter(purchase_order=purchase_order).count() == 1


def test_webhooks_are_queued_for_placement_and_fan_out(maple):
    from network.models import WebhookDelivery, WebhookEndpoint

    organization, _owner, syrup = maple
    store, wang = buyer()
    with scopes_disabled():
        WebhookEndpoint.objects.create(
            organization=store, url="https://buyer.example/hook", events=["purchase_order.placed"]
        )
        WebhookEndpoint.objects.create(
            organization=organization,
            url="https://maple.example/hook",
            events=["merchant_order.created"],
        )
    purchase_order = place(store, wang, [(syrup, 12)])
    fan_out(purchase_order)
    with scopes_disabled():
        events = dict(WebhookDelivery.objects.values_list("event", "organization_id"))
        placed = WebhookDelivery.objects.get(event="purchase_order.placed")
    assert events == {"purchase_order.placed": store.pk, "merchant_order.created": organization.pk}
    assert placed.payload["number"] == purchase_order.number
    assert placed.payload["lines"][0]["sku"] == "MAPLE-500"


def test_cart_checkout_clears_the_cart_and_replays(maple):
    from django_scopes import scope

    from orders.models import CartLine
    from tests.orders.factories import checkout

    _org, _owner, syrup = maple
    store, wang = buyer()
    with scope(organization=store):
        services.cart_add(organization=store, sku_id=syrup.pk, quantity=12, acting_user=wang)
        services.cart_add(organization=store, sku_id=syrup.pk, quantity=12, acting_user=wang)
        first = services.purchase_order_place_from_cart(
            organization=store, checkout=checkout(), idempotency_key="form:1", acting_user=wang
        )
        again = services.purchase_order_place_from_cart(
            organization=store, checkout=checkout(), idempotency_key="form:1", acting_user=wang
        )
        assert not CartLine.objects.filter(organization=store).exists()
    assert again.pk == first.pk
    assert first.total_usd == Decimal("8.50") * 24
