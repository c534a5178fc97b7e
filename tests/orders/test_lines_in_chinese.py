"""Order lines in the reader's language: the buyer's purchase order, its printed copy and the
merchant's order show the product's Chinese title and the variant's Chinese name as they were
when the order was placed, and name the variant once even when the title already ends with it.

People: a Chinese-speaking buyer, an English-speaking teammate, the merchant."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import SKU, Product, listing_label
from network.models import Role
from orders.models import PurchaseOrderLine
from tests.factories import member
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku

pytestmark = pytest.mark.django_db


def _named(item, *, title_en, title_zh, variant_en, variant_zh) -> SKU:
    with scopes_disabled():
        Product.objects.filter(pk=item.product_id).update(title_en=title_en, title_zh_hans=title_zh)
        SKU.objects.filter(pk=item.pk).update(variant_en=variant_en, variant_zh_hans=variant_zh)
        return SKU.objects.select_related("product").get(pk=item.pk)


@pytest.fixture
def world():
    maple, maple_owner = merchant("Great Lakes Maple Co.")
    tin = _named(
        sku(maple, maple_owner, code="MAPLE-TIN"),
        title_en="Great Lakes Pure Michigan Maple Syrup, gift tin",
        title_zh="纯正密歇根枫糖浆（礼品罐装）",
        variant_en="gift tin",
        variant_zh="礼品罐装",
    )
    bottle = _named(
        sku(maple, maple_owner, code="MAPLE-500"),
        title_en="Dark Robust Maple Syrup",
        title_zh="浓郁深色枫糖浆",
        variant_en="500 ml bottle",
        variant_zh="500毫升瓶装",
    )
    store, wang = buyer(language="zh-hans")
    purchase_order = place(store, wang, [(tin, 12), (bottle, 12)])
    fan_out(purchase_order)
    return {
        "maple": maple,
        "maple_owner": maple_owner,
        "tin": tin,
        "bottle": bottle,
        "store": store,
        "wang": wang,
        "purchase_order": purchase_order,
    }


def _cells(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", page)]


def test_the_order_keeps_the_chinese_title_and_variant_it_was_placed_with(world):
    with scopes_disabled():
        lines = {
            line.sku_code: line
            for line in PurchaseOrderLine.objects.filter(purchase_order=world["purchase_order"])
        }
    assert lines["MAPLE-500"].product_title == "Dark Robust Maple Syrup"
    assert lines["MAPLE-500"].product_title_zh_hans == "浓郁深色枫糖浆"
    assert lines["MAPLE-500"].variant == "500 ml bottle"
    assert lines["MAPLE-500"].variant_zh_hans == "500毫升瓶装"


def test_the_buyer_reads_the_lines_in_chinese_with_the_variant_named_once(client, world):
    client.force_login(world["wang"])
    number = world["purchase_order"].number
    page = client.get(reverse("orders:purchase_order_detail", args=[number])).content.decode()
    cells = _cells(page)
    assert "纯正密歇根枫糖浆（礼品罐装）" in cells
    assert "浓郁深色枫糖浆 · 500毫升瓶装" in cells
    assert "礼品罐装 · 礼品罐装" not in page and "gift tin" not in page
    assert "Maple Syrup" not in page

    printed = client.get(reverse("orders:purchase_order_print", args=[number])).content.decode()
    cells = _cells(printed)
    assert "纯正密歇根枫糖浆（礼品罐装）" in cells
    assert "浓郁深色枫糖浆 · 500毫升瓶装" in cells
    assert "Maple Syrup" not in printed


def test_an_english_reader_sees_the_english_copy_without_the_variant_twice(client, world):
    teammate = member(world["store"], Role.BUYER, language="en")
    client.force_login(teammate)
    number = world["purchase_order"].number
    for name in ("orders:purchase_order_detail", "orders:purchase_order_print"):
        cells = _cells(client.get(reverse(name, args=[number])).content.decode())
        assert "Great Lakes Pure Michigan Maple Syrup, gift tin" in cells
        assert "Dark Robust Maple Syrup · 500 ml bottle" in cells
        assert not [cell for cell in cells if "gift tin · gift tin" in cell]


def test_the_merchant_reads_its_order_in_its_own_language(client, world):
    merchant_order = merchant_order_of(world["purchase_order"], world["maple"])
    url = reverse("orders:merchant_order_detail", args=[merchant_order.number])
    client.force_login(world["maple_owner"])
    cells = _cells(client.get(url).content.decode())
    assert "Great Lakes Pure Michigan Maple Syrup, gift tin" in cells
    assert "Dark Robust Maple Syrup · 500 ml bottle" in cells

    chinese_staff = member(world["maple"], Role.STAFF, language="zh-hans")
    client.force_login(chinese_staff)
    cells = _cells(client.get(url).content.decode())
    assert "纯正密歇根枫糖浆（礼品罐装）" in cells
    assert "浓郁深色枫糖浆 · 500毫升瓶装" in cells


def test_renaming_the_listing_later_does_not_change_the_placed_order(client, world):
    _named(
        world["bottle"],
        title_en="Robust Maple Syrup (new label)",
        title_zh="新包装枫糖浆",
        variant_en="half litre",
        variant_zh="半升装",
    )
    client.force_login(world["wang"])
    number = world["purchase_order"].number
    page = client.get(reverse("orders:purchase_order_detail", args=[number])).content.decode()
    assert "浓郁深色枫糖浆 · 500毫升瓶装" in _cells(page)
    assert "新包装枫糖浆" not in page


def test_the_cart_names_the_variant_once_in_chinese(client, world):
    client.force_login(world["wang"])
    client.post(reverse("orders:cart_add"), {"sku": world["tin"].pk, "quantity": 12})
    client.post(reverse("orders:cart_add"), {"sku": world["bottle"].pk, "quantity": 12})
    page = client.get(reverse("orders:cart")).content.decode()
    assert ">纯正密歇根枫糖浆（礼品罐装）</a>" in page
    assert ">浓郁深色枫糖浆 · 500毫升瓶装</a>" in page
    assert "· 礼品罐装" not in page


@pytest.mark.parametrize(
    ("title", "variant", "label"),
    [
        ("Maple syrup, gift tin", "gift tin", "Maple syrup, gift tin"),
        ("Maple syrup (Gift Tin)", "gift tin", "Maple syrup (Gift Tin)"),
        ("纯正枫糖浆（礼品罐装）", "礼品罐装", "纯正枫糖浆（礼品罐装）"),
        ("Maple syrup 500 ml", "500 ml", "Maple syrup 500 ml"),
        ("Maple syrup", "500 ml", "Maple syrup · 500 ml"),
        ("Maple cream spread", "read", "Maple cream spread · read"),
        ("Maple syrup", "", "Maple syrup"),
    ],
)
def test_a_label_names_the_variant_once(title, variant, label):
    assert listing_label(title, variant) == label
