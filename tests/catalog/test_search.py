"""Buyers find listings by English and Chinese words; only public listings ever show."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.search import build_search_query, cjk_tsvector_literal
from catalog.selectors import BrowseFilters, product_browse, product_search_ids
from merchants.models import ApplicationStatus, MerchantApplication
from tests.catalog.factories import merchant, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    maple, maple_owner = merchant("Great Lakes Maple Co.", state="MI")
    cheese, cheese_owner = merchant("Driftless Cheese Makers", state="WI")
    items = {
        "syrup": product(maple, maple_owner),
        "candy": product(
            maple,
            maple_owner,
            title_en="Maple Sugar Candy Leaves 100 g",
            title_zh_hans="枫糖叶子糖 100克",
            tiers=((24, "3.20"), (96, "2.90")),
            moq=24,
            case_pack=12,
        ),
        "cheddar": product(
            cheese,
            cheese_owner,
            title_en="Aged Wisconsin Cheddar Cheese 200 g",
            title_zh_hans="威斯康星陈年切达奶酪 200克",
            brand="Driftless",
            category="cheese-dairy",
            hs_code="0406900000",
            tiers=((20, "5.10"), (100, "4.60")),
            moq=20,
            case_pack=10,
            on_hand=0,
        ),
    }
    return {"maple": (maple, maple_owner), "cheese": (cheese, cheese_owner), **items}


def titles(ids):
    from catalog.models import Product

    with scopes_disabled():
        return set(Product.objects.filter(pk__in=ids).values_list("title_en", flat=True))


def test_bigram_document_and_query():
    assert cjk_tsvector_literal("枫糖浆") == "'枫糖':1A '糖浆':2A '浆':3A"
    assert build_search_query("") is None
    assert build_search_query("!!!") is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("枫糖浆", {"Pure Michigan Maple Syrup 500 ml"}),
        ("枫糖", {"Pure Michigan Maple Syrup 500 ml", "Maple Sugar Candy Leaves 100 g"}),
        ("奶酪", {"Aged Wisconsin Cheddar Cheese 200 g"}),
        ("切达奶酪", {"Aged Wisconsin Cheddar Cheese 200 g"}),
        ("枫", {"Pure Michigan Maple Syrup 500 ml", "Maple Sugar Candy Leaves 100 g"}),
        ("酪", {"Aged Wisconsin Cheddar Cheese 200 g"}),
        ("糖浆奶酪", set()),  # a substring of neither title
        ("密歇根 枫糖", {"Pure Michigan Maple Syrup 500 ml"}),
    ],
)
def test_chinese_queries_find_chinese_titles(catalogue, query, expected):
    assert titles(product_search_ids(query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("maple syrup", {"Pure Michigan Maple Syrup 500 ml"}),
        ("syrups", {"Pure Michigan Maple Syrup 500 ml"}),  # stemmed
        ("cheese", {"Aged Wisconsin Cheddar Cheese 200 g"}),
        ("Driftless", {"Aged Wisconsin Cheddar Cheese 200 g"}),  # brand and merchant name
        ("great lakes", {"Pure Michigan Maple Syrup 500 ml", "Maple Sugar Candy Leaves 100 g"}),
        ("maple 奶酪", set()),
        ("cheddar 奶酪", {"Aged Wisconsin Cheddar Cheese 200 g"}),
    ],
)
def test_english_queries(catalogue, query, expected):
    assert titles(product_search_ids(query)) == expected


def test_suspended_merchants_listings_vanish_at_once(catalogue, client):
    assert titles(product_search_ids("奶酪")) == {"Aged Wisconsin Cheddar Cheese 200 g"}
    cheese, _owner = catalogue["cheese"]
    with scopes_disabled():
        MerchantApplication.objects.filter(organization=cheese).update(
            status=ApplicationStatus.SUSPENDED
        )
    assert product_search_ids("奶酪") == []
    result = product_browse(filters=BrowseFilters())
    assert {p.title_en for p in result.page.object_list} == {
        "Pure Michigan Maple Syrup 500 ml",
        "Maple Sugar Candy Leaves 100 g",
    }
    assert client.get(reverse("catalog:product", args=[catalogue["cheddar"].pk])).status_code == 404
    page = client.get(reverse("catalog:browse"), {"q": "cheese"})
    assert "Cheddar" not in page.content.decode()


def test_drafts_and_paused_listings_are_not_public(catalogue, client):
    maple, owner = catalogue["maple"]
    draft = product(
        maple, owner, title_en="Maple Cream Draft", title_zh_hans="枫糖奶油", publish=False
    )
    assert "Maple Cream Draft" not in titles(product_search_ids("maple"))
    assert client.get(reverse("catalog:product", args=[draft.pk])).status_code == 404


def test_filters_and_facets(catalogue):
    result = product_browse(filters=BrowseFilters(category="food"))
    assert result.total == 3  # the parent category includes its descendants
    facets = {f.value: f.count for f in result.categories}
    assert facets["food"] == 3
    assert facets["maple-syrup"] == 2
    assert facets["cheese-dairy"] == 1
    assert {f.value: f.count for f in result.states} == {"MI": 2, "WI": 1}
    assert result.in_stock_count == 2

    assert product_browse(filters=BrowseFilters(state="WI")).total == 1
    assert product_browse(filters=BrowseFilters(in_stock=True)).total == 2
    assert product_browse(filters=BrowseFilters(brand="driftless")).total == 1
    assert product_browse(filters=BrowseFilters(max_moq=12)).total == 1
    # Price ranges overlap the product's tier prices (syrup 7.25–8.50, candy 2.90–3.20).
    assert {
        p.title_en
        for p in product_browse(filters=BrowseFilters(price_min=3, price_max=5)).page.object_list
    } == {"Maple Sugar Candy Leaves 100 g", "Aged Wisconsin Cheddar Cheese 200 g"}
    # A facet counts the alternatives to its own filter.
    states = product_browse(filters=BrowseFilters(state="WI")).states
    assert {f.value: f.count for f in states} == {"MI": 2, "WI": 1}


def test_a_search_within_a_state_or_a_merchant(catalogue):
    def found(**filters):
        result = product_browse(filters=BrowseFilters(**filters))
        return {p.title_en for p in result.page.object_list}

    maple_titles = {"Pure Michigan Maple Syrup 500 ml", "Maple Sugar Candy Leaves 100 g"}
    assert found(query="maple", state="MI") == maple_titles
    assert found(query="maple", state="WI") == set()
    assert found(query="maple", merchant=catalogue["maple"][0].slug) == maple_titles
    assert found(query="cheddar", merchant=catalogue["maple"][0].slug) == set()
    assert found(query="奶酪", state="WI", merchant=catalogue["cheese"][0].slug) == {
        "Aged Wisconsin Cheddar Cheese 200 g"
    }
    with scopes_disabled():  # a suspended merchant's listings leave its state's results
        MerchantApplication.objects.filter(organization=catalogue["cheese"][0]).update(
            status=ApplicationStatus.SUSPENDED
        )
    assert found(query="奶酪", state="WI") == set()


def test_sorting(catalogue):
    cheap_first = product_browse(filters=BrowseFilters(sort="price_asc")).page.object_list
    assert [p.title_en for p in cheap_first][0] == "Maple Sugar Candy Leaves 100 g"
    dear_first = product_browse(filters=BrowseFilters(sort="price_desc")).page.object_list
    assert [p.title_en for p in dear_first][0] == "Pure Michigan Maple Syrup 500 ml"
    newest = product_browse(filters=BrowseFilters()).page.object_list
    assert [p.title_en for p in newest][0] == "Aged Wisconsin Cheddar Cheese 200 g"
    relevant = product_browse(filters=BrowseFilters(query="maple")).page.object_list
    assert relevant[0].title_en.startswith(("Pure", "Maple"))


def test_browse_page_shows_usd_and_cny_with_rate_date(catalogue, client):
    from datetime import date
    from decimal import Decimal

    from network.models import ExchangeRate

    ExchangeRate.objects.create(rate=Decimal("7.1000"), effective_date=date(2026, 1, 5))
    page = client.get(reverse("catalog:browse"), {"q": "枫糖浆"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Pure Michigan Maple Syrup 500 ml" in html
    assert "US$7.25–8.50" in html
    assert "¥51.48–60.35" in html  # 7.25 × 7.1, 8.50 × 7.1
    assert "Jan 5, 2026" in html


def test_equal_matches_rank_newest_first_and_no_match_is_an_empty_page():
    """The ranked search sorts in the database: by rank, then newest, then the latest id; a
    search nothing matches is an empty page with no counts."""
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import Product

    maple, owner = merchant("Great Lakes Maple Co.", state="MI")
    made = [
        product(maple, owner, title_en=f"Amber Syrup Lot {n}", code=f"LOT-{n}") for n in range(3)
    ]
    now = timezone.now()
    with scopes_disabled():
        for days, listing in zip((5, 1, 3), made, strict=True):
            Product.objects.filter(pk=listing.pk).update(published_at=now - timedelta(days=days))
    result = product_browse(filters=BrowseFilters(query="amber syrup lot"), use_cache=False)
    assert [p.pk for p in result.page.object_list] == [made[1].pk, made[2].pk, made[0].pk]
    assert result.total == 3 and not result.capped
    assert [(f.value, f.count) for f in result.states] == [("MI", 3)]

    nothing = product_browse(filters=BrowseFilters(query="saffron"), use_cache=False)
    assert list(nothing.page.object_list) == []
    assert nothing.total == 0 and nothing.states == [] and nothing.merchants == []


@pytest.mark.parametrize(
    "params",
    [
        {"q": "maple", "category": "no-such-category"},
        {"q": "maple", "merchant": "no-such-merchant"},
        {"q": "maple", "state": "WI", "brand": "Nobody"},
    ],
)
def test_a_search_under_a_filter_nothing_passes_is_an_empty_page(catalogue, client, params):
    """Found by the API fuzzer: a search under a category that does not exist was a 500."""
    page = client.get(reverse("catalog:browse"), params)
    assert page.status_code == 200
    assert "product-card" not in page.content.decode()
    client.force_login(catalogue["syrup"].organization.memberships.first().user)
    answer = client.get("/api/v1/products/", params)
    assert answer.status_code in (200, 400), answer.content
    if answer.status_code == 200:
        assert answer.json()["count"] == 0 and answer.json()["results"] == []
