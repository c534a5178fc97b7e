"""Dashboard panels of the catalogue: a merchant's stock alerts (the counterfeit queue is
moderation's)."""

from __future__ import annotations

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.models import Inventory, ListingState
from network import charts
from network.dashboards import Column, DashboardPanel, Figure, PanelContent, Period, Table
from network.models import Organization

CHART_SKUS = 8


def low_stock(*, organization: Organization, limit: int = 200) -> list[dict]:
    """The organisation's SKUs whose available stock is at or below their alert level, on
    products still offered (not taken down), scarcest first. One query."""
    return list(
        Inventory.objects.filter(
            organization=organization, on_hand__lte=F("reserved") + F("low_stock_threshold")
        )
        .exclude(sku__product__state=ListingState.TAKEN_DOWN)
        .annotate(available=F("on_hand") - F("reserved"))
        .order_by("available", "sku__code")
        .values(
            "sku__code",
            "sku__product__title_en",
            "sku__product__state",
            "on_hand",
            "reserved",
            "available",
            "low_stock_threshold",
        )[:limit]
    )


def stock_alerts(organization: Organization, period: Period) -> PanelContent:
    rows = low_stock(organization=organization)
    states = dict(ListingState.choices)
    return PanelContent(
        title=_("Stock alerts"),
        help=_(
            "SKUs whose available stock (on hand less reserved) is at or below the alert level "
            "you set, now."
        ),
        figures=[Figure(_("SKUs low on stock"), f"{len(rows):,}")],
        bars=charts.horizontal_bars(
            [
                charts.BarRow(
                    label=row["sku__code"],
                    sublabel=row["sku__product__title_en"][:48],
                    value=row["available"],
                    total=row["low_stock_threshold"],
                    value_text=_("%(available)s left, alert at %(threshold)s")
                    % {"available": row["available"], "threshold": row["low_stock_threshold"]},
                )
                for row in rows[:CHART_SKUS]
            ],
            label_width=220,
            bar_width=200,
            value_width=170,
        )
        if rows
        else None,
        empty=_("No SKU is low on stock."),
        link=(_("Manage stock"), reverse("catalog:manage") + "?low_stock=on"),
        table=Table(
            [
                Column(_("SKU")),
                Column(_("Product")),
                Column(_("Listing")),
                Column(_("On hand"), "int"),
                Column(_("Reserved"), "int"),
                Column(_("Available"), "int"),
                Column(_("Alert at"), "int"),
            ],
            [
                [
                    row["sku__code"],
                    row["sku__product__title_en"],
                    str(states.get(row["sku__product__state"], row["sku__product__state"])),
                    row["on_hand"],
                    row["reserved"],
                    row["available"],
                    row["low_stock_threshold"],
                ]
                for row in rows
            ],
        ),
    )


def panels() -> list[DashboardPanel]:
    return [
        DashboardPanel("stock-alerts", (Organization.Kind.MERCHANT,), stock_alerts, order=40),
    ]
