"""W/M arithmetic of shared containers: the greater of m³ and tonnes, priced to the cent, sold
in tenths of a cubic metre from 1 m³."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shipping.errors import SpaceInvalid
from shipping.services import wm_price, wm_revenue_tons
from shipping.services.consolidation import space_volume
from tests.shipping.containers import book_space, open_container


@pytest.mark.parametrize(
    ("volume", "kg", "expected"),
    [
        ("1.0", 200, "1.000"),  # light cargo: the volume counts
        ("2.5", 2500, "2.500"),  # equal
        ("2.0", 3456, "3.456"),  # heavy cargo: the tonnes count
        ("10.3", 1, "10.300"),
        ("1.0", 1001, "1.001"),
    ],
)
def test_revenue_tons_is_the_greater_of_volume_and_tonnes(volume, kg, expected):
    assert wm_revenue_tons(volume_m3=Decimal(volume), weight_kg=kg) == Decimal(expected)


def test_revenue_tons_has_three_decimals():
    assert wm_revenue_tons(volume_m3=Decimal("1.5"), weight_kg=700).as_tuple().exponent == -3


@pytest.mark.parametrize(
    ("volume", "kg", "rate", "expected"),
    [
        ("2.5", 800, "48.00", "120.00"),
        ("1.0", 1333, "45.55", "60.72"),  # 1.333 × 45.55 = 60.71815 -> 60.72
        ("1.0", 1001, "0.05", "0.05"),  # 0.05005 -> 0.05
        ("1.0", 1090, "0.05", "0.05"),  # 0.0545 -> 0.05
        ("1.0", 1100, "0.05", "0.06"),  # 0.055 -> half up: 0.06
        ("3.0", 1000, "33.335", "100.01"),  # 100.005 -> half up to 100.01
    ],
)
def test_price_is_revenue_tons_times_rate_rounded_half_up(volume, kg, rate, expected):
    price = wm_price(volume_m3=Decimal(volume), weight_kg=kg, price_per_wm=Decimal(rate))
    assert price == Decimal(expected)
    assert price.as_tuple().exponent == -2


@pytest.mark.parametrize("value", ["1", "1.0", "2.5", "57.9", 3])
def test_volumes_in_tenths_from_one_cubic_metre_are_accepted(value):
    assert space_volume(value) == Decimal(str(value)).quantize(Decimal("0.1"))


@pytest.mark.parametrize("value", ["0.9", "0", "-2", "1.25", "2.05", "abc", "NaN", "Infinity"])
def test_other_volumes_are_refused_with_space_invalid(value):
    with pytest.raises(SpaceInvalid) as refused:
        space_volume(value)
    assert refused.value.code == "space_invalid"


def test_booked_space_records_its_price_forwarder_price_and_saving(maple, owner, sailing, operator):
    container = open_container(sailing, operator, price_per_wm=Decimal("48.00"))
    space = book_space(maple, container, owner, volume="2.5", weight_kg=3100)
    assert space.revenue_tons == Decimal("3.100")
    assert space.price == Decimal("148.80")
    assert space.forwarder_price == Decimal("294.50")
    assert space.saving == Decimal("145.70")
    assert space.price_per_wm == Decimal("48.00")


@pytest.mark.parametrize("volume", ["0.5", "1.55"])
def test_the_service_refuses_space_under_one_cubic_metre_or_in_hundredths(
    maple, owner, sailing, operator, volume
):
    container = open_container(sailing, operator)
    with pytest.raises(SpaceInvalid):
        book_space(maple, container, owner, volume=volume)
