"""Server-rendered charts (inline SVG, no script, no style attributes): the geometry is computed
here and drawn by templates (``templates/dashboards/_bars.html``, ``_columns.html``), coloured
by CSS classes so the strict content security policy holds."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class BarRow:
    """One row of a horizontal bar chart: ``value`` out of ``total`` (a capacity, or the
    largest value of the chart when there is no natural whole)."""

    label: str
    value: int | float | Decimal
    total: int | float | Decimal
    sublabel: str = ""
    value_text: str = ""  # what is written after the bar; defaults to the value


@dataclass(frozen=True)
class Bar:
    label: str
    sublabel: str
    short_label: str  # cut to fit the label column
    short_sublabel: str
    value: int | float | Decimal
    total: int | float | Decimal
    value_text: str
    y: int
    width: float
    percent: int
    level: str  # "low", "mid", "high": the bar's colour class


def fit(text: str, width: int, *, char_width: float) -> str:
    """``text`` cut with an ellipsis to about ``width`` pixels (SVG text does not wrap)."""
    limit = max(int(width / char_width), 4)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def level_of(percent: int) -> str:
    return "high" if percent >= 90 else "mid" if percent >= 60 else "low"


def horizontal_bars(
    rows: Iterable[BarRow],
    *,
    bar_width: int = 520,
    row_height: int = 34,
    label_width: int = 290,
    value_width: int = 130,
) -> dict:
    """Bars of value against total, one row each, coloured by their share of the total."""
    bars = []
    for index, row in enumerate(rows):
        share = float(row.value) / float(row.total) if row.total else 0.0
        percent = round(share * 100)
        bar = Bar(
            label=row.label,
            sublabel=row.sublabel,
            short_label=fit(row.label, label_width - 10, char_width=7.6),
            short_sublabel=fit(row.sublabel, label_width - 10, char_width=6.6),
            value=row.value,
            total=row.total,
            value_text=row.value_text or str(row.value),
            y=index * row_height,
            width=round(bar_width * max(min(share, 1), 0), 1),
            percent=percent,
            level=level_of(percent),
        )
        bars.append(bar)
    return {
        "bars": bars,
        "label_width": label_width,
        "bar_width": bar_width,
        "row_height": row_height,
        "bar_height": row_height - 12,
        "width": label_width + bar_width + value_width,
        "height": max(len(bars), 1) * row_height,
    }


def ranked_bars(items: Sequence[tuple[str, int | float | Decimal, str]], **options) -> dict:
    """Bars for (label, value, value_text) ranked largest first, scaled to the largest value."""
    largest = max((value for _label, value, _text in items), default=0)
    return horizontal_bars(
        (
            BarRow(label=label, value=value, total=largest, value_text=text)
            for label, value, text in items
        ),
        **options,
    )


@dataclass(frozen=True)
class Column:
    label: str  # the axis label, shown under every ``label_every``-th column
    value: int | float | Decimal
    value_text: str
    x: float
    y: float
    width: float
    height: float
    show_label: bool


@dataclass(frozen=True)
class Gridline:
    y: float
    text: str


def nice_step(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value``: a round step for an axis."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def compact_number(value: float, *, prefix: str = "") -> str:
    """12,345 → 12.3k; 1,234,567 → 1.2M (axis labels; tables keep full figures)."""
    value = float(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            text = f"{value / limit:.1f}".rstrip("0").rstrip(".")
            return f"{prefix}{text}{suffix}"
    return f"{prefix}{value:,.0f}" if value.is_integer() else f"{prefix}{value:,.1f}"


def column_chart(
    points: Sequence[tuple[str, int | float | Decimal, str]],
    *,
    width: int = 860,
    height: int = 220,
    axis_prefix: str = "",
    max_labels: int = 13,
) -> dict:
    """Vertical columns for a series of (label, value, value_text), e.g. one per week, with
    gridlines at a round step."""
    left, bottom, top = 56, 24, 8
    plot_width, plot_height = width - left - 8, height - bottom - top
    largest = max((float(value) for _label, value, _text in points), default=0.0)
    counts = all(isinstance(value, int) for _label, value, _text in points)
    step = nice_step(largest / 5) if largest else 1.0
    if not float(step).is_integer() and (counts or largest >= 5):
        step = math.ceil(step)  # no 0.2 of a buyer
    steps = max(math.ceil(largest / step), 1)
    ceiling = step * steps
    slot = plot_width / max(len(points), 1)
    gap = min(slot * 0.2, 6)
    column_width = min(slot - gap, 48)
    label_every = max(1, math.ceil(len(points) / max_labels))
    columns = []
    for index, (label, value, text) in enumerate(points):
        column_height = round(plot_height * float(value) / ceiling, 1) if ceiling else 0
        columns.append(
            Column(
                label=label,
                value=value,
                value_text=text,
                x=round(left + index * slot + (slot - column_width) / 2, 1),
                y=round(top + plot_height - column_height, 1),
                width=round(max(column_width, 1), 1),
                height=column_height,
                show_label=index % label_every == 0,
            )
        )
    gridlines = [
        Gridline(
            y=round(top + plot_height - plot_height * index / steps, 1),
            text=compact_number(step * index, prefix=axis_prefix),
        )
        for index in range(steps + 1)
    ]
    return {
        "columns": columns,
        "gridlines": gridlines,
        "width": width,
        "height": height,
        "left": left,
        "right": width - 8,
        "baseline": top + plot_height,
        "label_y": height - 6,
    }
