"""US states by their Chinese names for Chinese readers — 密歇根州, not Michigan — in the
catalogue's filters and cards, the merchant directory and a merchant's profile; every state,
DC, territory and military region the stored field knows has one.

People: a Chinese-speaking buyer and an English-speaking one; the merchant is in Michigan."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from merchants.models import MerchantApplication
from merchants.us_states import STATE_CHOICES, STATE_NAMES, state_name
from network.models import Organization, Role
from tests.catalog.factories import merchant, product
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_state_the_field_stores_has_a_chinese_name():
    stored = MerchantApplication._meta.get_field("state").choices
    assert [code for code, _label in stored] == [code for code, _label in STATE_CHOICES]
    assert len(STATE_NAMES) == 59  # 50 states, DC, 5 territories, 3 military mail regions
    with translation.override("zh-hans"):
        names = {code: str(label) for code, label in stored}
        assert names["MI"] == "密歇根州"
        assert names["GA"] == "佐治亚州"
        assert names["DC"] == "哥伦比亚特区"
        assert names["PR"] == "波多黎各"
        untranslated = [code for code, name in names.items() if not CJK.search(name)]
        assert untranslated == []
        assert state_name("WA") == "华盛顿州"
    with translation.override("en"):
        assert state_name("MI") == "Michigan"
    assert state_name("XX") == "XX"


@pytest.fixture
def world():
    maple, owner = merchant("Great Lakes Maple Co.", slug="great-lakes", state="MI")
    product(maple, owner)
    store = OrganizationFactory(kind=Organization.Kind.BUYER, name="Hangzhou Store")
    return {
        "chinese": member(store, Role.BUYER, language="zh-hans"),
        "english": member(store, Role.BUYER, language="en"),
    }


def _pages(client) -> dict[str, str]:
    return {
        name: client.get(url).content.decode()
        for name, url in {
            "catalogue": reverse("catalog:browse"),
            "directory": reverse("merchants:directory"),
            "profile": reverse("merchants:profile", args=["great-lakes"]),
        }.items()
    }


def test_a_chinese_buyer_reads_the_state_in_chinese_everywhere(client, world):
    client.force_login(world["chinese"])
    pages = _pages(client)
    catalogue = pages["catalogue"]
    # The state filter and the product card's byline.
    assert re.search(r'state=MI"[^>]*>密歇根州</a>', catalogue)
    assert "Great Lakes Maple Co. · 密歇根州" in catalogue
    assert "密歇根州" in pages["directory"]
    assert "Detroit, 密歇根州" in pages["profile"]
    for name, page in pages.items():
        assert "Michigan<" not in page and ", MI<" not in page, name


def test_an_english_buyer_reads_the_english_name(client, world):
    client.force_login(world["english"])
    pages = _pages(client)
    assert re.search(r'state=MI"[^>]*>Michigan</a>', pages["catalogue"])
    assert "Detroit, Michigan" in pages["profile"]
