"""Dashboard panels of carrier slot booking: utilisation per sailing for operators, and a
merchant's own bookings."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from network import charts
from network.dashboards import Column, DashboardPanel, Figure, PanelContent, Period, Table
from network.dates import when
from network.models import Organization
from shipping import selectors
from shipping.charts import sailing_rows
from shipping.models import BookingStatus

CHART_SAILINGS = 12


def booking_utilisation(organization: Organization, period: Period) -> PanelContent:
    sailings = selectors.sailings_departing(period=period, limit=500)
    totals = selectors.sailing_utilisation_totals(period=period)
    share = totals["booked"] / totals["capacity"] * 100 if totals["capacity"] else 0.0
    return PanelContent(
        title=_("Booking utilisation per sailing"),
        help=_(
            "Sailings departing in the range (and, when the range reaches today, those still to "
            "sail): TEU booked by merchants against the space the carrier allocated to the "
            "network. The chart shows the first %(count)s to depart."
        )
        % {"count": CHART_SAILINGS},
        figures=[
            Figure(_("Sailings"), f"{totals['sailings']:,}"),
            Figure(_("TEU booked"), f"{totals['booked'] or 0:,}"),
            Figure(_("Utilisation"), f"{share:.1f}%"),
        ],
        bars=charts.horizontal_bars(sailing_rows(sailings[:CHART_SAILINGS])) if sailings else None,
        empty=_("No sailings depart in this range."),
        table=Table(
            [
                Column(_("Vessel")),
                Column(_("Voyage")),
                Column(_("Carrier")),
                Column(_("From")),
                Column(_("To")),
                Column(_("Departs"), "date"),
                Column(_("TEU booked"), "int"),
                Column(_("TEU allocated"), "int"),
                Column(_("Utilisation"), "percent"),
            ],
            [
                [
                    sailing.vessel_name,
                    sailing.voyage_number,
                    sailing.carrier.name,
                    sailing.port_of_loading.un_locode,
                    sailing.port_of_discharge.un_locode,
                    sailing.etd.date(),
                    sailing.booked_teu,
                    sailing.capacity_teu,
                    round(sailing.booked_teu / sailing.capacity_teu * 100, 1)
                    if sailing.capacity_teu
                    else 0.0,
                ]
                for sailing in sailings
            ],
        ),
        wide=True,
    )


def carrier_connections(organization: Organization, period: Period) -> PanelContent:
    """Now, whatever the range: how calls to each carrier are going, and the requests whose
    fate at the carrier is not yet known."""
    carriers = list(selectors.carriers().filter(is_active=True))
    states = [(carrier, selectors.carrier_connection_state(carrier)) for carrier in carriers]
    awaiting = selectors.bookings_awaiting_carrier_word().count()

    return PanelContent(
        title=_("Carrier connections"),
        help=_(
            "As things stand now. A carrier failing %(threshold)s calls in a row is paused for "
            "%(cooldown)s seconds: its bookings stay held and are sent when it answers again."
        )
        % {
            "threshold": settings.CARRIER_BREAKER_THRESHOLD,
            "cooldown": round(float(settings.CARRIER_BREAKER_COOLDOWN)),
        },
        figures=[
            *(
                Figure(f"{carrier.name} ({carrier.scac})", state.label, note=state.detail[:160])
                for carrier, state in states
            ),
            Figure(_("Requests awaiting the carrier's word"), f"{awaiting:,}"),
        ],
        empty="" if states else _("No active carriers."),
        table=Table(
            [
                Column(_("Carrier")),
                Column(_("SCAC")),
                Column(_("Connection")),
                Column(_("Last error")),
                Column(_("Last answered")),
            ],
            [
                [
                    carrier.name,
                    carrier.scac,
                    state.label,
                    state.detail if state.state in ("failing", "paused") else "",
                    when(carrier.last_success_at) if carrier.last_success_at else "",
                ]
                for carrier, state in states
            ],
        ),
        link=(_("Carriers"), reverse("shipping:operations_carriers")),
    )


def merchant_bookings(organization: Organization, period: Period) -> PanelContent:
    counts = selectors.booking_counts(organization=organization, period=period)
    total = sum(row["bookings"] for row in counts.values())
    statuses = [status for status in BookingStatus if counts.get(status, {}).get("bookings")]
    return PanelContent(
        title=_("Bookings"),
        help=_("Container space you requested in the range, by where each booking stands now."),
        figures=[
            Figure(_("Bookings"), f"{total:,}"),
            Figure(
                _("TEU held"),
                f"{sum(row['teu_held'] or 0 for row in counts.values()):,}",
            ),
        ],
        bars=charts.horizontal_bars(
            [
                charts.BarRow(
                    label=str(status.label),
                    value=counts[status]["bookings"],
                    total=total,
                    value_text=f"{counts[status]['bookings']:,}",
                )
                for status in statuses
            ],
            label_width=170,
            bar_width=320,
            value_width=60,
            row_height=26,
        )
        if statuses
        else None,
        empty=_("No bookings in this range."),
        table=Table(
            [
                Column(_("Status")),
                Column(_("Bookings"), "int"),
                Column(_("Containers"), "int"),
                Column(_("TEU held"), "int"),
            ],
            [
                [
                    str(status.label),
                    counts[status]["bookings"],
                    counts[status]["containers"],
                    counts[status]["teu_held"],
                ]
                for status in statuses
            ],
        ),
    )


def panels() -> list[DashboardPanel]:
    return [
        DashboardPanel(
            "booking-utilisation", (Organization.Kind.OPERATOR,), booking_utilisation, order=35
        ),
        DashboardPanel(
            "carrier-connections", (Organization.Kind.OPERATOR,), carrier_connections, order=36
        ),
        DashboardPanel("bookings", (Organization.Kind.MERCHANT,), merchant_bookings, order=30),
    ]
