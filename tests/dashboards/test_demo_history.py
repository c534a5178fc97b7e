"""The demo's year of orders: spread over the last 52 weeks across buyers and merchants, each
purchase order's status derived from its parts, no stock held, totals adding up, and written
once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import Inventory
from network.models import Organization
from orders import demo
from orders.models import MerchantOrder, PurchaseOrder, PurchaseOrderLine
from orders.services import derive_status
from tests.factories import OrganizationFactory
from tests.orders.factories import merchant, sku

pytestmark = pytest.mark.django_db


def test_a_year_of_history_with_a_real_shape():
    with scopes_disabled():
        assert demo.seed_history() == 0  # nothing to order yet
        for name, state in (("Great Lakes Maple Co.", "MI"), ("Sunbelt Vitamins", "FL")):
            organization, owner = merchant(name, state=state)
            sku(organization, owner, code=f"{name[:4].upper()}-1", on_hand=5000)
        for n in range(6):
            OrganizationFactory(name=f"Store {n}", kind=Organization.Kind.BUYER)
        reserved_before = list(Inventory.objects.values_list("reserved", flat=True))

        written = demo.seed_history(days=120)
        assert written > 100
        assert demo.seed_history(days=120) == 0  # a second run writes nothing

        history = PurchaseOrder.objects.filter(idempotency_key__startswith="history:")
        assert history.count() == written
        span = history.aggregate(first=Min("placed_at"), last=Max("placed_at"))
        now = timezone.now()
        assert span["first"] < now - timedelta(days=100)
        assert span["last"] > now - timedelta(days=10)
        assert history.values("organization").distinct().count() >= 4
        assert MerchantOrder.objects.values("organization").distinct().count() == 2
        # No history order holds stock: every part ended (shipped, closed, rejected, cancelled).
        assert list(Inventory.objects.values_list("reserved", flat=True)) == reserved_before
        assert not MerchantOrder.objects.filter(
            status__in=["pending", "accepted", "packed"]
        ).exists()
        assert not PurchaseOrderLine.objects.filter(reserved_quantity__gt=0).exists()
        for purchase_order in history.annotate(parts=Count("merchant_orders"))[:50]:
            statuses = purchase_order.merchant_orders.values_list("status", flat=True)
            assert purchase_order.status == derive_status(statuses)
            assert purchase_order.parts == purchase_order.merchant_count
            lines = PurchaseOrderLine.objects.filter(purchase_order=purchase_order)
            assert purchase_order.total_usd == lines.aggregate(t=Sum("line_total_usd"))["t"]
        shipped = MerchantOrder.objects.filter(shipped_at__isnull=False)
        assert shipped.exists()
        assert not shipped.filter(shipped_at__lt=models_placed_at()).exists()
        assert all(
            line.line_total_usd == line.unit_price_usd * line.quantity
            and line.quantity % line.case_pack == 0
            and line.unit_price_usd <= line.list_unit_price_usd
            for line in PurchaseOrderLine.objects.all()[:200]
        )
        assert PurchaseOrderLine.objects.aggregate(t=Sum("line_total_usd"))["t"] > Decimal("1000")


def models_placed_at():
    from django.db.models import F

    return F("purchase_order__placed_at")
