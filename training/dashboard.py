"""Dashboard panel of training: seminar attendance, for operators."""

from __future__ import annotations

from django.utils.translation import gettext as _

from network import charts
from network.dashboards import Column, DashboardPanel, Figure, PanelContent, Period, Table
from network.models import Organization
from training import selectors

CHART_SEMINARS = 10


def seminar_attendance(organization: Organization, period: Period) -> PanelContent:
    seminars = selectors.seminar_attendance(period=period, limit=500)
    totals = selectors.seminar_attendance_totals(period=period)
    rate = totals["attended"] / totals["confirmed"] * 100 if totals["confirmed"] else 0.0
    return PanelContent(
        title=_("Seminar attendance"),
        help=_(
            "Published seminars held in the range: people who checked in against confirmed seats."
        ),
        figures=[
            Figure(_("Seminars"), f"{len(seminars):,}"),
            Figure(_("Confirmed seats"), f"{totals['confirmed']:,}"),
            Figure(_("Attended"), f"{totals['attended']:,}"),
            Figure(_("Attendance"), f"{rate:.1f}%"),
        ],
        bars=charts.horizontal_bars(
            [
                charts.BarRow(
                    label=seminar["title"],
                    sublabel=f"{seminar['start_at']:%Y-%m-%d} · {seminar['city'] or _('Online')}",
                    value=seminar["attended"],
                    total=seminar["confirmed"],
                    value_text=f"{seminar['attended']} / {seminar['confirmed']}",
                )
                for seminar in seminars[:CHART_SEMINARS]
            ],
            label_width=300,
            bar_width=300,
            value_width=80,
        )
        if seminars
        else None,
        empty=_("No seminars were held in this range."),
        table=Table(
            [
                Column(_("Seminar")),
                Column(_("Starts"), "date"),
                Column(_("City")),
                Column(_("Seats"), "int"),
                Column(_("Confirmed"), "int"),
                Column(_("Attended"), "int"),
                Column(_("Attendance"), "percent"),
            ],
            [
                [
                    seminar["title"],
                    seminar["start_at"].date(),
                    seminar["city"],
                    seminar["capacity"],
                    seminar["confirmed"],
                    seminar["attended"],
                    round(seminar["attended"] / seminar["confirmed"] * 100, 1)
                    if seminar["confirmed"]
                    else 0.0,
                ]
                for seminar in seminars
            ],
        ),
    )


def panels() -> list[DashboardPanel]:
    return [
        DashboardPanel(
            "seminar-attendance", (Organization.Kind.OPERATOR,), seminar_attendance, order=60
        )
    ]
