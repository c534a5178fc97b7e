"""The browse page serves its rendered results from the cache, and never a stale listing: every
change a buyer could see (a pause, a takedown, a suspension, a new listing, a price or stock
change, a new exchange rate) shows on the very next request."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog import services
from catalog.views import _browse_cache_key
from merchants import services as merchant_services
from network.cache import (
    PUBLIC_LISTINGS_KEY,
    public_listings_cache,
    public_listings_cached,
    public_listings_changed,
    public_listings_version,
)
from network.models import ExchangeRate
from tests.catalog.factories import merchant, product
from tests.factories import operator

pytestmark = pytest.mark.django_db


@pytest.fixture
def maple():
    ExchangeRate.objects.create(rate=Decimal("7.1"), effective_date=date(2026, 1, 5))
    organization, owner = merchant("Great Lakes Maple Co.", state="MI")
    listing = product(organization, owner, title_en="Amber Maple Syrup", code="MS-1")
    return organization, owner, listing


def _browse(client, **params) -> str:
    response = client.get(reverse("catalog:browse"), params)
    assert response.status_code == 200
    return response.content.decode()


def _cached(client, django_assert_num_queries, **params) -> str:
    """The page, asserting it came from the cache (no query)."""
    with django_assert_num_queries(0):
        return _browse(client, **params)


def test_browse_results_come_from_the_cache(client, maple, django_assert_num_queries):
    assert "Amber Maple Syrup" in _browse(client)
    assert "Amber Maple Syrup" in _cached(client, django_assert_num_queries)
    assert "Amber Maple Syrup" in _browse(client, q="maple")
    assert "Amber Maple Syrup" in _cached(client, django_assert_num_queries, q="maple")


def test_a_paused_listing_vanishes_at_once(client, maple, django_assert_num_queries):
    _organization, owner, listing = maple
    _browse(client)
    assert "Amber Maple Syrup" in _cached(client, django_assert_num_queries)
    with scopes_disabled():
        services.product_pause(product=listing, acting_user=owner)
    assert "Amber Maple Syrup" not in _browse(client)


def test_a_taken_down_listing_vanishes_at_once(client, maple, django_assert_num_queries):
    _organization, _owner, listing = maple
    _browse(client, q="maple")
    assert "Amber Maple Syrup" in _cached(client, django_assert_num_queries, q="maple")
    services.product_take_down(product=listing, reason="Counterfeit", acting_user=operator())
    assert "Amber Maple Syrup" not in _browse(client, q="maple")


def test_a_suspended_merchants_listings_vanish_at_once_and_return_on_reinstatement(
    client, maple, django_assert_num_queries
):
    organization, _owner, _listing = maple
    _browse(client)
    assert "Amber Maple Syrup" in _cached(client, django_assert_num_queries)
    staff = operator()
    merchant_services.merchant_suspend(
        organization=organization, reason="Unpaid fees", acting_user=staff
    )
    assert "Amber Maple Syrup" not in _browse(client)
    merchant_services.merchant_reinstate(organization=organization, acting_user=staff)
    assert "Amber Maple Syrup" in _browse(client)


def test_a_new_listing_appears_at_once(client, maple, django_assert_num_queries):
    organization, owner, _listing = maple
    _browse(client)
    assert "Birch Syrup" not in _cached(client, django_assert_num_queries)
    product(organization, owner, title_en="Birch Syrup", code="BS-1")
    html = _browse(client)
    assert "Birch Syrup" in html and "Amber Maple Syrup" in html


def test_a_draft_does_not_change_the_listings_version(maple):
    organization, owner, _listing = maple
    before = public_listings_version()
    product(organization, owner, title_en="Draft Syrup", code="DS-1", publish=False)
    assert public_listings_version() == before


def test_price_and_stock_changes_show_at_once(client, maple, django_assert_num_queries):
    _organization, owner, listing = maple
    _browse(client)
    assert "US$7.25–8.50" in _cached(client, django_assert_num_queries)
    with scopes_disabled():
        sku = listing.skus.get()
        services.sku_update(
            sku=sku,
            values={},
            tiers=[(12, Decimal("9.50")), (48, Decimal("8.00"))],
            acting_user=owner,
        )
    html = _browse(client)
    assert "US$8.00–9.50" in html and "In stock" in html
    with scopes_disabled():
        services.inventory_set(sku=sku, on_hand=0, acting_user=owner)
    assert "Out of stock" in _browse(client)


def test_a_new_exchange_rate_shows_at_once(client, maple, django_assert_num_queries):
    _browse(client)
    assert "¥51.48–60.35" in _cached(client, django_assert_num_queries)  # × 7.1
    ExchangeRate.objects.create(rate=Decimal("7.2"), effective_date=date(2026, 1, 6))
    html = _browse(client)
    assert "¥52.20–61.20" in html and "Jan 6, 2026" in html


def test_the_cache_key_differs_by_language_and_query_and_a_change_misses(client, maple):
    from django.utils import translation

    with translation.override("en"):
        english = _browse_cache_key([("q", "maple")])
        other_query = _browse_cache_key([("q", "cheese")])
        other_page = _browse_cache_key([("q", "maple"), ("page", "2")])
    with translation.override("zh-hans"):
        chinese = _browse_cache_key([("q", "maple")])
    assert len({english, other_query, other_page, chinese}) == 4
    _value, version = public_listings_cached(english)
    public_listings_cache(english, "results", version=version, timeout=60)
    assert public_listings_cached(english)[0] == "results"
    public_listings_changed()
    assert public_listings_cached(english)[0] is None


def test_the_page_is_rendered_in_each_language(client, maple):
    english = client.get(reverse("catalog:browse"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(reverse("catalog:browse"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "Amber Maple Syrup" in english and "纯正密歇根枫糖浆" not in english
    assert "纯正密歇根枫糖浆" in chinese.content.decode()
    again = client.get(reverse("catalog:browse"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Amber Maple Syrup" in again


def test_signed_in_buyers_see_their_own_header_with_cached_results(
    client, maple, django_assert_num_queries
):
    from network.models import Organization
    from tests.factories import OrganizationFactory, member

    first = member(OrganizationFactory(name="Westlake Store", kind=Organization.Kind.BUYER))
    second = member(OrganizationFactory(name="Ningbo Imports", kind=Organization.Kind.BUYER))
    client.force_login(first)
    html = _browse(client)
    assert "Westlake Store" in html and "Amber Maple Syrup" in html
    client.force_login(second)
    html = _browse(client)
    assert "Ningbo Imports" in html and "Westlake Store" not in html
    assert "Amber Maple Syrup" in html


def test_a_lost_version_counter_starts_above_every_earlier_value():
    first = public_listings_version()
    public_listings_changed()
    assert public_listings_version() > first
    bumped = public_listings_version()
    cache.delete(PUBLIC_LISTINGS_KEY)
    assert public_listings_version() > bumped
    cache.delete(PUBLIC_LISTINGS_KEY)
    public_listings_changed()  # a change while the counter is missing
    assert public_listings_version() > bumped


def test_the_anonymous_page_is_the_same_bytes_for_everyone_and_gzipped_for_browsers(maple):
    """No CSRF token and no cookie on the page a visitor gets (nothing of theirs in it), so one
    copy serves them all, gzipped for a browser that accepts it."""
    import gzip

    from django.test import Client

    plain = Client().get(reverse("catalog:browse"), {"q": "maple"})
    assert plain.status_code == 200
    assert "csrfmiddlewaretoken" not in plain.content.decode()
    assert "X-CSRFToken" not in plain.content.decode()
    assert not plain.cookies
    assert "Content-Encoding" not in plain
    assert "Accept-Encoding" in plain["Vary"]

    compressed = Client().get(
        reverse("catalog:browse"), {"q": "maple"}, HTTP_ACCEPT_ENCODING="gzip, deflate, br"
    )
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert gzip.decompress(compressed.content) == plain.content
    assert len(compressed.content) < len(plain.content) / 2
    assert not compressed.cookies
    assert b"Amber Maple Syrup" in gzip.decompress(compressed.content)


def test_a_signed_in_page_carries_the_token_and_is_not_compressed(client, maple):
    from tests.factories import OrganizationFactory, member

    client.force_login(member(OrganizationFactory(name="Westlake Store")))
    response = client.get(reverse("catalog:browse"), HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in response
    page = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in page and "X-CSRFToken" in page
