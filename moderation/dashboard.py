"""Dashboard panels and work queues of moderation: for operators, the age of the counterfeit
queue, and the reports, appeals and brands waiting on their home page."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from moderation import selectors
from moderation.selectors import moderation_queue_ages
from network import charts
from network.dashboards import Column, DashboardPanel, Figure, PanelContent, Period, Table
from network.models import Organization
from network.navigation import WorkQueue

WAITING_BUCKETS = [
    ("0–1", 0, 2),
    ("2–4", 2, 5),
    ("5–9", 5, 10),
    ("10+", 10, None),
]


def counterfeit_queue(organization: Organization, period: Period) -> PanelContent:
    ages = moderation_queue_ages(organization=organization, buckets=WAITING_BUCKETS)
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
            count=selectors.reports_to_moderate_count,
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
            count=selectors.appeals_pending_count,
            fragment="appeals",
            order=21,
        ),
        WorkQueue(
            describe=lambda n: (
                ngettext("%(count)s brand to verify", "%(count)s brands to verify", n)
                % {"count": n}
            ),
            url_name="catalog:moderation",
            count=selectors.brands_to_verify_count,
            fragment="brands",
            order=22,
        ),
    ]
