"""catalog.landed_cost: the worked examples of the README ("China tariff table and landed
cost in CNY"), figure by figure.

Maple syrup (tariff 17022000: MFN 30 %, additional 10 % on US goods, no consumption tax, VAT
13 %, on the positive list) at 7.90 USD, a case of 6 in 40 × 30 × 25 cm weighing 12 kg, freight
80.00 USD per W/M, 7.10 CNY per USD; a face serum (33049900: MFN 5 %, additional 10 %,
consumption tax 15 %, VAT 13 %, positive list) at 20.00 USD with no shared-container rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from catalog import freight
from catalog.landed_cost import (
    landed_cost,
    landed_total,
    suggested_tariff_codes,
    tariff_in_force,
)
from catalog.models import SKU, Product, TariffLine
from network.models import ExchangeRate
from tests.catalog.factories import merchant, product

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 7)
RATE = Decimal("7.10")


def tariff(code, hs6, mfn, additional, ct, vat, positive=True, effective=date(2026, 1, 1)):
    return TariffLine.objects.create(
        code=code,
        hs6=hs6,
        description_en=f"Line {code}",
        mfn_duty_percent=Decimal(mfn),
        additional_duty_percent=Decimal(additional),
        consumption_tax_percent=Decimal(ct),
        vat_percent=Decimal(vat),
        cross_border_positive_list=positive,
        effective_from=effective,
    )


@pytest.fixture
def freight_at():
    saved = list(freight._rate_source)

    def set_rate(rate):
        freight.register_shared_container_rate(lambda: rate)

    yield set_rate
    freight._rate_source[:] = saved


@pytest.fixture
def maple():
    return merchant("Great Lakes Maple Co.")


def make_sku(maple, code, *, tariff_code, case=None, origin="US", hs_code="1702200000"):
    organization, owner = maple
    listing = product(organization, owner, code=code, hs_code=hs_code, publish=False)
    with scopes_disabled():
        Product.objects.filter(pk=listing.pk).update(country_of_origin=origin)
        sku = SKU.objects.select_related("product").get(product=listing)
        sku.cn_tariff_code = tariff_code
        if case:
            sku.case_length_cm, sku.case_width_cm, sku.case_height_cm, weight = case
            sku.case_gross_weight_kg = weight
        sku.save()
    return sku


@pytest.fixture
def syrup(maple):
    tariff("17022000", "170220", "30", "10", "0", "13")
    return make_sku(maple, "MAPLE-500", tariff_code="17022000", case=(40, 30, 25, Decimal(12)))


@pytest.fixture
def serum(maple):
    tariff("33049900", "330499", "5", "10", "15", "13")
    return make_sku(maple, "SERUM-30", tariff_code="33049900", hs_code="3304990000")


def test_general_trade_and_cross_border_with_freight(syrup, freight_at):
    freight_at(Decimal("80.00"))
    estimate = landed_cost(sku=syrup, unit_price_usd=Decimal("7.90"), on=TODAY, rate=RATE)
    # Case 0.03 m³ against 0.012 t: 0.03 W/M × 80.00 = 2.40 a case, 0.40 a unit.
    assert estimate.freight_usd == Decimal("0.4000")
    # Insurance 0.3 % of 8.30 = 0.0249; CIF 8.3249 USD × 7.10 = 59.10679 → 59.11 CNY.
    assert estimate.insurance_usd == Decimal("0.0249")
    assert estimate.cif_usd == Decimal("8.3249")
    assert estimate.cif_cny == Decimal("59.11")
    general = estimate.general
    # Duty 59.11 × 40 % = 23.644 → 23.64; VAT (59.11 + 23.64) × 13 % = 10.7575 → 10.76.
    assert (general.duty_cny, general.consumption_tax_cny, general.vat_cny) == (
        Decimal("23.64"),
        Decimal("0.00"),
        Decimal("10.76"),
    )
    assert general.landed_cny == Decimal("93.51")
    cross = estimate.cross_border
    # VAT without duty 59.11 × 13 % = 7.6843 → 7.68; 70 % of it = 5.376 → 5.38.
    assert (cross.duty_cny, cross.consumption_tax_cny, cross.vat_cny) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("5.38"),
    )
    assert cross.landed_cny == Decimal("64.49")
    assert estimate.best is cross


def test_consumption_tax_on_both_routes_without_freight(serum, freight_at):
    freight_at(None)
    estimate = landed_cost(sku=serum, unit_price_usd=Decimal("20.00"), on=TODAY, rate=RATE)
    assert estimate.freight_usd is None
    # Insurance 0.3 % of 20.00 = 0.06; CIF 20.06 × 7.10 = 142.426 → 142.43.
    assert (estimate.insurance_usd, estimate.cif_cny) == (Decimal("0.0600"), Decimal("142.43"))
    general = estimate.general
    # Duty 142.43 × 15 % = 21.3645 → 21.36;
    # consumption tax (142.43 + 21.36) × 15 % ÷ 85 % = 28.9041 → 28.90;
    # VAT (142.43 + 21.36 + 28.90) × 13 % = 25.0497 → 25.05.
    assert (general.duty_cny, general.consumption_tax_cny, general.vat_cny) == (
        Decimal("21.36"),
        Decimal("28.90"),
        Decimal("25.05"),
    )
    assert general.landed_cny == Decimal("217.74")
    # Without duty: consumption tax 142.43 × 15 % ÷ 85 % = 25.1347 → 25.13, 70 % → 17.59;
    # VAT (142.43 + 25.13) × 13 % = 21.7828 → 21.78, 70 % → 15.25.
    cross = estimate.cross_border
    assert (cross.consumption_tax_cny, cross.vat_cny, cross.landed_cny) == (
        Decimal("17.59"),
        Decimal("15.25"),
        Decimal("175.27"),
    )


def test_additional_duty_only_on_us_origin_and_no_cross_border_off_the_list(maple, freight_at):
    freight_at(None)
    tariff("33049900", "330499", "5", "10", "15", "13", positive=False)
    canadian = make_sku(maple, "SERUM-CA", tariff_code="33049900", origin="CA")
    estimate = landed_cost(sku=canadian, unit_price_usd=Decimal("20.00"), on=TODAY, rate=RATE)
    # Duty 142.43 × 5 % = 7.1215 → 7.12.
    assert estimate.general.duty_cny == Decimal("7.12")
    assert estimate.cross_border is None
    assert estimate.best is estimate.general


def test_freight_by_weight_when_the_case_is_heavy(maple, freight_at):
    freight_at(Decimal("80.00"))
    tariff("17022000", "170220", "30", "10", "0", "13")
    heavy = make_sku(maple, "MAPLE-4L", tariff_code="17022000", case=(20, 20, 20, Decimal(30)))
    estimate = landed_cost(sku=heavy, unit_price_usd=Decimal("7.90"), on=TODAY, rate=RATE)
    # 0.008 m³ against 0.030 t: 0.03 W/M × 80.00 = 2.40 a case of 6, 0.40 a unit.
    assert estimate.freight_usd == Decimal("0.4000")


def test_no_estimate_without_a_line_in_force_or_a_rate(maple, syrup, freight_at):
    freight_at(None)
    untariffed = make_sku(maple, "MAPLE-PLAIN", tariff_code="")
    assert landed_cost(sku=untariffed, unit_price_usd=Decimal("7.90"), rate=RATE) is None
    unknown = make_sku(maple, "MAPLE-X", tariff_code="99999999")
    assert landed_cost(sku=unknown, unit_price_usd=Decimal("7.90"), rate=RATE) is None
    assert landed_cost(sku=syrup, unit_price_usd=Decimal("7.90"), on=TODAY) is None
    ExchangeRate.objects.create(rate=RATE, effective_date=date(2026, 12, 1))
    estimate = landed_cost(sku=syrup, unit_price_usd=Decimal("7.90"), on=TODAY)
    assert estimate.rate == RATE


def test_the_row_in_force_is_the_newest_effective_one(syrup):
    tariff("17022000", "170220", "30", "0", "0", "9", effective=date(2027, 1, 1))
    assert tariff_in_force("17022000", TODAY).additional_duty_percent == Decimal("10")
    assert tariff_in_force("17022000", date(2027, 1, 1)).vat_percent == Decimal("9")
    assert tariff_in_force("17022000", date(2025, 12, 31)) is None


def test_codes_are_suggested_from_the_hs_code(syrup):
    tariff("17022000", "170220", "30", "0", "0", "9", effective=date(2027, 1, 1))
    tariff("17022010", "170220", "30", "10", "0", "13")
    tariff("33049900", "330499", "5", "10", "15", "13")
    assert [t.code for t in suggested_tariff_codes("1702200000", TODAY)] == [
        "17022000",
        "17022010",
    ]
    assert suggested_tariff_codes("1702200000", TODAY)[0].vat_percent == Decimal("13")
    assert suggested_tariff_codes("17", TODAY) == []


def test_totals_take_each_line_at_its_cheaper_route(
    maple, syrup, freight_at, django_assert_num_queries
):
    freight_at(Decimal("80.00"))
    plain = make_sku(maple, "MAPLE-PLAIN", tariff_code="")
    with scopes_disabled():
        syrup = SKU.objects.get(pk=syrup.pk)  # its product not loaded: one query for all
    lines = [(syrup, Decimal("7.90"), 48), (plain, Decimal("5.00"), 12)]
    # The tariff rows in force, the products of the estimated lines.
    with django_assert_num_queries(2):
        total = landed_total(lines=lines, on=TODAY, rate=RATE)
    # Goods (48 × 7.90 + 12 × 5.00) = 439.20 USD × 7.10 = 3118.32 CNY;
    # landed: 48 × 64.49 (cross-border) = 3095.52, over one line of two.
    assert total.goods_cny == Decimal("3118.32")
    assert total.landed_cny == Decimal("3095.52")
    assert (total.estimated_lines, total.line_count, total.rate) == (1, 2, RATE)
    assert landed_total(lines=lines, on=TODAY) is None
