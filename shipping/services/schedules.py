"""Sailings from the carriers' published schedules, with the periodic task that pulls them.

For every active lane, a carrier's direct sailings (``shipping.carriers.schedules``) become
``Sailing`` rows keyed by (carrier, vessel IMO, voyage, port of loading), ``source=schedule``.
A new one starts unpublished with no allocation: an operator sets the network's space and
prices, then publishes it. Later pulls keep the dates and cut-offs in step with the carrier;
a moved departure keeps the one before in ``etd_changed_from``, and a future sailing the
carrier no longer publishes is marked ``is_omitted``. Merchants holding space on it are told
once per change (a mail and a line on the booking's timeline), in the transaction that records
the change, so a second pull that finds nothing new tells nobody again.

Each sailing is written in a transaction of its own; an unreachable carrier, a refused request
or a sailing the database refuses is recorded and the pull goes on."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from network.services import audit, notification_send
from network.tenancy import row_scope
from shipping.carriers.http import carrier_connection
from shipping.carriers.schedules import PublishedSailing, lane_schedule
from shipping.errors import CarrierRefused, CarrierUnavailable
from shipping.models import FINAL_STATUSES, Booking, BookingEvent, Carrier, Lane, Sailing
from shipping.services.lifecycle import NETWORK, booking_ids

logger = logging.getLogger(__name__)

# How far ahead the schedules are read.
SCHEDULE_WEEKS = 8
MOVED, OMITTED, REINSTATED = "moved", "omitted", "reinstated"
# A departure moved by less is not news to a merchant (the new time is kept all the same).
MOVE_THRESHOLD = timedelta(minutes=1)


@dataclass
class SchedulePull:
    """What one pull of a carrier's schedules did."""

    carrier: str
    created: int = 0
    updated: int = 0
    moved: int = 0
    omitted: int = 0
    bookings_told: int = 0
    left_out: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "moved": self.moved,
            "omitted": self.omitted,
            "bookings_told": self.bookings_told,
            "left_out": len(self.left_out),
            "errors": self.errors,
        }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def schedules_pull(*, carrier: Carrier, now: datetime | None = None) -> SchedulePull:
    """Read ``carrier``'s published sailings on every active lane for the next
    ``SCHEDULE_WEEKS`` weeks and bring its schedule sailings in step (see the module). Errors
    are recorded per lane and per sailing (and on the carrier), never raised."""
    now = now or timezone.now()
    pull = SchedulePull(carrier=carrier.scac)
    # A day either side of the window in UTC: carriers filter by the port's local date.
    departure_from = now.astimezone(UTC).date() - timedelta(days=1)
    departure_to = departure_from + timedelta(weeks=SCHEDULE_WEEKS, days=1)
    lanes = Lane.objects.filter(is_active=True).select_related(
        "port_of_loading", "port_of_discharge"
    )
    for lane in lanes:
        try:
            schedule = lane_schedule(
                carrier,
                port_of_loading=lane.port_of_loading.un_locode,
                port_of_discharge=lane.port_of_discharge.un_locode,
                departure_from=departure_from,
                departure_to=departure_to,
            )
        except (CarrierUnavailable, CarrierRefused) as error:
            pull.errors.append(f"{lane}: {error}"[:300])
            continue
        pull.left_out += [f"{lane} {reason}" for reason in schedule.left_out]
        schedule_apply(
            carrier=carrier,
            lane=lane,
            published=schedule.sailings,
            omitted_before=_midnight(departure_to - timedelta(days=1)),
            now=now,
            pull=pull,
        )
    if pull.errors:
        Carrier.objects.filter(pk=carrier.pk).update(
            last_error=pull.errors[0][:300], last_error_at=now
        )
        logger.warning("schedules of %s: %s", carrier.scac, "; ".join(pull.errors))
    else:
        Carrier.objects.filter(pk=carrier.pk).update(schedules_synced_at=now)
    return pull


