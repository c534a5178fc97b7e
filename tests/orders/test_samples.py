"""Samples: a SKU's sample units at its sample price, outside its MOQ and case pack, within its
limit per buyer counting the samples already ordered, and marked as samples everywhere."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from catalog.models import SKU
from orders import services
from orders.errors import SampleLimitReached, SampleNotOffered
from orders.models import CartLine
from tests.orders.factories import add_to_cart, buyer, merchant, sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maple, owner = merchant("Great Lakes Maple Co.")
    store, wang = buyer()
    syrup = sku(maple, owner, code="MAPLE-500")
    with scopes_disabled():
        SKU.objects.filter(pk=syrup.pk).update(
            sample_price_usd=Decimal("12.00"), sample_limit_per_buyer=2
        )
        syrup.refresh_from_db()
    return {"maple": maple, "owner": owner, "store": store, "wang": wang, "syrup": syrup}


def _add_sample(world, quantity, sku_obj=None):
    with scope(organization=world["store"]):
        return services.cart_add_sample(
            organization=world["store"],
            sku_id=(sku_obj or world["syrup"]).pk,
            quantity=quantity,
            acting_user=world["wang"],
        )


def test_a_sample_skips_moq_and_case_pack_and_sits_beside_the_case_line(world):
    line = _add_sample(world, 1)
    assert line.is_sample and line.quantity == 1
    add_to_cart(world["store"], world["wang"], world["syrup"], 12)
    with scopes_disabled():
        assert sorted(CartLine.objects.values_list("is_sample", "quantity")) == [
            (False, 12),
            (True, 1),
        ]


def test_the_limit_per_buyer_holds_across_adds(world):
    _add_sample(world, 2)
    with pytest.raises(SampleLimitReached, match="at most 2 sample units per buyer"):
        _add_sample(world, 1)
    with scopes_disabled():
        assert CartLine.objects.get().quantity == 2


def test_a_sku_without_a_sample_price_refuses(world):
    plain = sku(world["maple"], world["owner"], code="PLAIN-1", title="Maple Candy")
    with pytest.raises(SampleNotOffered, match="PLAIN-1 is not offered as a sample"):
        _add_sample(world, 1, plain)


def test_the_product_page_form_posts_sample_1_to_the_cart(client, world):
    client.force_login(world["wang"])
    response = client.post(
        reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 1, "sample": "1"}
    )
    assert response.status_code == 302
    page = client.get(reverse("orders:cart")).content.decode()
    assert "MAPLE-500: 1 sample units in your cart." in page
    with scopes_disabled():
        line = CartLine.objects.get()
    assert line.is_sample
    response = client.post(
        reverse("orders:cart_add"), {"sku": world["syrup"].pk, "quantity": 5, "sample": "1"}
    )
    page = client.get(reverse("orders:cart")).content.decode()
    assert "at most 2 sample units per buyer" in page
