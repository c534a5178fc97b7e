"""The browse page and the product page run a fixed number of queries, whatever the number of
products on the page or of SKUs, tiers and images on the product."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog import services
from network.models import ExchangeRate
from tests.catalog.factories import merchant, png_upload, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def maple():
    ExchangeRate.objects.create(rate=Decimal("7.1"), effective_date=date(2026, 1, 5))
    return merchant("Great Lakes Maple Co.", state="MI")


def _fill(organization, owner, count, start=0):
    for n in range(start, start + count):
        product(organization, owner, title_en=f"Maple syrup no. {n}", code=f"MS-{n}")


# Anonymous browse page with a search, rendered afresh: the categories, the totals and every
# facet's counts among the matches (one statement, catalog.facets), the ranked ids of the
# first matches, the page's products (with merchant and category), their stock flags, their
# first images and the exchange rate.
BROWSE_QUERIES = 7
# A search without a facet filter: the categories, the first matches ranked and counted with
# every facet in one statement (catalog.facets.ranked_search), the page's products, their
# stock flags, their first images and the exchange rate.
BROWSE_QUERIES_SEARCH_ONLY = 6
# The same page again, while no listing changed: the rendered results come from the cache.
BROWSE_QUERIES_CACHED = 0
# Without a search: the categories, the totals and counts from the summary (one statement),
# the page of products, their stock flags, their first images and the exchange rate.
BROWSE_QUERIES_NO_SEARCH = 6


def test_browse_page_query_count_does_not_grow(client, maple, django_assert_num_queries):
    organization, owner = maple
    _fill(organization, owner, 3)
    client.get("/")  # warm up
    with django_assert_num_queries(BROWSE_QUERIES):
        response = client.get(reverse("catalog:browse"), {"q": "maple", "category": "food"})
    assert response.status_code == 200
    _fill(organization, owner, 9, start=3)  # publishing changes the listings' version
    with django_assert_num_queries(BROWSE_QUERIES):
        response = client.get(reverse("catalog:browse"), {"q": "maple", "category": "food"})
    assert response.content.decode().count('class="card product-card"') == 12
    with django_assert_num_queries(BROWSE_QUERIES_CACHED):
        response = client.get(reverse("catalog:browse"), {"q": "maple", "category": "food"})
    assert response.content.decode().count('class="card product-card"') == 12
    # Another page of the same filters renders afresh but reuses the counts: categories, the
    # ranked ids, the page, stock flags, first images and the exchange rate.
    with django_assert_num_queries(BROWSE_QUERIES - 1):
        response = client.get(
            reverse("catalog:browse"), {"q": "maple", "category": "food", "page": "2"}
        )
    assert response.status_code == 200


def test_browse_page_with_a_search_alone(client, maple, django_assert_num_queries):
    organization, owner = maple
    _fill(organization, owner, 3)
    client.get("/")  # warm up
    with django_assert_num_queries(BROWSE_QUERIES_SEARCH_ONLY):
        response = client.get(reverse("catalog:browse"), {"q": "maple"})
    html = response.content.decode()
    assert "3 products from vetted US merchants" in html
    assert re.search(r'>Michigan</a>\s*<span class="count">3</span>', html)


def test_browse_page_without_a_search(client, maple, django_assert_num_queries):
    organization, owner = maple
    _fill(organization, owner, 3)
    client.get("/")  # warm up
    with django_assert_num_queries(BROWSE_QUERIES_NO_SEARCH):
        response = client.get(reverse("catalog:browse"), {"category": "food", "state": "MI"})
    assert "3 products from vetted US merchants" in response.content.decode()
    _fill(organization, owner, 9, start=3)
    with django_assert_num_queries(BROWSE_QUERIES_NO_SEARCH):
        response = client.get(reverse("catalog:browse"), {"category": "food", "state": "MI"})
    assert response.content.decode().count('class="card product-card"') == 12


# Anonymous product page: the product (with merchant, application, category), its SKUs with
# stock, their tiers, its images, the categories (breadcrumbs) and the exchange rate. (SKUs
# with a China tariff code add two for the landed cost: the tariff rows and the freight rate.)
PRODUCT_QUERIES = 6
# The same page again, while the product did not change: its data comes from the cache.
PRODUCT_QUERIES_CACHED = 0


def test_product_page_query_count_does_not_grow(client, maple, django_assert_num_queries):
    organization, owner = maple
    listing = product(organization, owner)
    with django_assert_num_queries(PRODUCT_QUERIES):
        response = client.get(reverse("catalog:product", args=[listing.pk]))
    assert response.status_code == 200
    with scopes_disabled():
        for n in range(4):
            services.sku_create(
                product=listing,
                values={"code": f"EXTRA-{n}", "case_pack": 6, "moq": 6},
                tiers=[(6, Decimal("9.00")), (60, Decimal("8.00")), (600, Decimal("7.00"))],
                on_hand=10,
                acting_user=owner,
            )
            services.product_image_add(product=listing, upload=png_upload(), acting_user=owner)
    with django_assert_num_queries(PRODUCT_QUERIES):
        response = client.get(reverse("catalog:product", args=[listing.pk]))
    html = response.content.decode()
    assert html.count("EXTRA-") == 4
    assert "600+" in html
    with django_assert_num_queries(PRODUCT_QUERIES_CACHED):
        response = client.get(reverse("catalog:product", args=[listing.pk]))
    assert response.content.decode().count("EXTRA-") == 4
