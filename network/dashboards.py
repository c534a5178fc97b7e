"""Dashboards: each app registers the panels it can draw in ``AppConfig.ready()``, for the
organisation kinds that see them; the dashboard page (``network.views.dashboard``) renders the
panels for the request's organisation over a date range, and every panel's table downloads as
CSV through the same registry. An app's panels compute their figures in SQL, scoped to the
organisation they are given (operators see the whole network)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from network.db_router import tolerating_lag
from network.models import Organization

MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """The dashboard's date range, both days included."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def week_starts(self) -> list[date]:
        """The Mondays of the weeks the period touches, in order."""
        monday = self.start - timedelta(days=self.start.weekday())
        weeks = []
        while monday <= self.end:
            weeks.append(monday)
            monday += timedelta(days=7)
        return weeks

    def query(self) -> str:
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"

    @classmethod
    def last_days(cls, days: int, *, today: date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(start=today - timedelta(days=days - 1), end=today)


DEFAULT_DAYS = 364
PRESETS = [
    (28, _("Last 4 weeks")),
    (91, _("Last 13 weeks")),
    (DEFAULT_DAYS, _("Last 52 weeks")),
]


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start of the range comes after its end."))
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(_("Choose a range of three years at most."))
        return cleaned


def period_from_query(query) -> tuple[Period, PeriodForm]:
    """The period asked for in ``?from=&to=``, or the last 52 weeks when absent or invalid."""
    default = Period.last_days(DEFAULT_DAYS)
    if "from" not in query and "to" not in query:
        form = PeriodForm(initial={"start": default.start, "end": default.end})
        return default, form
    form = PeriodForm({"start": query.get("from", ""), "end": query.get("to", "")})
    if form.is_valid():
        return Period(start=form.cleaned_data["start"], end=form.cleaned_data["end"]), form
    return default, form


# --- What a panel holds -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"  # text, int, money, percent, days, date


def format_cell(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return f"${Decimal(value):,.2f}"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "percent":
        return f"{float(value):.1f}%"
    if kind == "days":
        return f"{float(value):.1f}"
    if kind == "date":
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return str(value)


@dataclass
class Table:
    columns: list[Column]
    rows: list[list]

    @property
    def display_rows(self) -> list[list[str]]:
        kinds = [column.kind for column in self.columns]
        return [
            [format_cell(value, kind) for value, kind in zip(row, kinds, strict=True)]
            for row in self.rows
        ]

    @property
    def numeric(self) -> list[bool]:
        return [column.kind not in ("text", "date") for column in self.columns]


@dataclass(frozen=True)
class Figure:
    """A headline number."""

    label: str
    value: str
    note: str = ""


@dataclass
class PanelContent:
    title: str
    help: str = ""
    figures: list[Figure] = field(default_factory=list)
    bars: dict | None = None  # network.charts.horizontal_bars
    columns: dict | None = None  # network.charts.column_chart
    chart_title: str = ""
    table: Table | None = None
    empty: str = ""  # shown instead of a chart when there is nothing to draw
    link: tuple[str, str] | None = None  # (label, url) of the page to act on it
    wide: bool = False


@dataclass(frozen=True)
class DashboardPanel:
    slug: str
    kinds: tuple[str, ...]
    build: Callable[[Organization, Period], PanelContent]
    order: int = 100


_PANELS: dict[str, DashboardPanel] = {}


def register_panel(panel: DashboardPanel) -> None:
    _PANELS[panel.slug] = panel


def panels_for(organization: Organization) -> list[DashboardPanel]:
    return sorted(
        (p for p in _PANELS.values() if organization.kind in p.kinds),
        key=lambda p: (p.order, p.slug),
    )


def panel_for(organization: Organization, slug: str) -> DashboardPanel | None:
    panel = _PANELS.get(slug)
    return panel if panel is not None and organization.kind in panel.kinds else None


# An operator's panels add up the whole network (some thirty aggregates over every order,
# booking, seminar and application: the heaviest page of the site), so their HTML is kept a
# minute per organisation, period, language and time zone, and expires rather than being
# invalidated: network totals a minute old serve an operator as well, and renewing them from
# every writer that moves a total (each order, booking, review) would put a cache write on
# those paths. A merchant's or a buyer's panels show its own latest orders and are read afresh.
PANELS_CACHE_SECONDS = 60


def panels_cache_key(organization: Organization, period: Period) -> str:
    """Where the panels' HTML is kept, in the active language and time zone."""
    return ":".join(
        [
            "dashboard-panels",
            str(organization.pk),
            period.start.isoformat(),
            period.end.isoformat(),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
        ]
    )


def panels_html(organization: Organization, period: Period) -> SafeString:
    """The dashboard's panels for ``organization`` over ``period``, rendered."""
    kept = organization.kind == Organization.Kind.OPERATOR
    key = panels_cache_key(organization, period)
    if kept:
        html = cache.get(key)
        if html is not None:
            return mark_safe(html)  # noqa: S308 (our own rendering, kept as it was)
    # Figures over weeks and months tolerate a replica's few seconds of lag.
    panels = tolerating_lag(
        lambda: [
            (panel.slug, panel.build(organization, period)) for panel in panels_for(organization)
        ]
    )
    html = render_to_string("dashboards/_grid.html", {"panels": panels, "period": period})
    if kept:
        cache.set(key, str(html), PANELS_CACHE_SECONDS)
    return html


# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def table_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(column.label) for column in table.columns])
    for row in table.rows:
        cells = []
        for value in row:
            if value is None:
                value = ""
            elif isinstance(value, str) and value.startswith(_FORMULA_START):
                value = "'" + value
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            cells.append(value)
        writer.writerow(cells)
    # A byte-order mark, so spreadsheet programs read the Chinese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
