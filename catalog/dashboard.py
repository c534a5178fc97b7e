"""Dashboard panels of the catalogue: a merchant's stock alerts, and for operators the age of
the counterfeit queue."""

from __future__ import annotations

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog import brands
from catalog.models import Inventory, ListingState
from catalog.selectors import moderation_queue_ages
from network import charts
from network.dashboards import Column, DashboardPanel, Figure, PanelContent, Period, Table
from network.models import Organization
from network.navigation import WorkQueue

CHART_SKUS = 8
WAITING_BUCKETS = [
    ("0–1", 0, 2),
    ("2–4", 2, 5),
    ("5–9", 5, 10),
    ("10+", 10, None),
]


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


def counterfeit_queue(organization: Organization, period: Period) -> PanelContent:
    ages = moderation_queue_ages(buckets=WAITING_BUCKETS)
    waiting = ages["waiting"]
    oldest = ages["oldest_days"]
    return PanelContent(
        title=_("Counterfeit queue"),
        help=_(
            "Listing reports waiting for an operator now (open, or waiting for more information "
            "from the reporter), by days since they were reported."
        ),
        figures=[
            Figure(_("Waiting now"), f"{waiting:,}"),
            Figure(_("From brand owners"), f"{ages['from_brand_owners']:,}"),
            Figure(
                _("Oldest"),
                _("%(days)s days") % {"days": oldest} if oldest is not None else "—",
            ),
        ],
        bars=charts.horizontal_bars(
            [
                charts.BarRow(
                    label=_("%(range)s days") % {"range": label},
                    value=ages[f"bucket_{index}"],
                    total=waiting,
                    value_text=f"{ages[f'bucket_{index}']:,}",
                )
                for index, (label, _low, _high) in enumerate(WAITING_BUCKETS)
            ],
            label_width=110,
            bar_width=400,
            value_width=70,
            row_height=28,
        )
        if waiting
        else None,
        empty=_("No listing report is waiting for a decision."),
        link=(_("Open the moderation queue"), reverse("catalog:moderation")),
        table=Table(
            [Column(_("Days waiting")), Column(_("Reports"), "int")],
            [
                [label, ages[f"bucket_{index}"]]
                for index, (label, _low, _high) in enumerate(WAITING_BUCKETS)
            ],
        ),
    )


def panels() -> list[DashboardPanel]:
    return [
        DashboardPanel("stock-alerts", (Organization.Kind.MERCHANT,), stock_alerts, order=40),
        DashboardPanel(
            "counterfeit-queue", (Organization.Kind.OPERATOR,), counterfeit_queue, order=22
        ),
    ]


def queues() -> list[WorkQueue]:
    """What waits for operators on their home page: the moderation page's three lists."""
    return [
        WorkQueue(
            describe=lambda n: (
                ngettext(
                    "%(count)s listing report to moderate",
                    "%(count)s listing reports to moderate",
                    n,
                )
                % {"count": n}
            ),
            url_name="catalog:moderation",
            count=brands.reports_to_moderate_count,
            order=20,
        ),
        WorkQueue(
            describe=lambda n: (
                ngettext(
                    "%(count)s takedown appeal to decide", "%(count)s takedown appeals to decide", n
                )
                % {"count": n}
            ),
            url_name="catalog:moderation",
            count=brands.appeals_pending_count,
            fragment="appeals",
            order=21,
        ),
        WorkQueue(
            describe=lambda n: (
                ngettext("%(count)s brand to verify", "%(count)s brands to verify", n)
                % {"count": n}
            ),
            url_name="catalog:moderation",
            count=brands.brands_to_verify_count,
            fragment="brands",
            order=22,
        ),
    ]
