"""Dashboard panels of wholesale ordering: gross merchandise value, buyers, the merchant funnel
and shipping times for operators; sales, top products and the order pipeline for a merchant;
spend and open purchase orders for a buyer. Every figure is one aggregate query in SQL
(``orders.selectors``), whatever the number of orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from network import charts
from network.dashboards import Column, DashboardPanel, Figure, PanelContent, Period, Table
from network.models import Organization
from orders import selectors
from orders.models import DailySales, MerchantOrderStatus, PurchaseOrderStatus

OPERATOR = (Organization.Kind.OPERATOR,)
MERCHANT = (Organization.Kind.MERCHANT,)
BUYER = (Organization.Kind.BUYER,)

GMV_HELP = gettext_lazy(
    "Gross merchandise value: the value of purchase order lines placed in the range, at the "
    "price agreed, leaving out lines the merchant rejected or that were cancelled."
)


def money(value) -> str:
    return f"${Decimal(value or 0):,.0f}"


def percent(part, whole) -> float:
    return round(float(part) / float(whole) * 100, 1) if whole else 0.0


def _weekly_points(
    period: Period, by_week: dict, key: str, *, is_money: bool = True
) -> list[tuple[str, Decimal | int, str]]:
    """One point per week of the period, empty weeks at zero."""
    points = []
    for week in period.week_starts():
        value = by_week.get(week, {}).get(key) or (Decimal("0.00") if is_money else 0)
        text = money(value) if is_money else f"{value:,}"
        # Month/day: read the same in English and Chinese.
        points.append((f"{week.month}/{week.day}", value, text))
    return points


# --- Operator ----------------------------------------------------------------------------------


def gmv_by_week(organization: Organization, period: Period) -> PanelContent:
    rows = selectors.gmv_by_week(period=period)
    by_week = {row["week"]: row for row in rows}
    total = sum((row["gmv"] for row in rows), Decimal("0"))
    cross_border = sum((row["gmv_china"] for row in rows), Decimal("0"))
    orders = sum(row["purchase_orders"] for row in rows)
    return PanelContent(
        title=_("Gross merchandise value by week"),
        help=_(
            "%(gmv)s Crossing the border: the share of it bought by buyer organisations whose "
            "registered address is in China (every other sale stays inside one country)."
        )
        % {"gmv": GMV_HELP},
        figures=[
            Figure(_("GMV"), money(total)),
            Figure(_("Purchase orders"), f"{orders:,}"),
            Figure(
                _("Crosses the border"), f"{percent(cross_border, total):.1f}%", money(cross_border)
            ),
            Figure(
                _("Average order"),
                money(total / orders if orders else 0),
            ),
        ],
        columns=charts.column_chart(_weekly_points(period, by_week, "gmv"), axis_prefix="$"),
        chart_title=_("GMV per week, USD"),
        table=Table(
            [
                Column(_("Week of"), "date"),
                Column(_("GMV (USD)"), "money"),
                Column(_("Purchase orders"), "int"),
                Column(_("Bought from China (USD)"), "money"),
            ],
            [
                [
                    week,
                    by_week.get(week, {}).get("gmv") or Decimal("0.00"),
                    by_week.get(week, {}).get("purchase_orders") or 0,
                    by_week.get(week, {}).get("gmv_china") or Decimal("0.00"),
                ]
                for week in period.week_starts()
            ],
        ),
        wide=True,
    )


def active_buyers(organization: Organization, period: Period) -> PanelContent:
    weekly = {row["week"]: row for row in selectors.active_buyers_by_week(period=period)}
    totals = selectors.active_buyer_totals(period=period)
    points = _weekly_points(period, weekly, "buyers", is_money=False)
    return PanelContent(
        title=_("Active buyers"),
        help=_("Buyer organisations that placed at least one purchase order."),
        figures=[
            Figure(_("Active in the range"), f"{totals['active']:,}"),
            Figure(_("First order in the range"), f"{totals['new']:,}"),
            Figure(_("Buyer organisations"), f"{totals['registered']:,}"),
        ],
        columns=charts.column_chart(points),
        chart_title=_("Buyers ordering per week"),
        table=Table(
            [Column(_("Week of"), "date"), Column(_("Active buyers"), "int")],
            [[week, weekly.get(week, {}).get("buyers", 0)] for week in period.week_starts()],
        ),
        wide=True,
    )


def merchant_funnel(organization: Organization, period: Period) -> PanelContent:
    funnel = selectors.merchant_funnel(period=period)
    steps = [
        (_("Applied"), funnel["applied"]),
        (_("Approved"), funnel["approved"]),
        (_("First listing"), funnel["listed"]),
        (_("First order"), funnel["ordered"]),
    ]
    applied = funnel["applied"]
    return PanelContent(
        title=_("Merchant funnel"),
        help=_(
            "Merchants who submitted their application in the range, and how many of them "
            "have since been approved, published a listing and received an order."
        ),
        bars=charts.horizontal_bars(
            [
                charts.BarRow(
                    label=str(label),
                    value=count,
                    total=applied,
                    value_text=f"{count:,} · {percent(count, applied):.0f}%",
                )
                for label, count in steps
            ],
            label_width=150,
            bar_width=380,
        ),
        table=Table(
            [Column(_("Step")), Column(_("Merchants"), "int"), Column(_("Of applied"), "percent")],
            [[str(label), count, percent(count, applied)] for label, count in steps],
        ),
    )


def gmv_by_category(organization: Organization, period: Period) -> PanelContent:
    buyer = organization if organization.kind == Organization.Kind.BUYER else None
    rows = selectors.gmv_by_category(period=period, buyer=buyer)
    total = sum((row["gmv"] for row in rows), Decimal("0"))
    title = _("Spend by category") if buyer else _("GMV by category")
    return PanelContent(
        title=title,
        help=_("Top-level catalogue category of the products ordered."),
        bars=charts.ranked_bars(
            [(row["name"], row["gmv"], money(row["gmv"])) for row in rows[:10]],
            label_width=220,
            bar_width=360,
            value_width=90,
        )
        if rows
        else None,
        empty=_("No orders in this range."),
        table=Table(
            [
                Column(_("Category")),
                Column(_("Value (USD)"), "money"),
                Column(_("Units"), "int"),
                Column(_("Share"), "percent"),
            ],
            [[row["name"], row["gmv"], row["units"], percent(row["gmv"], total)] for row in rows],
        ),
    )


def gmv_by_state(organization: Organization, period: Period) -> PanelContent:
    rows = selectors.gmv_by_merchant_state(period=period)
    total = sum((row["gmv"] for row in rows), Decimal("0"))
    return PanelContent(
        title=_("GMV by US state"),
        help=_("The state of the selling merchant's registered address."),
        bars=charts.ranked_bars(
            [(row["state"] or "—", row["gmv"], money(row["gmv"])) for row in rows[:12]],
            label_width=60,
            bar_width=420,
            value_width=90,
            row_height=26,
        )
        if rows
        else None,
        empty=_("No orders in this range."),
        table=Table(
            [
                Column(_("State")),
                Column(_("GMV (USD)"), "money"),
                Column(_("Merchants selling"), "int"),
                Column(_("Share"), "percent"),
            ],
            [
                [row["state"] or "", row["gmv"], row["merchants"], percent(row["gmv"], total)]
                for row in rows
            ],
        ),
    )


SHIPMENT_BUCKETS = [
    ("0–2", 0, 3),
    ("3–5", 3, 6),
    ("6–9", 6, 10),
    ("10–14", 10, 15),
    ("15+", 15, None),
]


def order_to_shipment(organization: Organization, period: Period) -> PanelContent:
    figures = selectors.order_to_shipment(period=period, buckets=SHIPMENT_BUCKETS)
    shipped = figures["shipped"]

    def days(value) -> str:
        return _("%(days)s days") % {"days": f"{value:.1f}"} if value is not None else "—"

    return PanelContent(
        title=_("Time from order to shipment"),
        help=_(
            "Merchant orders shipped in the range: days from the purchase order being placed "
            "to the merchant's shipment."
        ),
        figures=[
            Figure(_("Shipped"), f"{shipped:,}"),
            Figure(_("Median"), days(figures["median"])),
            Figure(_("90th percentile"), days(figures["p90"])),
        ],
        bars=charts.horizontal_bars(
            [
                charts.BarRow(
                    label=_("%(range)s days") % {"range": label},
                    value=figures[f"bucket_{index}"],
                    total=shipped,
                    value_text=f"{figures[f'bucket_{index}']:,}",
                )
                for index, (label, _low, _high) in enumerate(SHIPMENT_BUCKETS)
            ],
            label_width=110,
            bar_width=400,
            value_width=70,
            row_height=28,
        ),
        table=Table(
            [
                Column(_("Days to ship")),
                Column(_("Merchant orders"), "int"),
                Column(_("Share"), "percent"),
            ],
            [
                [label, figures[f"bucket_{index}"], percent(figures[f"bucket_{index}"], shipped)]
                for index, (label, _low, _high) in enumerate(SHIPMENT_BUCKETS)
            ],
        ),
    )


# --- Merchant ----------------------------------------------------------------------------------


def merchant_sales(organization: Organization, period: Period) -> PanelContent:
    rows = selectors.merchant_sales_by_week(merchant=organization, period=period)
    by_week = {row["week"]: row for row in rows}
    totals = selectors.merchant_sales_totals(merchant=organization, period=period)
    return PanelContent(
        title=_("Sales by week"),
        help=_(
            "Order lines placed with you in the range, leaving out lines rejected or cancelled."
        ),
        figures=[
            Figure(_("Sales"), money(totals["sales"])),
            Figure(_("Orders"), f"{totals['orders']:,}"),
            Figure(_("Units"), f"{totals['units'] or 0:,}"),
            Figure(_("Buyers"), f"{totals['buyers']:,}"),
        ],
        columns=charts.column_chart(_weekly_points(period, by_week, "sales"), axis_prefix="$"),
        chart_title=_("Sales per week, USD"),
        table=Table(
            [
                Column(_("Week of"), "date"),
                Column(_("Sales (USD)"), "money"),
                Column(_("Orders"), "int"),
                Column(_("Units"), "int"),
            ],
            [
                [
                    week,
                    by_week.get(week, {}).get("sales") or Decimal("0.00"),
                    by_week.get(week, {}).get("orders") or 0,
                    by_week.get(week, {}).get("units") or 0,
                ]
                for week in period.week_starts()
            ],
        ),
        wide=True,
    )


def merchant_top_products(organization: Organization, period: Period) -> PanelContent:
    rows = selectors.merchant_top_products(merchant=organization, period=period, limit=50)
    return PanelContent(
        title=_("Top products"),
        help=_("By sales in the range."),
        bars=charts.horizontal_bars(
            [
                charts.BarRow(
                    label=row["product_title"],
                    sublabel=row["sku_code"],
                    value=row["sales"],
                    total=rows[0]["sales"],
                    value_text=money(row["sales"]),
                )
                for row in rows[:8]
            ],
            label_width=260,
            bar_width=300,
            value_width=90,
        )
        if rows
        else None,
        empty=_("No sales in this range."),
        table=Table(
            [
                Column(_("SKU")),
                Column(_("Product")),
                Column(_("Units"), "int"),
                Column(_("Orders"), "int"),
                Column(_("Sales (USD)"), "money"),
            ],
            [
                [row["sku_code"], row["product_title"], row["units"], row["orders"], row["sales"]]
                for row in rows
            ],
        ),
    )


PIPELINE = [
    MerchantOrderStatus.PENDING,
    MerchantOrderStatus.ACCEPTED,
    MerchantOrderStatus.PACKED,
    MerchantOrderStatus.SHIPPED,
    MerchantOrderStatus.DELIVERED,
    MerchantOrderStatus.CLOSED,
    MerchantOrderStatus.REJECTED,
    MerchantOrderStatus.CANCELLED,
]


def merchant_pipeline(organization: Organization, period: Period) -> PanelContent:
    counts = selectors.merchant_pipeline(merchant=organization, period=period)
    total = sum(row["orders"] for row in counts.values())
    return PanelContent(
        title=_("Order pipeline"),
        help=_("Where the orders you received in the range stand now."),
        bars=charts.horizontal_bars(
            [
                charts.BarRow(
                    label=str(status.label),
                    value=counts.get(status, {}).get("orders", 0),
                    total=total,
                    value_text=f"{counts.get(status, {}).get('orders', 0):,}",
                )
                for status in PIPELINE
            ],
            label_width=200,
            bar_width=300,
            value_width=60,
            row_height=26,
        ),
        table=Table(
            [Column(_("Status")), Column(_("Orders"), "int"), Column(_("Value (USD)"), "money")],
            [
                [
                    str(status.label),
                    counts.get(status, {}).get("orders", 0),
                    counts.get(status, {}).get("value") or Decimal("0.00"),
                ]
                for status in PIPELINE
            ],
        ),
    )


# --- Buyer -------------------------------------------------------------------------------------


def buyer_spend_by_merchant(organization: Organization, period: Period) -> PanelContent:
    rows = selectors.buyer_spend_by_merchant(buyer=organization, period=period)
    total = sum((row["spend"] for row in rows), Decimal("0"))
    return PanelContent(
        title=_("Spend by merchant"),
        help=_(
            "Order lines your organisation placed in the range, leaving out lines rejected or "
            "cancelled."
        ),
        figures=[
            Figure(_("Spend"), money(total)),
            Figure(_("Merchants"), f"{len(rows):,}"),
            Figure(
                _("Tier savings"),
                money(sum((row["savings"] or 0 for row in rows), Decimal("0"))),
            ),
        ],
        bars=charts.ranked_bars(
            [(row["merchant_name"], row["spend"], money(row["spend"])) for row in rows[:10]],
            label_width=240,
            bar_width=320,
            value_width=90,
        )
        if rows
        else None,
        empty=_("No orders in this range."),
        table=Table(
            [
                Column(_("Merchant")),
                Column(_("Spend (USD)"), "money"),
                Column(_("Purchase orders"), "int"),
                Column(_("Share"), "percent"),
            ],
            [
                [
                    row["merchant_name"],
                    row["spend"],
                    row["purchase_orders"],
                    percent(row["spend"], total),
                ]
                for row in rows
            ],
        ),
    )


def buyer_spend_by_week(organization: Organization, period: Period) -> PanelContent:
    rows = selectors.gmv_by_week(period=period, buyer=organization)
    by_week = {row["week"]: row for row in rows}
    return PanelContent(
        title=_("Spend by week"),
        columns=charts.column_chart(_weekly_points(period, by_week, "gmv"), axis_prefix="$"),
        chart_title=_("Spend per week, USD"),
        table=Table(
            [
                Column(_("Week of"), "date"),
                Column(_("Spend (USD)"), "money"),
                Column(_("Purchase orders"), "int"),
            ],
            [
                [
                    week,
                    by_week.get(week, {}).get("gmv") or Decimal("0.00"),
                    by_week.get(week, {}).get("purchase_orders") or 0,
                ]
                for week in period.week_starts()
            ],
        ),
        wide=True,
    )


OPEN = [
    PurchaseOrderStatus.PLACED,
    PurchaseOrderStatus.PARTLY_ACCEPTED,
    PurchaseOrderStatus.IN_FULFILMENT,
    PurchaseOrderStatus.SHIPPED,
]


def buyer_open_orders(organization: Organization, period: Period) -> PanelContent:
    orders = selectors.open_purchase_orders(buyer=organization, statuses=OPEN, limit=100)
    by_status = {status: 0 for status in OPEN}
    for order in orders:
        by_status[order["status"]] += 1
    value = sum((order["total_usd"] for order in orders), Decimal("0"))
    labels = dict(PurchaseOrderStatus.choices)
    return PanelContent(
        title=_("Open purchase orders"),
        help=_("Purchase orders not yet completed or cancelled, whenever they were placed."),
        figures=[
            Figure(_("Open orders"), f"{len(orders):,}"),
            Figure(_("Value"), money(value)),
        ],
        bars=charts.horizontal_bars(
            [
                charts.BarRow(
                    label=str(labels[status]),
                    value=count,
                    total=len(orders),
                    value_text=f"{count:,}",
                )
                for status, count in by_status.items()
            ],
            label_width=160,
            bar_width=320,
            value_width=60,
            row_height=26,
        )
        if orders
        else None,
        empty=_("No open purchase orders."),
        table=Table(
            [
                Column(_("Purchase order")),
                Column(_("Your reference")),
                Column(_("Placed"), "date"),
                Column(_("Status")),
                Column(_("Merchants"), "int"),
                Column(_("Total (USD)"), "money"),
            ],
            [
                [
                    order["number"],
                    order["buyer_reference"],
                    order["placed_at"].date(),
                    str(labels[order["status"]]),
                    order["merchant_count"],
                    order["total_usd"],
                ]
                for order in orders
            ],
        ),
    )


def panels() -> list[DashboardPanel]:
    return [
        DashboardPanel("gmv-by-week", OPERATOR, gmv_by_week, order=10),
        DashboardPanel("merchant-funnel", OPERATOR, merchant_funnel, order=20),
        DashboardPanel("active-buyers", OPERATOR, active_buyers, order=15),
        DashboardPanel("gmv-by-category", OPERATOR + BUYER, gmv_by_category, order=30),
        DashboardPanel("gmv-by-state", OPERATOR, gmv_by_state, order=31),
        DashboardPanel("order-to-shipment", OPERATOR, order_to_shipment, order=40),
        DashboardPanel("sales-by-week", MERCHANT, merchant_sales, order=10),
        DashboardPanel("top-products", MERCHANT, merchant_top_products, order=20),
        DashboardPanel("order-pipeline", MERCHANT, merchant_pipeline, order=21),
        DashboardPanel("spend-by-week", BUYER, buyer_spend_by_week, order=10),
        DashboardPanel("spend-by-merchant", BUYER, buyer_spend_by_merchant, order=20),
        DashboardPanel("open-purchase-orders", BUYER, buyer_open_orders, order=40),
    ]


# --- The daily summary -------------------------------------------------------------------------


@transaction.atomic
def daily_sales_refresh(*, days: int = 7) -> int:
    """Rebuild the daily summary for the last ``days`` days (today included) from the order
    lines, in one transaction: readers see the old rows or the new ones, never a mix. Running it
    twice gives the same rows. Returns how many rows it wrote."""
    since = timezone.localdate() - timedelta(days=days - 1)
    now = timezone.now()
    selectors.network_wide(DailySales).filter(day__gte=since).delete()
    rows = [
        DailySales(
            day=row["day_placed"],
            merchant_id=row["merchant_pk"],
            category_id=row["category_pk"],
            buyer_country=row["country"],
            gmv_usd=row["gmv"],
            units=row["units"],
            lines=row["line_count"],
            refreshed_at=now,
        )
        for row in selectors.daily_sales_rows(since=since)
    ]
    # Older days keep their rows. The newest ``refreshed_at`` marks every day before its date
    # as covered (``orders.selectors.summary_split``); with no sale in the window it stays
    # older, and those days are simply read live.
    DailySales.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


@shared_task(name="orders.tasks.daily_sales_refresh", acks_late=True)
def daily_sales_refresh_task(days: int = 7) -> int:
    """Beat: rebuild the dashboards' daily sales summary for the last ``days`` days; safe to run
    twice (it replaces those days)."""
    return daily_sales_refresh(days=days)
