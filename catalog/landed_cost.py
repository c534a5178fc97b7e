"""The estimated landed cost in China, in CNY, of goods bought here: the formulas are written
out in the README ("Landed cost in CNY") and each is tested with a worked example.

- CIF (per unit, USD) = unit price + ocean freight per unit (the shared-container rate per
  W/M times the greater of the case's cubic metres and tonnes, over the case pack) +
  insurance (``LANDED_COST_INSURANCE_PERCENT`` of price + freight); converted at the operators'
  USD→CNY rate.
- General trade: duty = CIF × (MFN % + additional duty on US-origin goods %); consumption tax
  = (CIF + duty) × CT % ÷ (1 − CT %); VAT = (CIF + duty + consumption tax) × VAT %.
- Cross-border e-commerce (positive-list lines only): no duty; consumption tax and VAT at 70 %
  of the amounts computed as above with duty zero.
Rounded half-up to the fen per unit; totals are per-unit figures times the quantity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from catalog.models import SKU, TariffLine


@dataclass(frozen=True)
class RouteCost:
    """One import route's figures per unit, in CNY."""

    route: str  # "general" or "cross_border"
    duty_cny: Decimal
    consumption_tax_cny: Decimal
    vat_cny: Decimal
    landed_cny: Decimal  # CIF + duty + consumption tax + VAT


@dataclass(frozen=True)
class LandedCost:
    """The estimate for one unit of a SKU at a unit price; ``cross_border`` is None where the
    tariff line is not on the positive list."""

    sku_id: int
    unit_price_usd: Decimal
    freight_usd: Decimal | None  # None: no shared-container rate, freight left out
    insurance_usd: Decimal
    cif_usd: Decimal
    rate: Decimal  # CNY per USD
    cif_cny: Decimal
    tariff: TariffLine
    general: RouteCost
    cross_border: RouteCost | None

    @property
    def best(self) -> RouteCost:
        """The cheaper route the goods may take."""
        if self.cross_border is not None and self.cross_border.landed_cny < self.general.landed_cny:
            return self.cross_border
        return self.general


def tariff_in_force(code: str, on: date | None = None) -> TariffLine | None:
    """The newest tariff row for ``code`` effective on day ``on`` (today)."""
    raise NotImplementedError


def suggested_tariff_codes(hs_code: str, on: date | None = None) -> list[TariffLine]:
    """Tariff lines in force whose HS-6 is the first six digits of ``hs_code``."""
    raise NotImplementedError


def landed_cost(
    *, sku: SKU, unit_price_usd: Decimal, on: date | None = None, rate: Decimal | None = None
) -> LandedCost | None:
    """The per-unit estimate, or None where the SKU has no tariff code with a line in force or
    no USD→CNY rate is set (``rate`` overrides the operators' rate in force)."""
    raise NotImplementedError


@dataclass(frozen=True)
class LandedTotal:
    """A cart's or an order's totals in CNY: what the goods cost at the rate, and the landed
    estimate over the lines that have one (``estimated_lines`` of ``line_count``)."""

    rate: Decimal
    goods_cny: Decimal
    landed_cny: Decimal
    estimated_lines: int
    line_count: int


def landed_total(
    *, lines: list[tuple[SKU, Decimal, int]], on: date | None = None, rate: Decimal | None = None
) -> LandedTotal | None:
    """Totals for (sku, unit price USD, quantity) lines, each line at its cheaper route; None
    without a USD→CNY rate. In a fixed number of queries."""
    raise NotImplementedError
