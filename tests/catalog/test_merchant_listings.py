"""A merchant's public profile lists its active listings, a page at a time, and the catalogue
(page and API) filters by merchant, which the profile's "See all products" link uses.

People: two merchants (Great Lakes Maple Co. and Driftless Cheese) and a buyer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from catalog.models import ListingState, Product
from network.cache import products_changed
from network.models import Organization, Role
from tests.catalog.factories import merchant, product
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db


def listed(organization, owner, count: int, *, prefix: str) -> list[Product]:
    """``count`` active listings (made active directly: publishing needs a photo each)."""
    made = [
        product(
            organization,
            owner,
            title_en=f"{prefix} no. {n}",
            code=f"{prefix[:4].upper()}-{n}",
            image=False,
            publish=False,
        )
        for n in range(count)
    ]
    now = timezone.now()
    with scopes_disabled():
        for n, item in enumerate(made):
            Product.objects.filter(pk=item.pk).update(
                state=ListingState.ACTIVE, published_at=now - timedelta(minutes=count - n)
            )
    products_changed([item.pk for item in made], browse=True)  # as publishing does
    return made


@pytest.fixture
def world():
    maple, maple_owner = merchant("Great Lakes Maple Co.", slug="great-lakes-maple")
    cheese, cheese_owner = merchant("Driftless Cheese", slug="driftless-cheese", state="WI")
    syrups = listed(maple, maple_owner, 13, prefix="Maple syrup")
    cheeses = listed(cheese, cheese_owner, 2, prefix="Cheddar")
    draft = product(maple, maple_owner, title_en="Secret draft", image=False, publish=False)
    buyer = member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.BUYER)
    return {"maple": maple, "syrups": syrups, "cheeses": cheeses, "draft": draft, "buyer": buyer}


def titles(page: str) -> list[str]:
    return re.findall(r"<h3[^>]*>(.*?)</h3>", page)


def test_the_profile_lists_active_listings_a_page_at_a_time(client, world):
    url = reverse("merchants:profile", args=["great-lakes-maple"])
    page = client.get(url).content.decode()
    assert "13 products" in page
    assert titles(page) == [f"Maple syrup no. {n}" for n in range(12, 0, -1)]
    assert reverse("catalog:product", args=[world["syrups"][12].pk]) in page
    assert "Secret draft" not in page and "Cheddar" not in page
    assert f"{reverse('catalog:browse')}?merchant=great-lakes-maple" in page
    assert 'href="?page=2#products"' in page
    second = client.get(url, {"page": 2}).content.decode()
    assert titles(second) == ["Maple syrup no. 0"]


def test_a_profile_without_listings_says_so(client):
    merchant("Empty Shelf Co.", slug="empty-shelf")
    page = client.get(reverse("merchants:profile", args=["empty-shelf"])).content.decode()
    assert "This merchant has no products listed right now." in page
    assert "?merchant=empty-shelf" not in page


# The profile: its application with brands (two), then the listings: count, page, stock
# flags, first images (four), and the exchange rate.
PROFILE_QUERIES = 7


def test_the_profile_query_count_does_not_grow(client, world, django_assert_num_queries):
    url = reverse("merchants:profile", args=["great-lakes-maple"])
    with django_assert_num_queries(PROFILE_QUERIES):
        client.get(url, {"page": 2})  # one listing
    with django_assert_num_queries(PROFILE_QUERIES):
        client.get(url)  # twelve


def test_the_catalogue_filters_by_merchant(client, world):
    client.force_login(world["buyer"])
    page = client.get(reverse("catalog:browse"), {"merchant": "driftless-cheese"})
    html = page.content.decode()
    assert sorted(titles(html)) == ["Cheddar no. 0", "Cheddar no. 1"]
    assert "2 products from vetted US merchants" in html
    # The facet lists both merchants, the chosen one marked, and a way back to all of them.
    facet = re.search(r"<h2>Merchant</h2>(.*?)</section>", html, re.S).group(1)
    assert "Any merchant" in facet
    assert re.search(r'aria-current="true" class="selected">Driftless Cheese</a>', facet)
    assert "Great Lakes Maple Co." in facet and '<span class="count">13</span>' in facet
    # The terms form keeps the merchant filter.
    assert '<input type="hidden" name="merchant" value="driftless-cheese">' in html


def test_the_api_filters_by_merchant(client, world):
    client.force_login(world["buyer"])
    response = client.get(reverse("api-products"), {"merchant": "great-lakes-maple"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 13
    assert {item["merchant"]["slug"] for item in body["results"]} == {"great-lakes-maple"}
    assert body["facets"]["merchant"] == {"great-lakes-maple": 13, "driftless-cheese": 2}
    bad = client.get(reverse("api-products"), {"merchant": "not a slug!"})
    assert bad.status_code == 400