def schedule_apply(
    *,
    carrier: Carrier,
    lane: Lane,
    published: list[PublishedSailing],
    omitted_before: datetime,
    now: datetime | None = None,
    pull: SchedulePull | None = None,
) -> SchedulePull:
    """Bring ``carrier``'s sailings on ``lane`` in step with what it ``published``: create or
    update each one, and mark omitted its future schedule sailings on the lane departing before
    ``omitted_before`` (the end of the window read) that were not published."""
    now = now or timezone.now()
    pull = pull or SchedulePull(carrier=carrier.scac)
    seen = set()
    for sailing in published:
        try:
            outcome, change, told = _sailing_record(
                carrier=carrier, lane=lane, published=sailing, now=now
            )
        except (ValidationError, DatabaseError) as error:
            pull.errors.append(f"{sailing.vessel_name} {sailing.voyage_number}: {error}"[:300])
            continue
        if outcome == "elsewhere":
            pull.left_out.append(
                f"{lane} {sailing.vessel_name} {sailing.voyage_number}: "
                "already a sailing to another port of discharge"
            )
            continue
        seen.add(sailing.key)
        pull.created += outcome == "created"
        pull.updated += outcome == "updated"
        pull.moved += change == MOVED
        pull.bookings_told += told
    candidates = Sailing.objects.filter(
        carrier=carrier,
        source=Sailing.Source.SCHEDULE,
        port_of_loading=lane.port_of_loading,
        port_of_discharge=lane.port_of_discharge,
        is_omitted=False,
        etd__gt=now,
        etd__lt=omitted_before,
    ).values_list("pk", "vessel_imo", "voyage_number")
    for pk, imo, voyage in list(candidates):
        if (imo, voyage, lane.port_of_loading.un_locode) in seen:
            continue
        omitted = _sailing_omit(sailing_id=pk, now=now)
        if omitted is not None:
            pull.omitted += 1
            pull.bookings_told += omitted
    return pull


@transaction.atomic
def _sailing_record(
    *, carrier: Carrier, lane: Lane, published: PublishedSailing, now: datetime
) -> tuple[str, str, int]:
    """Create or update one schedule sailing under its row lock. Answers the outcome
    ("created", "updated", "unchanged", "closed": new but past its documentation cut-off,
    "elsewhere": the voyage is already sold to another port of discharge), the change its
    merchants were told of (moved, reinstated or none) and how many bookings were told."""
    sailing = (
        Sailing.objects.select_for_update()
        .filter(
            carrier=carrier,
            vessel_imo=published.vessel_imo,
            voyage_number=published.voyage_number,
            port_of_loading=lane.port_of_loading,
        )
        .first()
    )
    if sailing is None:
        if published.documentation_cutoff <= now:
            return "closed", "", 0
        sailing = Sailing(
            carrier=carrier,
            source=Sailing.Source.SCHEDULE,
            port_of_loading=lane.port_of_loading,
            port_of_discharge=lane.port_of_discharge,
            capacity_teu=0,
            capacity_weight_kg=0,
            is_published=False,
            booking_opens_at=now,
            booking_closes_at=published.documentation_cutoff,
            schedule_seen_at=now,
        )
        _copy_schedule(sailing, published)
        sailing.full_clean()
        sailing.save()
        audit(
            actor=None,
            organization=None,
            action="sailing.scheduled",
            target=sailing,
            changes={"etd": sailing.etd.isoformat(), "source": sailing.source},
        )
        return "created", "", 0
    if sailing.port_of_discharge_id != lane.port_of_discharge_id:
        return "elsewhere", "", 0
    previous_etd = sailing.etd
    before = _schedule_values(sailing)
    change = ""
    if abs(published.etd - sailing.etd) >= MOVE_THRESHOLD:
        change = MOVED
        sailing.etd_changed_from = sailing.etd
    elif sailing.is_omitted:
        change = REINSTATED
    sailing.is_omitted = False
    if sailing.booking_closes_at == sailing.documentation_cutoff:
        sailing.booking_closes_at = published.documentation_cutoff
    _copy_schedule(sailing, published)
    sailing.booking_closes_at = min(sailing.booking_closes_at, sailing.documentation_cutoff)
    sailing.booking_opens_at = min(
        sailing.booking_opens_at, sailing.booking_closes_at - timedelta(minutes=1)
    )
    sailing.source = Sailing.Source.SCHEDULE
    sailing.schedule_seen_at = now
    sailing.full_clean()
    sailing.save()
    outcome = "updated" if before != _schedule_values(sailing) or change else "unchanged"
    if not change:
        return outcome, "", 0
    audit(
        actor=None,
        organization=None,
        action=f"sailing.{change}",
        target=sailing,
        changes={"etd": [previous_etd.isoformat(), sailing.etd.isoformat()]},
    )
    return outcome, change, _tell_merchants(sailing, change=change, previous_etd=previous_etd)


