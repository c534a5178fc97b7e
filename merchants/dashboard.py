"""Dashboard panel of the merchant registry: the operators' review queue and how long
applicants have been waiting."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from merchants import selectors
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


def review_queue(organization: Organization, period: Period) -> PanelContent:
    ages = selectors.review_queue_ages(buckets=WAITING_BUCKETS)
    waiting = ages["waiting"]
    oldest = ages["oldest_days"]
    return PanelContent(
        title=_("Merchant review queue"),
        help=_(
            "Applications submitted and waiting for a decision now, by days waiting; the review "
            "target is %(days)s days."
        )
        % {"days": settings.MERCHANT_REVIEW_TARGET_DAYS},
        figures=[
            Figure(_("Waiting now"), f"{waiting:,}"),
            Figure(_("Past the target"), f"{ages['overdue']:,}"),
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
        empty=_("No application is waiting for review."),
        link=(_("Open the review queue"), reverse("merchants:review_queue")),
        table=Table(
            [Column(_("Days waiting")), Column(_("Applications"), "int")],
            [
                [label, ages[f"bucket_{index}"]]
                for index, (label, _low, _high) in enumerate(WAITING_BUCKETS)
            ],
        ),
    )


def panels() -> list[DashboardPanel]:
    return [DashboardPanel("review-queue", (Organization.Kind.OPERATOR,), review_queue, order=21)]


def queues() -> list[WorkQueue]:
    """What waits for operators on their home page."""
    return [
        WorkQueue(
            describe=lambda n: (
                ngettext(
                    "%(count)s merchant application to review",
                    "%(count)s merchant applications to review",
                    n,
                )
                % {"count": n}
            ),
            url_name="merchants:review_queue",
            count=selectors.applications_waiting_count,
            order=10,
        )
    ]
