"""Server-rendered charts (inline SVG, no script): geometry computed here, drawn by templates."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    sublabel: str
    booked: int
    capacity: int
    y: int
    booked_width: float
    percent: int
    level: str  # "low", "mid", "high": the bar's colour class


def utilisation_bars(sailings, *, bar_width: int = 520, row_height: int = 34) -> dict:
    """Bars of booked TEU against capacity, one row per sailing."""
    bars = []
    for index, sailing in enumerate(sailings):
        share = sailing.booked_teu / sailing.capacity_teu if sailing.capacity_teu else 0
        percent = round(share * 100)
        bars.append(
            Bar(
                label=f"{sailing.vessel_name} {sailing.voyage_number}",
                sublabel=(
                    f"{sailing.port_of_loading.un_locode}→{sailing.port_of_discharge.un_locode} "
                    f"{sailing.etd:%Y-%m-%d}"
                ),
                booked=sailing.booked_teu,
                capacity=sailing.capacity_teu,
                y=index * row_height,
                booked_width=round(bar_width * min(share, 1), 1),
                percent=percent,
                level="high" if percent >= 90 else "mid" if percent >= 60 else "low",
            )
        )
    return {
        "bars": bars,
        "label_width": 290,
        "bar_width": bar_width,
        "row_height": row_height,
        "bar_height": row_height - 12,
        "width": 290 + bar_width + 130,
        "height": max(len(bars), 1) * row_height,
    }
