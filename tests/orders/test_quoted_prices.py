"""Quotations in the cart: an accepted quotation's tiers and MOQ replace the SKU's until it
expires (its case pack still applies); an expired quotation refuses checkout, naming the
line, and the buyer may go on at the list price."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from orders import services
from orders.errors import ProductUnavailable, QuantityNotAllowed, QuotationExpired
from orders.models import CartLine
from tests.orders.factories import add_to_cart, buyer, merchant, sku

pytestmark = pytest.mark.django_db

TIERS = [(100, Decimal("6.80")), (300, Decimal("6.40"))]


@pytest.fixture
def world():
    maple, owner = merchant("Great Lakes Maple Co.")
    store, wang = buyer()
    return {
        "maple": maple,
        "owner": owner,
        "store": store,
        "wang": wang,
        "syrup": sku(maple, owner, code="MAPLE-500"),
    }


def _add_quoted(world, quantity=120, *, until=None, moq=100, tiers=TIERS, number="QT-0001"):
    with scope(organization=world["store"]):
        return services.cart_add_quoted(
            organization=world["store"],
            sku_id=world["syrup"].pk,
            quantity=quantity,
            tiers=tiers,
            moq=moq,
            quotation_number=number,
            valid_until=until or timezone.now() + timedelta(days=7),
            acting_user=world["wang"],
        )


def test_the_quotation_replaces_the_list_price_line(world):
    add_to_cart(world["store"], world["wang"], world["syrup"], 12)
    _add_quoted(world, 120)
    with scopes_disabled():
        line = CartLine.objects.get()
    assert line.quantity == 120
    assert line.quotation_number == "QT-0001"
    assert line.quoted_moq == 100
    assert line.quoted_tiers == [[100, "6.80"], [300, "6.40"]]


def test_the_quotation_moq_and_the_case_pack_hold(world):
    with pytest.raises(QuantityNotAllowed, match="at quotation QT-0001 is 100 units"):
        _add_quoted(world, 96)
    with pytest.raises(QuantityNotAllowed, match="case packs of 6"):
        _add_quoted(world, 101)
    line = _add_quoted(world, 102)
    # Adding more keeps the quotation's terms: its MOQ, not the SKU's 12.
    add_to_cart(world["store"], world["wang"], world["syrup"], 6)
    with scopes_disabled():
        line.refresh_from_db()
    assert line.quantity == 108 and line.quotation_number == "QT-0001"


def test_an_expired_quotation_or_an_unavailable_sku_is_refused(world):
    with pytest.raises(QuotationExpired, match="QT-0001 expired"):
        _add_quoted(world, until=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ProductUnavailable), scope(organization=world["store"]):
        services.cart_add_quoted(
            organization=world["store"],
            sku_id=999_999,
            quantity=120,
            tiers=TIERS,
            moq=100,
            quotation_number="QT-0002",
            valid_until=timezone.now() + timedelta(days=1),
            acting_user=world["wang"],
        )
    with scopes_disabled():
        assert not CartLine.objects.exists()
