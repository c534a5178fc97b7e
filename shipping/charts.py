"""The operators' utilisation chart: booked TEU against capacity per sailing, drawn with the
general bar geometry of ``network.charts``."""

from __future__ import annotations

from dataclasses import dataclass

from network import charts


@dataclass(frozen=True)
class Bar(charts.Bar):
    """A sailing's bar, in the trade's words for ``templates/shipping/_utilisation_chart.html``."""

    @property
    def booked(self):
        return self.value

    @property
    def capacity(self):
        return self.total

    @property
    def booked_width(self) -> float:
        return self.width


def sailing_rows(sailings) -> list[charts.BarRow]:
    rows = []
    for sailing in sailings:
        share = sailing.booked_teu / sailing.capacity_teu if sailing.capacity_teu else 0
        rows.append(
            charts.BarRow(
                label=f"{sailing.vessel_name} {sailing.voyage_number}",
                sublabel=(
                    f"{sailing.port_of_loading.un_locode}→{sailing.port_of_discharge.un_locode} "
                    f"{sailing.etd:%Y-%m-%d}"
                ),
                value=sailing.booked_teu,
                total=sailing.capacity_teu,
                value_text=(
                    f"{sailing.booked_teu} / {sailing.capacity_teu} TEU · {round(share * 100)}%"
                ),
            )
        )
    return rows


def utilisation_bars(sailings, *, bar_width: int = 520, row_height: int = 34) -> dict:
    """Bars of booked TEU against capacity, one row per sailing."""
    chart = charts.horizontal_bars(
        sailing_rows(sailings), bar_width=bar_width, row_height=row_height
    )
    chart["bars"] = [Bar(**bar.__dict__) for bar in chart["bars"]]
    return chart
