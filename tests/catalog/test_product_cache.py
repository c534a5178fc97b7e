"""A change invalidates what it touched and nothing more: each product's page is kept under its
own version, and the browse page only moves when a browse result or facet count can change. A
buyer never sees a stale price, quantity or in-stock flag after a change has committed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog import services
from network.cache import (
    product_version_key,
    products_changed,
    public_listings_version,
)
from tests.orders.factories import buyer, fan_out, merchant, place, sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    organization, owner = merchant()
    a = sku(organization, owner, code="A-1", title="Amber Maple Syrup", on_hand=500)
    b = sku(organization, owner, code="B-1", title="Birch Syrup", on_hand=300)
    c = sku(organization, owner, code="C-1", title="Clover Honey", on_hand=200)
    return organization, owner, a, b, c


def _page(client, product_id) -> str:
    response = client.get(reverse("catalog:product", args=[product_id]))
    assert response.status_code == 200
    return response.content.decode()


def _cached_page(client, product_id, django_assert_num_queries) -> str:
    """The product page, asserting its data came from the cache (no query)."""
    with django_assert_num_queries(0):
        return _page(client, product_id)


def _browse(client) -> str:
    response = client.get(reverse("catalog:browse"))
    assert response.status_code == 200
    return response.content.decode()


def _versions(*skus) -> list:
    return [cache.get(product_version_key(s.product_id)) for s in skus]


def test_the_product_page_comes_from_the_cache(client, shop, django_assert_num_queries):
    _organization, _owner, a, _b, _c = shop
    assert "500 in stock" in _page(client, a.product_id)
    assert "500 in stock" in _cached_page(client, a.product_id, django_assert_num_queries)


def test_a_stock_change_refreshes_that_product_only(client, shop, django_assert_num_queries):
    _organization, owner, a, b, _c = shop
    _page(client, a.product_id)
    _page(client, b.product_id)
    _browse(client)
    browse_version = public_listings_version()
    with scopes_disabled():
        services.inventory_set(sku=a, on_hand=450, acting_user=owner)
    assert "450 in stock" in _page(client, a.product_id)
    assert "300 in stock" in _cached_page(client, b.product_id, django_assert_num_queries)
    # Still in stock: the browse page shows only that, so it stays cached.
    assert public_listings_version() == browse_version
    with django_assert_num_queries(0):
        assert "Amber Maple Syrup" in _browse(client)


def test_a_product_running_out_refreshes_the_browse_page(client, shop, django_assert_num_queries):
    _organization, owner, a, b, _c = shop
    assert "Out of stock" not in _browse(client)
    _page(client, b.product_id)
    with scopes_disabled():
        services.inventory_set(sku=a, on_hand=0, acting_user=owner)
    assert "Out of stock" in _browse(client)
    assert "Out of stock" in _page(client, a.product_id)
    assert "300 in stock" in _cached_page(client, b.product_id, django_assert_num_queries)


def test_a_checkout_invalidates_the_products_it_reserves(
    client, shop, django_assert_num_queries, django_capture_on_commit_callbacks
):
    _organization, _owner, a, b, c = shop
    for item in (a, b, c):
        _page(client, item.product_id)
    _browse(client)
    browse_version = public_listings_version()
    a_before, b_before, c_before = _versions(a, b, c)
    buyer_org, buyer_user = buyer()
    with django_capture_on_commit_callbacks(execute=True):
        fan_out(place(buyer_org, buyer_user, [(a, 24), (b, 48)]))
    a_after, b_after, c_after = _versions(a, b, c)
    assert a_after != a_before and b_after != b_before and c_after == c_before
    assert "476 in stock" in _page(client, a.product_id)
    assert "252 in stock" in _page(client, b.product_id)
    assert "200 in stock" in _cached_page(client, c.product_id, django_assert_num_queries)
    # Everything is still in stock: the browse page is not invalidated.
    assert public_listings_version() == browse_version


def test_a_checkout_taking_the_last_units_refreshes_the_browse_page(
    client, shop, django_capture_on_commit_callbacks
):
    organization, owner, _a, _b, _c = shop
    last = sku(organization, owner, code="L-1", title="Last Jar Syrup", on_hand=12)
    assert "Out of stock" not in _browse(client)
    buyer_org, buyer_user = buyer()
    with django_capture_on_commit_callbacks(execute=True):
        fan_out(place(buyer_org, buyer_user, [(last, 12)]))
    assert "Out of stock" in _browse(client)


def test_a_title_change_refreshes_the_browse_page(client, shop):
    _organization, owner, a, _b, _c = shop
    assert "Amber Maple Syrup" in _browse(client)
    with scopes_disabled():
        services.product_update(
            product=a.product, values={"title_en": "Dark Amber Syrup"}, acting_user=owner
        )
    html = _browse(client)
    assert "Dark Amber Syrup" in html and "Amber Maple Syrup" not in html
    assert "Dark Amber Syrup" in _page(client, a.product_id)


def test_a_price_change_refreshes_the_product_page(client, shop):
    _organization, owner, a, _b, _c = shop
    assert "US$8.50" in _page(client, a.product_id)
    with scopes_disabled():
        services.sku_update(
            sku=a,
            values={},
            tiers=[(12, Decimal("9.10")), (48, Decimal("8.00"))],
            acting_user=owner,
        )
    html = _page(client, a.product_id)
    assert "US$9.10" in html and "US$8.50" not in html


def test_a_paused_listing_is_not_served_from_the_cache(client, shop):
    _organization, owner, a, _b, _c = shop
    _page(client, a.product_id)
    with scopes_disabled():
        services.product_pause(product=a.product, acting_user=owner)
    assert client.get(reverse("catalog:product", args=[a.product_id])).status_code == 404


def test_products_changed_bumps_again_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        products_changed([41], browse=False)
        during = cache.get(product_version_key(41))
        browse_version = public_listings_version()
    assert during is not None and len(callbacks) == 1
    callbacks[0]()
    assert cache.get(product_version_key(41)) != during
    assert public_listings_version() == browse_version
