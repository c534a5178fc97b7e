"""The estimated landed cost in China, in CNY, of goods bought here: the formulas are written
out in the README ("Landed cost in CNY") and each is tested with a worked example.

- CIF (per unit, USD) = unit price + ocean freight per unit (the shared-container rate per
  W/M times the greater of the case's cubic metres and tonnes, over the case pack) +
  insurance (``LANDED_COST_INSURANCE_PERCENT`` of price + freight); converted at the operators'
  USD→CNY rate.
- General trade: duty = CIF × (MFN % + additional duty %, the latter only where the product's
  country of origin is the United States); consumption tax
  = (CIF + duty) × CT % ÷ (1 − CT %); VAT = (CIF + duty + consumption tax) × VAT %.
- Cross-border e-commerce (positive-list lines only): no duty; consumption tax and VAT at 70 %
  of the amounts computed as above with duty zero.
Rounded half-up to the fen per unit; totals are per-unit figures times the quantity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import prefetch_related_objects

from catalog.freight import shared_container_rate
from catalog.models import SKU, Country, TariffLine
from network.selectors import exchange_rate_day, exchange_rate_in_force

FEN = Decimal("0.01")
# Freight and insurance per unit stay finer than a cent until converted: a case of 48 small
# items carries fractions of a cent of freight each.
USD_PER_UNIT = Decimal("0.0001")
HUNDRED = Decimal(100)
CM3_PER_M3 = Decimal(1_000_000)
KG_PER_TONNE = Decimal(1000)
CROSS_BORDER_SHARE = Decimal("0.7")


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


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
    if not code:
        return None
    return (
        TariffLine.objects.filter(code=code, effective_from__lte=on or exchange_rate_day())
        .order_by("-effective_from")
        .first()
    )


def tariff_lines_in_force(codes: set[str], on: date | None = None) -> dict[str, TariffLine]:
    """The row in force on ``on`` (today) for each of ``codes`` that has one, in one query
    (none when no code is given)."""
    codes = {code for code in codes if code}
    if not codes:
        return {}
    rows = (
        TariffLine.objects.filter(code__in=codes, effective_from__lte=on or exchange_rate_day())
        .order_by("code", "-effective_from")
        .distinct("code")
    )
    return {row.code: row for row in rows}


def suggested_tariff_codes(hs_code: str, on: date | None = None) -> list[TariffLine]:
    """Tariff lines in force whose HS-6 is the first six digits of ``hs_code``."""
    hs6 = "".join(c for c in hs_code or "" if c.isdigit())[:6]
    if len(hs6) != 6:
        return []
    return list(
        TariffLine.objects.filter(hs6=hs6, effective_from__lte=on or exchange_rate_day())
        .order_by("code", "-effective_from")
        .distinct("code")
    )


def freight_per_unit(*, sku: SKU, rate_per_wm: Decimal) -> Decimal:
    """Ocean freight of one unit in USD: the rate per W/M times the greater of the case's cubic
    metres and its tonnes, over the case pack (the case's own size and weight where the SKU has
    them, else the product's unit size and weight times the case pack), to 1/100 of a cent."""
    product = sku.product
    pack = Decimal(sku.case_pack or 1)
    if sku.case_length_cm and sku.case_width_cm and sku.case_height_cm:
        volume = sku.case_length_cm * sku.case_width_cm * sku.case_height_cm / CM3_PER_M3
    else:
        volume = product.length_cm * product.width_cm * product.height_cm * pack / CM3_PER_M3
    weight_kg = sku.case_gross_weight_kg or product.weight_kg * pack
    revenue_tons = max(volume, weight_kg / KG_PER_TONNE)
    return (rate_per_wm * revenue_tons / pack).quantize(USD_PER_UNIT, rounding=ROUND_HALF_UP)


def _route_costs(
    *, cif_cny: Decimal, tariff: TariffLine, us_origin: bool
) -> tuple[RouteCost, RouteCost | None]:
    duty_percent = tariff.mfn_duty_percent + (tariff.additional_duty_percent if us_origin else 0)
    ct = tariff.consumption_tax_percent / HUNDRED
    vat = tariff.vat_percent / HUNDRED

    def taxes(duty: Decimal) -> tuple[Decimal, Decimal]:
        consumption_tax = _fen((cif_cny + duty) * ct / (1 - ct))
        return consumption_tax, _fen((cif_cny + duty + consumption_tax) * vat)

    duty = _fen(cif_cny * duty_percent / HUNDRED)
    consumption_tax, value_added_tax = taxes(duty)
    general = RouteCost(
        route="general",
        duty_cny=duty,
        consumption_tax_cny=consumption_tax,
        vat_cny=value_added_tax,
        landed_cny=cif_cny + duty + consumption_tax + value_added_tax,
    )
    if not tariff.cross_border_positive_list:
        return general, None
    full_ct, full_vat = taxes(Decimal("0.00"))
    ct_cb, vat_cb = _fen(full_ct * CROSS_BORDER_SHARE), _fen(full_vat * CROSS_BORDER_SHARE)
    cross_border = RouteCost(
        route="cross_border",
        duty_cny=Decimal("0.00"),
        consumption_tax_cny=ct_cb,
        vat_cny=vat_cb,
        landed_cny=cif_cny + ct_cb + vat_cb,
    )
    return general, cross_border


def _estimate(
    *,
    sku: SKU,
    unit_price_usd: Decimal,
    tariff: TariffLine,
    rate: Decimal,
    rate_per_wm: Decimal | None,
) -> LandedCost:
    freight = freight_per_unit(sku=sku, rate_per_wm=rate_per_wm) if rate_per_wm else None
    insured = unit_price_usd + (freight or 0)
    insurance = (insured * settings.LANDED_COST_INSURANCE_PERCENT / HUNDRED).quantize(
        USD_PER_UNIT, rounding=ROUND_HALF_UP
    )
    cif_usd = insured + insurance
    cif_cny = _fen(cif_usd * rate)
    general, cross_border = _route_costs(
        cif_cny=cif_cny, tariff=tariff, us_origin=sku.product.country_of_origin == Country.US
    )
    return LandedCost(
        sku_id=sku.pk,
        unit_price_usd=unit_price_usd,
        freight_usd=freight,
        insurance_usd=insurance,
        cif_usd=cif_usd,
        rate=rate,
        cif_cny=cif_cny,
        tariff=tariff,
        general=general,
        cross_border=cross_border,
    )


def _rate_in_force(rate: Decimal | None, on: date | None) -> Decimal | None:
    if rate is not None:
        return rate
    in_force = exchange_rate_in_force(on=on)
    return in_force.rate if in_force else None


def landed_cost(
    *, sku: SKU, unit_price_usd: Decimal, on: date | None = None, rate: Decimal | None = None
) -> LandedCost | None:
    """The per-unit estimate, or None where the SKU has no tariff code with a line in force or
    no USD→CNY rate is set (``rate`` overrides the operators' rate in force)."""
    tariff = tariff_in_force(sku.cn_tariff_code, on)
    if tariff is None:
        return None
    cny_per_usd = _rate_in_force(rate, on)
    if cny_per_usd is None:
        return None
    return _estimate(
        sku=sku,
        unit_price_usd=unit_price_usd,
        tariff=tariff,
        rate=cny_per_usd,
        rate_per_wm=shared_container_rate(),
    )


def landed_costs(
    *, lines: list[tuple[SKU, Decimal]], on: date | None = None, rate: Decimal | None = None
) -> list[LandedCost | None]:
    """``landed_cost`` for many (sku, unit price USD) pairs in a fixed number of queries: the
    rate (unless given), the tariff rows, the freight rate and the products not already loaded
    on the SKUs."""
    cny_per_usd = _rate_in_force(rate, on)
    if cny_per_usd is None:
        return [None] * len(lines)
    tariffs = tariff_lines_in_force({sku.cn_tariff_code for sku, _price in lines}, on)
    estimated = [sku for sku, _price in lines if sku.cn_tariff_code in tariffs]
    if not estimated:
        return [None] * len(lines)
    # The SKU's product row (size, weight, origin) follows its foreign key, as sku.product
    # would one by one.
    prefetch_related_objects(
        [sku for sku in estimated if not SKU.product.is_cached(sku)], "product"
    )
    rate_per_wm = shared_container_rate()
    return [
        _estimate(
            sku=sku,
            unit_price_usd=price,
            tariff=tariffs[sku.cn_tariff_code],
            rate=cny_per_usd,
            rate_per_wm=rate_per_wm,
        )
        if sku.cn_tariff_code in tariffs
        else None
        for sku, price in lines
    ]


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
    without a USD→CNY rate. In a fixed number of queries: the rate, the tariff rows, the
    freight rate and the products not already loaded on the SKUs."""
    cny_per_usd = _rate_in_force(rate, on)
    if cny_per_usd is None:
        return None
    goods_usd = sum((price * quantity for _sku, price, quantity in lines), Decimal("0"))
    estimates = landed_costs(
        lines=[(sku, price) for sku, price, _quantity in lines], on=on, rate=cny_per_usd
    )
    landed = sum(
        (
            estimate.best.landed_cny * quantity
            for estimate, (_sku, _price, quantity) in zip(estimates, lines, strict=True)
            if estimate is not None
        ),
        Decimal("0.00"),
    )
    return LandedTotal(
        rate=cny_per_usd,
        goods_cny=_fen(goods_usd * cny_per_usd),
        landed_cny=landed,
        estimated_lines=sum(1 for estimate in estimates if estimate is not None),
        line_count=len(lines),
    )
