"""Cargo figures of an order line: cases, net and gross weight and volume, from the SKU's packed
case (weight and size) or, without it, from the product's unit weight and size times the units.
Decimal throughout: weights in kg to 2 places, volumes in m³ to 3 places."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from catalog.models import SKU

KG = Decimal("0.01")
M3 = Decimal("0.001")
CM3_PER_M3 = Decimal(1_000_000)
# Space in a shared container is sold by the tenth of a m³, at least one m³.
SPACE_STEP = Decimal("0.1")
SPACE_MINIMUM = Decimal("1.0")


@dataclass(frozen=True)
class Cargo:
    cases: int
    net_weight_kg: Decimal
    gross_weight_kg: Decimal
    volume_m3: Decimal

    def __add__(self, other: Cargo) -> Cargo:
        return Cargo(
            cases=self.cases + other.cases,
            net_weight_kg=self.net_weight_kg + other.net_weight_kg,
            gross_weight_kg=self.gross_weight_kg + other.gross_weight_kg,
            volume_m3=self.volume_m3 + other.volume_m3,
        )


NO_CARGO = Cargo(
    cases=0,
    net_weight_kg=Decimal("0.00"),
    gross_weight_kg=Decimal("0.00"),
    volume_m3=Decimal("0.000"),
)


def cases_for(*, quantity: int, case_pack: int) -> int:
    """Cartons needed for ``quantity`` units: a part-filled carton is still a carton."""
    pack = max(case_pack or 1, 1)
    return -(-quantity // pack)


def line_cargo(*, sku: SKU, quantity: int, case_pack: int | None = None) -> Cargo:
    """The cargo of ``quantity`` units of ``sku`` packed ``case_pack`` to a carton (the SKU's
    own pack unless the order line recorded another)."""
    product = sku.product
    cases = cases_for(quantity=quantity, case_pack=case_pack or sku.case_pack)
    units = Decimal(quantity)
    net = product.weight_kg * units
    gross = sku.case_gross_weight_kg * cases if sku.case_gross_weight_kg else net
    if sku.case_length_cm and sku.case_width_cm and sku.case_height_cm:
        volume = sku.case_length_cm * sku.case_width_cm * sku.case_height_cm * cases / CM3_PER_M3
    else:
        volume = product.length_cm * product.width_cm * product.height_cm * units / CM3_PER_M3
    return Cargo(
        cases=cases,
        net_weight_kg=net.quantize(KG, rounding=ROUND_HALF_UP),
        gross_weight_kg=gross.quantize(KG, rounding=ROUND_HALF_UP),
        volume_m3=volume.quantize(M3, rounding=ROUND_HALF_UP),
    )


def space_volume(volume_m3: Decimal) -> Decimal:
    """The space to book for ``volume_m3`` of cargo: rounded up to the tenth, at least 1 m³."""
    return max(volume_m3.quantize(SPACE_STEP, rounding=ROUND_CEILING), SPACE_MINIMUM)


def space_weight(weight_kg: Decimal) -> int:
    """Whole kilograms to book for ``weight_kg`` of cargo (rounded up, at least 1)."""
    return max(int(weight_kg.to_integral_value(rounding=ROUND_CEILING)), 1)
