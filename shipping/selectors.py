"""Reads of carrier slot booking. Published sailings are public to signed-in merchants and
operators; a booking is read by its merchant and by operators (``access_booking``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from network.models import Organization
from network.shipments import ShipmentBooking
from network.tenancy import found
from shipping.carriers.http import carrier_connection
from shipping.models import (
    RELEASED_STATUSES,
    Booking,
    BookingEvent,
    Carrier,
    ConsolidationContainer,
    ContainerStatus,
    Lane,
    Port,
    Sailing,
    SailingRate,
    Shipment,
    SpaceRequest,
    TrackingEvent,
    TradeDocument,
)
from shipping.validators import tracking_url

if TYPE_CHECKING:
    from network.dashboards import Period


def ports_of_loading() -> QuerySet[Port]:
    return Port.objects.filter(country="US").order_by("name")


def ports_of_discharge() -> QuerySet[Port]:
    return Port.objects.exclude(country="US").order_by("name")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def sailing_search(
    *,
    origin: str | None = None,
    destination: str | None = None,
    departure_from: date | None = None,
    departure_to: date | None = None,
    equipment: str | None = None,
    now: datetime | None = None,
) -> QuerySet[SailingRate]:
    """Offers (a sailing's price for one equipment type) open for booking now, departing in the
    window, between the two ports (UN/LOCODEs), soonest first."""
    now = now or timezone.now()
    offers = SailingRate.objects.select_related(
        "sailing__carrier", "sailing__port_of_loading", "sailing__port_of_discharge"
    ).filter(
        sailing__is_published=True,
        sailing__is_omitted=False,
        sailing__carrier__is_active=True,
        sailing__booking_opens_at__lte=now,
        sailing__booking_closes_at__gt=now,
    )
    if origin:
        offers = offers.filter(sailing__port_of_loading__un_locode=origin)
    if destination:
        offers = offers.filter(sailing__port_of_discharge__un_locode=destination)
    if departure_from:
        offers = offers.filter(sailing__etd__gte=_day_start(departure_from))
    if departure_to:
        offers = offers.filter(sailing__etd__lt=_day_start(departure_to + timedelta(days=1)))
    if equipment:
        offers = offers.filter(equipment_code=equipment)
    return offers.order_by("sailing__etd", "sailing__pk", "equipment_code")


def sailing_offer(*, sailing_id: int, equipment: str) -> SailingRate:
    """One published sailing's offer for ``equipment`` (404 when it has none)."""
    offer = (
        SailingRate.objects.select_related(
            "sailing__carrier", "sailing__port_of_loading", "sailing__port_of_discharge"
        )
        .filter(sailing_id=sailing_id, equipment_code=equipment, sailing__is_published=True)
        .first()
    )
    if offer is None:
        raise Http404("No such offer.")
    return offer


def bookings_for_organization(*, organization: Organization) -> QuerySet[Booking]:
    """The organisation's own bookings (its merchant's list, operators' included)."""
    return (
        Booking.objects.visible_to(organization)
        .filter(organization=organization)
        .select_related(
            "sailing__carrier", "sailing__port_of_loading", "sailing__port_of_discharge"
        )
    )


def access_booking(*, organization: Organization, reference: str) -> Booking:
    """The booking ``reference`` if ``organization`` is its merchant or an operator; otherwise
    ``RecordNotFound`` (404), as for a reference that does not exist."""
    return found(
        Booking.objects.visible_to(organization).select_related(
            "sailing__carrier",
            "sailing__port_of_loading",
            "sailing__port_of_discharge",
            "requested_by",
        ),
        reference=reference,
    )


def booking_timeline(*, booking: Booking) -> QuerySet[BookingEvent]:
    """The events of a booking its reader was given by ``access_booking``."""
    return (
        BookingEvent.objects.visible_to(booking.organization)
        .filter(booking=booking)
        .select_related("actor")
    )


def booking_tracking_events(*, booking: Booking) -> QuerySet[TrackingEvent]:
    """The container events of a booking its reader was given by ``access_booking``, in the
    order they happened."""
    return TrackingEvent.objects.visible_to(booking.organization).filter(booking=booking)


def carriers() -> QuerySet[Carrier]:
    return Carrier.objects.annotate(sailing_count=Count("sailings")).order_by("name")


@dataclass(frozen=True)
class ConnectionState:
    """How the network's calls to a carrier are going, for operators."""

    state: str  # connected, failing, paused, unconfigured, idle
    label: str
    detail: str = ""


def carrier_connection_state(carrier: Carrier, *, now: datetime | None = None) -> ConnectionState:
    """``carrier``'s connection as its row and the environment say now: paused (circuit open)
    until a time, failing with the last error, connected, not configured, or not called yet."""
    now = now or timezone.now()
    if carrier.circuit_open_until and carrier.circuit_open_until > now:
        until = timezone.localtime(carrier.circuit_open_until)
        return ConnectionState(
            "paused",
            _("Paused until %(time)s") % {"time": f"{until:%H:%M}"},
            carrier.last_error,
        )
    if carrier.consecutive_failures:
        return ConnectionState(
            "failing",
            ngettext(
                "Failing (%(count)s call in a row)",
                "Failing (%(count)s calls in a row)",
                carrier.consecutive_failures,
            )
            % {"count": carrier.consecutive_failures},
            carrier.last_error,
        )
    if not carrier_connection(carrier.scac).configured:
        return ConnectionState(
            "unconfigured",
            _("Not configured"),
            _("Set %(variable)s.") % {"variable": f"CARRIER_{carrier.scac}_API_URL"},
        )
    if carrier.last_success_at:
        return ConnectionState("connected", _("Connected"))
    return ConnectionState("idle", _("No calls yet"))


def bookings_awaiting_carrier_word() -> QuerySet[Booking]:
    """Every organisation's bookings whose request may or may not have reached the carrier
    (no answer came back), oldest first: they are held, and sent again only after the receipt
    wait without a word from the carrier."""
    return (
        Booking.objects.filter(carrier_outcome_unknown_since__isnull=False)
        .select_related("sailing__carrier", "organization")
        .order_by("carrier_outcome_unknown_since", "pk")
    )


def lanes() -> QuerySet[Lane]:
    """Every lane the network sells, active or not, by its ports."""
    return Lane.objects.select_related("port_of_loading", "port_of_discharge").order_by(
        "port_of_loading__un_locode", "port_of_discharge__un_locode"
    )


def sailings_for_operators(*, departing_after: datetime | None = None) -> QuerySet[Sailing]:
    """Every sailing from ``departing_after`` on, with its number of live bookings."""
    departing_after = departing_after or timezone.now() - timedelta(days=7)
    return (
        Sailing.objects.filter(etd__gte=departing_after)
        .select_related("carrier", "port_of_loading", "port_of_discharge")
        .annotate(
            live_bookings=Count(
                "bookings", filter=~Q(bookings__status__in=[s.value for s in RELEASED_STATUSES])
            )
        )
        .order_by("etd", "pk")
    )


def sailing_bookings_for_operators(
    *, organization: Organization, sailing: Sailing
) -> list[Booking]:
    """Every merchant's bookings on one sailing, for an operator ``organization`` (none for
    another)."""
    return list(
        Booking.objects.visible_to(organization)
        .filter(sailing=sailing)
        .select_related("organization")
        .order_by("-created_at")
    )


def _departing(period: Period) -> QuerySet[Sailing]:
    """Sailings departing in the dashboard's ``period``; a period reaching today also takes the
    sailings still to come (their bookings are what operators watch)."""
    sailings = Sailing.objects.filter(etd__gte=period.start_at)
    if period.end < timezone.localdate():
        sailings = sailings.filter(etd__lt=period.end_at)
    return sailings


def sailings_departing(*, period: Period, limit: int = 500) -> list[Sailing]:
    """Sailings departing in the dashboard's ``period``, soonest first."""
    return list(
        _departing(period)
        .select_related("carrier", "port_of_loading", "port_of_discharge")
        .order_by("etd", "pk")[:limit]
    )


def sailing_utilisation_totals(*, period: Period) -> dict:
    return _departing(period).aggregate(
        sailings=Count("pk"), booked=Sum("booked_teu"), capacity=Sum("capacity_teu")
    )


def booking_counts(*, organization: Organization, period: Period) -> dict[str, dict]:
    """The organisation's bookings requested in ``period`` by status: count, containers, TEU."""
    rows = (
        Booking.objects.visible_to(organization)
        .filter(
            organization=organization,
            created_at__gte=period.start_at,
            created_at__lt=period.end_at,
        )
        .values("status")
        .annotate(bookings=Count("pk"), containers=Sum("units"), teu_held=Sum("teu_held"))
        .order_by()
    )
    return {row["status"]: row for row in rows}


def booking_for_shipment(*, organization: Organization, reference: str) -> ShipmentBooking | None:
    """``organization``'s booking whose network reference or carrier booking reference is
    ``reference`` (either case), as a shipped order records it; None for any other."""
    reference = reference.strip()
    booking = (
        Booking.objects.visible_to(organization)
        .filter(organization=organization)
        .filter(Q(reference__iexact=reference) | Q(carrier_booking_reference__iexact=reference))
        .select_related("sailing__carrier")
        .order_by("-created_at")
        .first()
    )
    if booking is None:
        return None
    carrier = booking.sailing.carrier
    return ShipmentBooking(
        reference=booking.reference,
        carrier_name=carrier.name,
        carrier_scac=carrier.scac,
        carries_goods=booking.status not in RELEASED_STATUSES,
        status_label=booking.get_status_display(),
    )


def carrier_tracking_urls(shipments: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(carrier, tracking number): tracking page} for carriers named by their name or SCAC
    (either case) that have a tracking page; one query."""
    names = {carrier.strip().lower() for carrier, _number in shipments}
    templates: dict[str, str] = {}
    for name, scac, template in (
        Carrier.objects.exclude(tracking_url_template="")
        .annotate(lower_name=Lower("name"), lower_scac=Lower("scac"))
        .filter(Q(lower_name__in=names) | Q(lower_scac__in=names))
        .values_list("name", "scac", "tracking_url_template")
    ):
        templates[name.lower()] = template
        templates.setdefault(scac.lower(), template)
    urls = {}
    for carrier, number in shipments:
        page_template = templates.get(carrier.strip().lower())
        if page_template:
            urls[(carrier, number)] = tracking_url(page_template, number)
    return urls


# --- Shared containers -------------------------------------------------------------------------

_CONTAINER_SAILING = (
    "sailing__carrier",
    "sailing__port_of_loading",
    "sailing__port_of_discharge",
)


def containers_open_for_space(*, now: datetime | None = None) -> QuerySet[ConsolidationContainer]:
    """Shared containers merchants may book space in now, earliest departure first (their fill
    and price only: whose cargo is in them is not part of this read)."""
    return (
        ConsolidationContainer.objects.public()
        .filter(status=ContainerStatus.OPEN, receiving_cutoff__gt=now or timezone.now())
        .select_related(*_CONTAINER_SAILING)
        .order_by("sailing__etd", "pk")
    )


def shared_container_rate_now(*, now: datetime | None = None) -> Decimal | None:
    """The network's shared-container rate: the lowest price per W/M among the containers open
    for space with a departure ahead, or None when there is none (the landed-cost estimate then
    leaves freight out)."""
    moment = now or timezone.now()
    return (
        ConsolidationContainer.objects.public()
        .filter(status=ContainerStatus.OPEN, receiving_cutoff__gt=moment, sailing__etd__gt=moment)
        .aggregate(rate=Min("price_per_wm"))["rate"]
    )


def access_open_container(*, reference: str) -> ConsolidationContainer:
    """A shared container merchants can see (open, closed or under way); 404 otherwise."""
    return found(
        ConsolidationContainer.objects.public().select_related(*_CONTAINER_SAILING),
        reference=reference,
    )


def space_requests_for_organization(*, organization: Organization) -> QuerySet[SpaceRequest]:
    """The organisation's own space in shared containers, newest first."""
    return (
        SpaceRequest.objects.visible_to(organization)
        .filter(organization=organization)
        .select_related(*(f"container__{path}" for path in _CONTAINER_SAILING))
    )


def access_space_request(*, organization: Organization, reference: str) -> SpaceRequest:
    """The space ``reference`` if ``organization`` booked it or is an operator; 404 otherwise."""
    return found(
        SpaceRequest.objects.visible_to(organization).select_related(
            "organization", *(f"container__{path}" for path in _CONTAINER_SAILING)
        ),
        reference=reference,
    )


def containers_for_operators(
    *, organization: Organization, statuses: list[str]
) -> QuerySet[ConsolidationContainer]:
    """The network's shared containers in ``statuses``, with their count of held space."""
    return (
        ConsolidationContainer.objects.visible_to(organization)
        .filter(status__in=statuses)
        .select_related(*_CONTAINER_SAILING, "booking", "merged_into")
        .annotate(space_count=Count("space_requests", filter=Q(space_requests__status="held")))
        .order_by("sailing__etd", "pk")
    )


def access_container(*, organization: Organization, reference: str) -> ConsolidationContainer:
    """A shared container with its carrier booking, for its operators only (404 otherwise)."""
    return found(
        ConsolidationContainer.objects.visible_to(organization).select_related(
            *_CONTAINER_SAILING, "booking", "merged_into", "organization"
        ),
        reference=reference,
    )


def container_space_by_merchant(*, container: ConsolidationContainer) -> QuerySet[SpaceRequest]:
    """Every merchant's space in ``container`` (for its operators), held first."""
    return (
        SpaceRequest.objects.visible_to(container.organization)
        .filter(container=container)
        .select_related("organization", "requested_by")
        .order_by("status", "organization__name", "pk")
    )


# --- Trade documents -----------------------------------------------------------------------------


def trade_documents_latest(*, shipment: Shipment) -> list[TradeDocument]:
    """The latest version of each of the shipment's documents, in the order of their kinds."""
    return list(
        TradeDocument.objects.visible_to(shipment.organization)
        .filter(shipment=shipment)
        .order_by("kind", "-version")
        .distinct("kind")
    )


def trade_documents_of_shipment(
    *, organization: Organization, shipment: Shipment
) -> QuerySet[TradeDocument]:
    """Every version of the shipment's documents ``organization`` may read: by kind, newest
    version first (what ``shipping/_trade_documents.html`` lists)."""
    return (
        TradeDocument.objects.visible_to(organization)
        .filter(shipment=shipment)
        .select_related("shipment")
        .order_by("kind", "-version")
    )


def shipment_with_trade_documents(*, organization: Organization, reference: str) -> Shipment:
    """The shipment ``reference`` if ``organization`` is its merchant, its buyer or an operator;
    otherwise ``RecordNotFound`` (404)."""
    return found(
        Shipment.objects.visible_to(organization).select_related("organization", "buyer"),
        reference=reference,
    )


def access_trade_document(
    *, organization: Organization, shipment_reference: str, document_pk: int
) -> TradeDocument:
    """One version of a document of the shipment, for its merchant, its buyer and operators;
    ``RecordNotFound`` (404) for anyone else or a document of another shipment."""
    return found(
        TradeDocument.objects.visible_to(organization).select_related("shipment"),
        pk=document_pk,
        shipment__reference=shipment_reference,
    )
