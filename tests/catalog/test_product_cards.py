"""Catalogue cards of listings that differ only at the end of a long title (the variant) look
different: the variant has a line of its own, and the full title is in the heading's title.

People: a merchant (Great Lakes Maple Co.) and a buyer reading in English and in Chinese."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog import services
from catalog.models import SKU
from catalog.selectors import _variant_line
from network.models import Organization, Role
from tests.catalog.factories import merchant, product
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db

LONG = "Great Lakes Reserve Pure Michigan Maple Syrup Grade A Amber Rich Taste, Kosher Certified"


@pytest.fixture
def variants():
    organization, owner = merchant("Great Lakes Maple Co.", slug="great-lakes-maple")
    made = {}
    for code, variant_en, variant_zh in [
        ("GL-500", "500 ml glass bottle", "500毫升玻璃瓶"),
        ("GL-1000", "1 L plastic jug", "1升塑料壶"),
    ]:
        item = product(
            organization, owner, title_en=f"{LONG}, {variant_en}", code=code, publish=False
        )
        with scopes_disabled():
            SKU.objects.filter(product=item).update(
                variant_en=variant_en, variant_zh_hans=variant_zh
            )
            services.product_publish(product=item, acting_user=owner)
        made[code] = item
    return made


def cards(page: str) -> list[str]:
    return re.findall(r'<article class="card product-card">(.*?)</article>', page, re.S)


def test_listings_of_one_product_show_their_variant(client, variants):
    client.force_login(member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.BUYER))
    page = client.get(reverse("catalog:browse")).content.decode()
    shown = {
        re.search(r'<p class="product-card-variant small">(.*?)</p>', card).group(1): card
        for card in cards(page)
    }
    assert set(shown) == {"500 ml glass bottle", "1 L plastic jug"}
    assert f'<h3 title="{LONG}, 1 L plastic jug">' in shown["1 L plastic jug"]

    client.cookies["network_language"] = "zh-hans"
    page = client.get(reverse("catalog:browse"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "500毫升玻璃瓶" in page and "1升塑料壶" in page


def test_the_profile_cards_show_the_variant_too(client, variants):
    page = client.get(reverse("merchants:profile", args=["great-lakes-maple"])).content.decode()
    assert "500 ml glass bottle</p>" in page and "1 L plastic jug</p>" in page


def test_many_variants_are_summed_up():
    pairs = [(f"{n} L", f"{n}升") for n in range(1, 6)]
    assert _variant_line(pairs) == "1 L · 2 L · 3 L and 2 more"
    assert _variant_line(pairs[:2]) == "1 L · 2 L"
    assert _variant_line([]) == ""