def _schedule_values(sailing: Sailing) -> tuple:
    return tuple(getattr(sailing, name) for name in SCHEDULE_FIELDS)


SCHEDULE_FIELDS = (
    "vessel_name",
    "service_code",
    "etd",
    "eta",
    "documentation_cutoff",
    "cargo_cutoff",
    "vgm_cutoff",
    "booking_closes_at",
)


def _copy_schedule(sailing: Sailing, published: PublishedSailing) -> None:
    sailing.vessel_imo = published.vessel_imo
    sailing.voyage_number = published.voyage_number
    sailing.vessel_name = published.vessel_name
    sailing.service_code = published.service_code
    sailing.etd, sailing.eta = published.etd, published.eta
    sailing.documentation_cutoff = published.documentation_cutoff
    sailing.cargo_cutoff = published.cargo_cutoff
    sailing.vgm_cutoff = published.vgm_cutoff


@transaction.atomic
def _sailing_omit(*, sailing_id: int, now: datetime) -> int | None:
    """Mark the sailing's call omitted and tell its merchants; None when it already was (or
    was seen in this very pull)."""
    sailing = Sailing.objects.select_for_update().get(pk=sailing_id)
    if sailing.is_omitted or (sailing.schedule_seen_at and sailing.schedule_seen_at >= now):
        return None
    sailing.is_omitted = True
    sailing.save(update_fields=["is_omitted"])
    audit(actor=None, organization=None, action="sailing.omitted", target=sailing)
    return _tell_merchants(sailing, change=OMITTED, previous_etd=sailing.etd)


def _tell_merchants(sailing: Sailing, *, change: str, previous_etd: datetime) -> int:
    """Record the change on the timeline of every booking holding space on ``sailing`` (not
    final) and mail the person who requested it; answers how many bookings were told."""
    message = ""
    if change == MOVED:
        message = f"{previous_etd:%Y-%m-%d %H:%M} UTC → {sailing.etd:%Y-%m-%d %H:%M} UTC"
    holding = Q(sailing_id=sailing.pk) & ~Q(status__in=[s.value for s in FINAL_STATUSES])
    told = 0
    for booking_id in booking_ids(holding, order_by="pk", limit=100_000):
        with row_scope(Booking, booking_id):
            booking = Booking.objects.select_related("organization", "requested_by").get(
                pk=booking_id
            )
            BookingEvent.objects.create(
                organization_id=booking.organization_id,
                booking=booking,
                action=f"sailing_{change}",
                status=booking.status,
                amendment_status=booking.amendment_status,
                cancellation_status=booking.cancellation_status,
                source=NETWORK,
                message=message,
            )
            recipient = booking.requested_by
            if recipient is not None:
                notification_send(
                    email=recipient.email,
                    recipient=recipient,
                    organization=booking.organization,
                    kind=f"booking.sailing_{change}",
                    template="shipping/email/sailing_changed",
                    context={
                        "reference": booking.reference,
                        "change": change,
                        "sailing": str(sailing),
                        "carrier": sailing.carrier.name,
                        "previous_etd": previous_etd,
                        "etd": sailing.etd,
                        "port_of_loading": sailing.port_of_loading.name,
                    },
                    link=reverse("shipping:booking_detail", args=[booking.reference]),
                )
            told += 1
    return told


# --- The periodic task -------------------------------------------------------------------------


@shared_task(name="shipping.tasks.pull_published_schedules", acks_late=True)
def pull_published_schedules() -> dict[str, dict]:
    """Pull the published schedules of every active carrier with a configured connection, one
    carrier after another; one carrier's failure is recorded on it and the others go on. Safe
    to run twice (a second run finds nothing new)."""
    results: dict[str, dict] = {}
    for carrier in Carrier.objects.filter(is_active=True).order_by("scac"):
        try:
            if not carrier_connection(carrier.scac).configured:
                continue
            results[carrier.scac] = schedules_pull(carrier=carrier).summary()
        except Exception as error:  # one carrier's fault never stops the others' pull
            logger.exception("pulling the schedules of %s failed", carrier.scac)
            Carrier.objects.filter(pk=carrier.pk).update(
                last_error=f"schedules: {error}"[:300], last_error_at=timezone.now()
            )
            results[carrier.scac] = {"errors": [str(error)[:300]]}
    return results
