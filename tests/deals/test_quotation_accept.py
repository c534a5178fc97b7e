"""Accepting a quotation: its lines go to the cart at the quoted prices until the end of its
last day, the others are not chosen, the request is awarded, the merchant is told; checkout
then charges the quoted price. A quoted SKU gone from sale refuses the whole acceptance."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from catalog.models import ListingState, Product
from deals.errors_quotations import IllegalQuotationTransition
from deals.models import Quotation, QuotationRequest
from deals.services import quotations as services
from network.models import Notification
from orders import services as order_services
from orders.errors import ProductUnavailable
from orders.models import CartLine, PurchaseOrderLine
from tests.deals.quotation_world import world
from tests.orders.factories import checkout

pytestmark = pytest.mark.django_db


def test_accepting_puts_the_lines_in_the_cart_and_checkout_charges_the_quoted_price():
    w = world()
    rfq = w.request()
    chosen = w.quote(rfq, "maple", price="7.10")
    other = w.quote(rfq, "sugar", price="7.30")
    accepted = services.quotation_accept(quotation=chosen, acting_user=w.buyer_user)
    assert accepted.status == "accepted" and accepted.accepted_by == w.buyer_user
    with scopes_disabled():
        line = CartLine.objects.get(organization=w.buyer)
        other.refresh_from_db()
        rfq.refresh_from_db()
        told = set(
            Notification.objects.filter(kind__startswith="deals.quotation_").values_list(
                "kind", "recipient_id"
            )
        )
    assert line.sku_id == w.maple_sku.pk and line.quantity == 480
    assert line.quotation_number == chosen.number
    assert line.quoted_tiers == [[96, "8.10"], [480, "7.10"]]
    assert line.quoted_moq == 96
    last_day = chosen.valid_until + timedelta(days=1)
    assert line.quoted_until == datetime.combine(
        last_day, time.min, tzinfo=timezone.get_default_timezone()
    )
    assert other.status == "declined"
    assert rfq.status == "awarded" and rfq.closed_at is not None
    assert ("deals.quotation_accepted", w.maple_user.pk) in told
    assert ("deals.quotation_not_chosen", w.sugar_user.pk) in told

    with scope(organization=w.buyer):
        purchase_order = order_services.purchase_order_place_from_cart(
            organization=w.buyer,
            checkout=checkout(),
            idempotency_key=uuid.uuid4().hex,
            acting_user=w.buyer_user,
        )
    with scopes_disabled():
        (po_line,) = PurchaseOrderLine.objects.filter(purchase_order=purchase_order)
    assert po_line.unit_price_usd == Decimal("7.10")
    assert po_line.price_source == "quotation" and po_line.price_reference == chosen.number
    assert purchase_order.total_usd == Decimal("3408.00")


def test_a_second_acceptance_on_the_same_request_is_refused():
    w = world()
    rfq = w.request()
    first = w.quote(rfq, "maple")
    second = w.quote(rfq, "sugar")
    services.quotation_accept(quotation=first, acting_user=w.buyer_user)
    with pytest.raises(IllegalQuotationTransition) as refused:
        services.quotation_accept(quotation=second, acting_user=w.buyer_user)
    assert refused.value.code == "illegal_transition"
    with scopes_disabled():
        assert Quotation.objects.filter(status="accepted").count() == 1


def test_a_quoted_sku_gone_from_sale_refuses_the_acceptance_and_changes_nothing():
    w = world()
    rfq = w.request()
    quotation = w.quote(rfq, "maple")
    with scopes_disabled():
        Product.objects.filter(pk=w.maple_sku.product_id).update(state=ListingState.PAUSED)
    with pytest.raises(ProductUnavailable):
        services.quotation_accept(quotation=quotation, acting_user=w.buyer_user)
    with scopes_disabled():
        quotation.refresh_from_db()
        assert QuotationRequest.objects.get(pk=rfq.pk).status == "open"
        assert not CartLine.objects.exists()
    assert quotation.status == "submitted"
