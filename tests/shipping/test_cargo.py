"""Cargo figures of an order line: cases rounded up to whole cartons, weights and volume from
the SKU's packed case, or from the product's unit weight and size without it."""

from __future__ import annotations

from decimal import Decimal

from catalog.models import SKU, Product
from shipping.cargo import cases_for, line_cargo, space_volume, space_weight


def _sku(**case_fields) -> SKU:
    product = Product(
        weight_kg=Decimal("0.750"),
        length_cm=Decimal("8.0"),
        width_cm=Decimal("8.0"),
        height_cm=Decimal("20.0"),
    )
    return SKU(product=product, case_pack=6, moq=12, **case_fields)


def test_cases_are_whole_cartons():
    assert cases_for(quantity=48, case_pack=6) == 8
    assert cases_for(quantity=49, case_pack=6) == 9
    assert cases_for(quantity=5, case_pack=6) == 1
    assert cases_for(quantity=5, case_pack=0) == 5


def test_with_the_case_weight_and_size():
    sku = _sku(
        case_gross_weight_kg=Decimal("5.20"),
        case_length_cm=Decimal("30.0"),
        case_width_cm=Decimal("20.0"),
        case_height_cm=Decimal("25.0"),
    )
    cargo = line_cargo(sku=sku, quantity=48)
    assert cargo.cases == 8
    assert cargo.net_weight_kg == Decimal("36.00")  # 48 × 0.750
    assert cargo.gross_weight_kg == Decimal("41.60")  # 8 × 5.20
    assert cargo.volume_m3 == Decimal("0.120")  # 8 × 0.015 m³
    assert all(
        isinstance(value, Decimal)
        for value in (cargo.net_weight_kg, cargo.gross_weight_kg, cargo.volume_m3)
    )


def test_without_case_fields_the_units_are_measured():
    cargo = line_cargo(sku=_sku(), quantity=50)
    assert cargo.cases == 9
    assert cargo.net_weight_kg == cargo.gross_weight_kg == Decimal("37.50")
    assert cargo.volume_m3 == Decimal("0.064")  # 50 × 1280 cm³


def test_the_order_lines_case_pack_counts():
    assert line_cargo(sku=_sku(), quantity=48, case_pack=12).cases == 4


def test_only_the_case_weight_known():
    cargo = line_cargo(sku=_sku(case_gross_weight_kg=Decimal("5")), quantity=12)
    assert cargo.gross_weight_kg == Decimal("10.00")
    assert cargo.volume_m3 == Decimal("0.015")


def test_space_is_booked_by_the_tenth_and_at_least_one_cubic_metre():
    assert space_volume(Decimal("0.120")) == Decimal("1.0")
    assert space_volume(Decimal("2.301")) == Decimal("2.4")
    assert space_volume(Decimal("2.300")) == Decimal("2.3")
    assert space_weight(Decimal("41.01")) == 42
    assert space_weight(Decimal("0")) == 1
