"""The browse page's totals and facet counts come from a summary kept by the writers
(``catalog.facets``): the numbers a buyer reads stay right as listings are published, paused,
recategorised and run out of stock; a broad search says "1,000+" instead of counting every
match."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog import services
from catalog.facets import facet_counts_rebuild
from catalog.models import Category, FacetCount, Product
from tests.catalog.factories import product
from tests.catalog.test_search import catalogue  # noqa: F401 - the same three listings

pytestmark = pytest.mark.django_db


def _page(client, **params) -> str:
    response = client.get(reverse("catalog:browse"), params)
    assert response.status_code == 200
    return response.content.decode()


def _total(html: str) -> str:
    return re.search(r"([\d,]+\+?) products? from vetted US merchants", html).group(1)


def _count(html: str, label: str) -> int | None:
    """The number beside a facet link (None when the link is not there)."""
    found = re.search(rf">{re.escape(label)}</a>\s*<span class=\"count\">(\d+)</span>", html)
    return int(found.group(1)) if found else None


def _in_stock(html: str) -> int:
    return int(re.search(r'In stock only <span class="count">(\d+)</span>', html).group(1))


def _summary_as_recounted() -> set[tuple]:
    """The summary rows, then the rows a recount from scratch gives (they must agree)."""
    rows = set(
        FacetCount.objects.values_list("organization", "category", "brand", "in_stock", "listings")
    )
    facet_counts_rebuild()
    recounted = set(
        FacetCount.objects.values_list("organization", "category", "brand", "in_stock", "listings")
    )
    assert rows == recounted
    return rows


def test_the_counts_a_buyer_reads(client, catalogue):  # noqa: F811
    html = _page(client)
    assert _total(html) == "3"
    assert _count(html, "Food and beverages") == 3
    assert _count(html, "Michigan") == 2
    assert _count(html, "Wisconsin") == 1
    assert _count(html, "Great Lakes") == 2
    assert _count(html, "Driftless") == 1
    assert _in_stock(html) == 2  # the cheddar is out of stock
    # Under a filter, a facet counts the choices beside its own.
    html = _page(client, state="WI")
    assert _total(html) == "1"
    assert _count(html, "Michigan") == 2
    assert _count(html, "Great Lakes") is None
    assert _count(html, "Driftless") == 1
    html = _page(client, brand="great lakes", category="maple-syrup")
    assert _total(html) == "2"
    assert _count(html, "Great Lakes") == 2
    assert _count(html, "Driftless") is None  # no Driftless listing in the category
    assert _count(html, "Wisconsin") is None
    _summary_as_recounted()


def test_publishing_and_pausing_change_the_counts(client, catalogue):  # noqa: F811
    organization, owner = catalogue["maple"]
    product(organization, owner, title_en="Birch Syrup", code="BS-1")
    html = _page(client)
    assert _total(html) == "4"
    assert _count(html, "Michigan") == 3
    with scopes_disabled():
        services.product_pause(product=catalogue["candy"], acting_user=owner)
    html = _page(client)
    assert _total(html) == "3"
    assert _count(html, "Michigan") == 2
    assert _count(html, "Great Lakes") == 2
    product(organization, owner, title_en="Draft Syrup", code="DS-1", publish=False)
    assert _total(_page(client)) == "3"  # a draft is not counted
    _summary_as_recounted()


def test_a_new_category_moves_the_count(client, catalogue):  # noqa: F811
    _organization, owner = catalogue["cheese"]
    with scopes_disabled():
        services.product_update(
            product=catalogue["cheddar"],
            values={"category": Category.objects.get(slug="maple-syrup")},
            acting_user=owner,
        )
    html = _page(client, category="food")
    assert _total(html) == "3"
    assert _count(html, "Maple syrup and sweeteners") == 3
    assert _count(html, "Cheese and dairy") is None
    _summary_as_recounted()


def test_restocking_and_running_out_change_the_in_stock_count(client, catalogue):  # noqa: F811
    _organization, owner = catalogue["cheese"]
    with scopes_disabled():
        sku = catalogue["cheddar"].skus.get()
        services.inventory_set(sku=sku, on_hand=40, acting_user=owner)
        assert Product.objects.get(pk=catalogue["cheddar"].pk).in_stock
    assert _in_stock(_page(client)) == 3
    with scopes_disabled():
        services.inventory_set(sku=sku, on_hand=0, acting_user=owner)
        assert not Product.objects.get(pk=catalogue["cheddar"].pk).in_stock
    html = _page(client)
    assert _in_stock(html) == 2
    html = _page(client, in_stock="on")
    assert _total(html) == "2"
    assert _count(html, "Wisconsin") is None
    _summary_as_recounted()


def test_the_summary_is_counted_again_after_commit(catalogue, django_capture_on_commit_callbacks):  # noqa: F811
    organization, owner = catalogue["maple"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks, scopes_disabled():
        services.product_pause(product=catalogue["syrup"], acting_user=owner)
    assert callbacks  # the recount after commit ran
    rows = _summary_as_recounted()
    maple_syrup = Category.objects.get(slug="maple-syrup").pk
    assert (organization.pk, maple_syrup, None, True, 1) in rows
    assert (organization.pk, maple_syrup, "Great Lakes", True, 1) in rows


def test_a_broad_search_says_more_than_the_cap(client, catalogue, monkeypatch):  # noqa: F811
    monkeypatch.setattr("catalog.facets.COUNT_CAP", 1)
    html = _page(client, q="maple")  # two listings of the maple merchant
    assert _total(html) == "1+"
    assert "More than 1 products match" in html
    assert _count(html, "Michigan") is None  # the facets show no numbers
    assert ">Michigan</a>" in html
    assert html.count('class="card product-card"') == 2  # ranked among the first two found
    html = _page(client, q="cheddar")
    assert _total(html) == "1"
    assert _count(html, "Wisconsin") == 1
    assert "More than" not in html


def test_a_broad_search_under_a_filter_counts_what_it_ranks(client, catalogue, monkeypatch):  # noqa: F811
    monkeypatch.setattr("catalog.facets.COUNT_CAP", 1)
    # Ranked by relevance, the ranked matches give the capped total; sorted by price, a
    # statement of its own counts it: the same answer either way.
    for sort in ("", "price_asc"):
        html = _page(client, q="maple", state="MI", sort=sort)
        assert _total(html) == "1+"
        assert html.count('class="card product-card"') == 2
        html = _page(client, q="maple", state="MI", in_stock="1", sort=sort)
        assert html.count('class="card product-card"') == 2
        html = _page(client, q="maple syrup", state="WI", sort=sort)
        assert _total(html) == "0"
