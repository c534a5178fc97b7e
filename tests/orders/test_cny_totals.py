"""CNY beside USD: the cart, checkout, purchase order page and printed PO give the total in CNY
at the operators' rate and the estimated landed cost in China (``catalog.landed_cost``), and
the purchase order keeps the rate and the estimate of the day it was placed.

The worked example of the README ("China tariff table and landed cost in CNY"): maple syrup
(tariff 17022000: MFN 30 %, additional 10 % on US goods, VAT 13 %, on the positive list) at
the 48+ tier of 7.90 USD, a case of 6 in 40 × 30 × 25 cm of 12 kg, freight 80.00 USD per W/M,
7.10 CNY per USD: 64.49 CNY a unit by the cross-border route, the cheaper one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from catalog import freight
from catalog.models import SKU, TariffLine
from network.models import ExchangeRate, Membership, Role
from orders import services
from orders.models import PurchaseOrder
from tests.orders.factories import add_to_cart, buyer, check_out, merchant, sku

pytestmark = pytest.mark.django_db

RATE = Decimal("7.10")


@pytest.fixture
def freight_at_80():
    saved = list(freight._rate_source)
    freight.register_shared_container_rate(lambda: Decimal("80.00"))
    yield
    freight._rate_source[:] = saved


@pytest.fixture
def world(freight_at_80):
    maple, owner = merchant("Great Lakes Maple Co.")
    store, wang = buyer()
    syrup = sku(maple, owner, code="MAPLE-500")
    plain = sku(maple, owner, code="CANDY-12", title="Maple Candy")
    TariffLine.objects.create(
        code="17022000",
        hs6="170220",
        description_en="Maple sugar and maple syrup",
        mfn_duty_percent=Decimal("30"),
        additional_duty_percent=Decimal("10"),
        consumption_tax_percent=Decimal("0"),
        vat_percent=Decimal("13"),
        cross_border_positive_list=True,
        effective_from=date(2026, 1, 1),
    )
    with scopes_disabled():
        SKU.objects.filter(pk=syrup.pk).update(
            cn_tariff_code="17022000",
            case_length_cm=40,
            case_width_cm=30,
            case_height_cm=25,
            case_gross_weight_kg=12,
        )
    return {"store": store, "wang": wang, "syrup": syrup, "plain": plain}


def maple_owner(organization):
    with scopes_disabled():
        return Membership.objects.get(organization=organization, role=Role.OWNER).user


def _rate():
    ExchangeRate.objects.create(rate=RATE, effective_date=date(2026, 1, 1))


def test_the_cart_and_checkout_show_cny_beside_usd(client, world):
    _rate()
    add_to_cart(world["store"], world["wang"], world["syrup"], 48)
    client.force_login(world["wang"])
    for name in ("orders:cart", "orders:checkout"):
        response = client.get(reverse(name))
        cny = response.context["cart"].cny
        # 48 × 7.90 = 379.20 USD × 7.10 = 2,692.32 CNY; landed 48 × 64.49 = 3,095.52 CNY.
        assert (cny.goods_cny, cny.landed_cny) == (Decimal("2692.32"), Decimal("3095.52"))
        page = response.content.decode()
        assert "≈ ¥2,692.32" in page and "≈ ¥3,095.52" in page
        assert "At 1 USD = 7.1000 CNY" in page
    page = client.get(reverse("orders:cart")).content.decode()
    assert "≈ ¥64.49 a unit landed in China (cross-border)" in page


def test_a_line_without_a_tariff_code_is_counted_in_cny_but_not_in_the_estimate(client, world):
    _rate()
    add_to_cart(world["store"], world["wang"], world["syrup"], 48)
    add_to_cart(world["store"], world["wang"], world["plain"], 12)
    client.force_login(world["wang"])
    response = client.get(reverse("orders:cart"))
    cny = response.context["cart"].cny
    # Plus 12 × 8.50 = 102.00 USD = 724.20 CNY.
    assert cny.goods_cny == Decimal("3416.52")
    assert (cny.landed_cny, cny.estimated_lines, cny.line_count) == (Decimal("3095.52"), 1, 2)
    assert "Estimated for 1 of 2 lines" in response.content.decode()


def test_the_purchase_order_keeps_the_rate_and_the_estimate_of_its_day(client, world):
    _rate()
    add_to_cart(world["store"], world["wang"], world["syrup"], 48)
    purchase_order = check_out(world["store"], world["wang"])
    with scopes_disabled():
        purchase_order = PurchaseOrder.objects.get(pk=purchase_order.pk)
    assert purchase_order.usd_cny_rate == RATE
    assert purchase_order.landed_cost_cny == Decimal("3095.52")
    assert purchase_order.total_cny == Decimal("2692.32")
    # A new rate later does not change the placed order.
    ExchangeRate.objects.create(rate=Decimal("7.50"), effective_date=date(2026, 2, 1))
    client.force_login(world["wang"])
    for name in ("orders:purchase_order_detail", "orders:purchase_order_print"):
        page = client.get(reverse(name, args=[purchase_order.number])).content.decode()
        assert "≈ ¥2,692.32" in page and "≈ ¥3,095.52" in page
        assert "at 1 USD = 7.1000 CNY when placed" in page
    body = client.get(f"/api/v1/orders/purchase-orders/{purchase_order.number}/").json()
    assert (body["usd_cny_rate"], body["total_cny"], body["landed_cost_cny"]) == (
        "7.100000",
        "2692.32",
        "3095.52",
    )


def test_without_a_rate_no_cny_is_shown_or_stored(client, world):
    add_to_cart(world["store"], world["wang"], world["syrup"], 48)
    client.force_login(world["wang"])
    response = client.get(reverse("orders:cart"))
    assert response.context["cart"].cny is None
    assert "¥" not in response.content.decode()
    purchase_order = check_out(world["store"], world["wang"])
    assert purchase_order.usd_cny_rate is None and purchase_order.landed_cost_cny is None
    page = client.get(
        reverse("orders:purchase_order_detail", args=[purchase_order.number])
    ).content.decode()
    assert "¥" not in page


def test_the_cart_reads_a_fixed_number_of_queries_whatever_its_lines(client, world):
    _rate()
    client.force_login(world["wang"])
    add_to_cart(world["store"], world["wang"], world["syrup"], 48)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("orders:cart")).status_code == 200
        return len(captured)

    queries()  # the first page of a session reads what later pages find cached
    one_line = queries()
    maple = world["syrup"].organization
    owner = maple_owner(maple)
    for n in range(3):
        extra = sku(maple, owner, code=f"MAPLE-{n}", title=f"Maple {n}")
        with scopes_disabled():
            SKU.objects.filter(pk=extra.pk).update(
                cn_tariff_code="17022000", sample_price_usd=Decimal("9.00")
            )
        add_to_cart(world["store"], world["wang"], extra, 12)
        with scope(organization=world["store"]):
            services.cart_add_sample(
                organization=world["store"], sku_id=extra.pk, quantity=1, acting_user=world["wang"]
            )
    assert queries() == one_line + 1  # the samples already ordered, once there are samples


def test_without_any_tariff_code_the_cart_gives_no_landed_estimate(client, world):
    _rate()
    add_to_cart(world["store"], world["wang"], world["plain"], 12)
    client.force_login(world["wang"])
    page = client.get(reverse("orders:cart")).content.decode()
    assert "≈ ¥724.20" in page
    assert "Estimated landed cost in China" not in page
    assert "No line has a China tariff code yet" in page
