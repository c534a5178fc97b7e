"""Container tracking: a Track & Trace subscription at the carrier for every confirmed booking,
its pushed events (and, when pushes do not come, polled ones) stored once by eventID, the
milestones they mark, the latest ETA, and what integrators and merchants hear about them; with
the Celery tasks (queue "shipping") that run it. Each task takes ids, runs inside the booking's
``row_scope`` and is safe to run twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import DateTimeField, Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from network.services import audit, notification_send, webhook_emit
from network.tenancy import row_scope
from shipping.carriers import carrier_connection
from shipping.carriers import tracking as carrier_tracking
from shipping.carriers.tracking import CarrierEvent
from shipping.errors import CarrierRefused, CarrierUnavailable
from shipping.models import Booking, BookingStatus, Port, TrackingEvent, TrackingSubscription
from shipping.services.lifecycle import booking_ids
from shipping.services.order_tracking import shipments_follow_booking

M = TrackingEvent.Milestone
Status = TrackingSubscription.Status
TRACKED_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.PENDING_AMENDMENT)
# Actual equipment and transport events that mark a milestone, by code.
MILESTONE_CODES = {
    "GTIN": M.GATE_IN,
    "LOAD": M.LOADED,
    "DEPA": M.DEPARTED,
    "ARRI": M.ARRIVED,
    "DISC": M.DISCHARGED,
    "GTOT": M.GATE_OUT,
}
MILESTONES = list(M)
# Milestones the merchant is told about in the app (and by mail).
NOTIFIED_MILESTONES = (M.DEPARTED, M.ARRIVED)

_CALLBACK_SALT = "shipping.tracking.callback"


# --- The callback address ----------------------------------------------------------------------


def tracking_callback_token(subscription: TrackingSubscription) -> str:
    """The subscription's id, signed: our callback address names it without being guessable."""
    return signing.Signer(salt=_CALLBACK_SALT, sep=".").sign(str(subscription.pk))


def tracking_subscription_id_from_token(token: str) -> int | None:
    """The subscription id a callback token names, or None for a token we did not make."""
    try:
        value = signing.Signer(salt=_CALLBACK_SALT, sep=".").unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def tracking_callback_url(subscription: TrackingSubscription) -> str:
    """Where the carrier pushes this subscription's events: ``SITE_URL`` + our API path."""
    path = reverse("shipping_tracking_events", args=[tracking_callback_token(subscription)])
    return settings.SITE_URL + path


# --- Milestones --------------------------------------------------------------------------------


def milestone_of(event: CarrierEvent, *, port_of_discharge: str) -> str:
    """The milestone an event marks, or "" (estimates and plans, empty boxes, other calls)."""
    milestone = MILESTONE_CODES.get(event.event_code)
    if milestone is None or event.classifier != "ACT" or event.event_type == "SHIPMENT":
        return ""
    if milestone in (M.GATE_IN, M.GATE_OUT) and event.empty:
        return ""  # an empty box picked up or returned is not the cargo moving
    if milestone == M.ARRIVED and event.location and event.location != port_of_discharge:
        return ""  # a transhipment call on the way
    return milestone


def _is_eta(event: CarrierEvent | TrackingEvent, port_of_discharge: str) -> bool:
    return (
        event.event_code == "ARRI"
        and event.classifier == "EST"
        and event.location in ("", port_of_discharge)
    )


def _created(row: TrackingEvent) -> datetime:
    stamp = row.payload.get("eventCreatedDateTime") if isinstance(row.payload, dict) else None
    try:
        return datetime.fromisoformat(stamp) if isinstance(stamp, str) else row.received_at
    except ValueError:
        return row.received_at


# --- Recording events --------------------------------------------------------------------------


def tracking_events_record(
    *, subscription: TrackingSubscription, events: list[CarrierEvent]
) -> list[TrackingEvent]:
    """Store the events of ``subscription``'s booking not stored yet (by the carrier's eventID;
    a repeat changes nothing), and act on the new ones: the milestones reached (webhook once per
    milestone, the merchant told of departure and arrival), the latest ETA at the port of
    discharge, the subscription ended at gate-out. Called inside the booking's scope; the new
    rows, oldest first."""
    with transaction.atomic():
        # The booking's row lock puts a push and a poll of the same booking one after the other.
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("sailing__port_of_discharge", "organization", "requested_by")
            .get(pk=subscription.booking_id)
        )
        port_of_discharge = booking.sailing.port_of_discharge.un_locode
        eta_before = booking.tracking_eta
        ours = [
            event
            for event in events
            if not event.carrier_booking_reference
            or event.carrier_booking_reference == booking.carrier_booking_reference
        ]
        # eventIDs are unique per carrier, whoever's booking they concern: ids only.
        with scopes_disabled():
            known = set(
                TrackingEvent.objects.filter(
                    carrier_id=subscription.carrier_id, event_id__in=[e.event_id for e in ours]
                ).values_list("event_id", flat=True)
            )
        reached = set(
            TrackingEvent.objects.filter(booking=booking)
            .exclude(milestone="")
            .values_list("milestone", flat=True)
        )
        # Carriers often send the UN/LOCODE alone: the port's name comes from our ports.
        port_names = dict(
            Port.objects.filter(un_locode__in={e.location for e in ours if e.location}).values_list(
                "un_locode", "name"
            )
        )
        created: list[TrackingEvent] = []
        for event in sorted(ours, key=lambda e: e.event_at):
            if event.event_id in known:
                continue
            known.add(event.event_id)
            created.append(
                TrackingEvent.objects.create(
                    organization_id=booking.organization_id,
                    booking=booking,
                    carrier_id=subscription.carrier_id,
                    event_id=event.event_id,
                    event_type=event.event_type,
                    event_code=event.event_code,
                    classifier=event.classifier,
                    milestone=milestone_of(event, port_of_discharge=port_of_discharge),
                    event_at=event.event_at,
                    equipment_reference=event.equipment_reference,
                    location=event.location,
                    location_name=event.location_name or port_names.get(event.location, ""),
                    vessel_name=event.vessel_name,
                    voyage_number=event.voyage_number,
                    payload=event.payload,
                )
            )
        for row in created:
            if row.milestone and row.milestone not in reached:
                reached.add(row.milestone)
                _milestone_reached(booking, row)
        if any(_is_eta(row, port_of_discharge) for row in created):
            _update_eta(booking, port_of_discharge)
        if created:
            shipments_follow_booking(booking=booking, events=created, eta_before=eta_before)
        if M.GATE_OUT in reached and subscription.status != Status.ENDED:
            tracking_end_task.delay_on_commit(booking.pk)
    return created


def _update_eta(booking: Booking, port_of_discharge: str) -> None:
    estimates = [
        row
        for row in TrackingEvent.objects.filter(
            booking=booking, event_code="ARRI", classifier="EST"
        )
        if _is_eta(row, port_of_discharge)
    ]
    latest = max(estimates, key=_created).event_at
    if booking.tracking_eta != latest:
        Booking.objects.filter(pk=booking.pk).update(tracking_eta=latest)
        booking.tracking_eta = latest


def _milestone_reached(booking: Booking, event: TrackingEvent) -> None:
    milestone = M(event.milestone)
    payload = {
        "booking": booking.reference,
        "carrier_booking_reference": booking.carrier_booking_reference,
        "milestone": milestone.value,
        "container": event.equipment_reference,
        "location": event.location,
        "location_name": event.location_name,
        "time": event.event_at,
        "vessel_name": event.vessel_name,
        "voyage_number": event.voyage_number,
        "event_id": event.event_id,
    }
    audit(
        actor=None,
        organization=booking.organization,
        action=f"booking.tracking.{milestone.value}",
        target=booking,
        changes={"event_id": event.event_id, "location": event.location},
    )
    webhook_emit(
        organization=booking.organization, event=f"shipment.{milestone.value}", payload=payload
    )
    recipient = booking.requested_by
    if milestone in NOTIFIED_MILESTONES and recipient is not None:
        notification_send(
            email=recipient.email,
            recipient=recipient,
            organization=booking.organization,
            kind=f"shipment.{milestone.value}",
            template="shipping/email/tracking_milestone",
            context={
                "reference": booking.reference,
                "milestone": milestone.value,
                # Lazy label: rendered in the recipient's language by notification_send.
                "milestone_label": milestone.label,
                "location": event.location_name or event.location,
                "time": event.event_at,
                "vessel": " ".join(p for p in (event.vessel_name, event.voyage_number) if p),
                "container": event.equipment_reference,
            },
            link=reverse("shipping:booking_detail", args=[booking.reference]),
        )


def tracking_events_receive(*, subscription_id: int, events: list[CarrierEvent]) -> int:
    """A carrier's push for one of our subscriptions (already authenticated by its signature):
    store and act on the new events; the number stored."""
    with row_scope(TrackingSubscription, subscription_id):
        subscription = TrackingSubscription.objects.get(pk=subscription_id)
        return len(tracking_events_record(subscription=subscription, events=events))


# --- Subscribing, polling, ending --------------------------------------------------------------


def _carrier_tracks_over_http(booking: Booking) -> bool:
    return carrier_connection(booking.sailing.carrier.scac).configured


def tracking_subscribe(*, booking_id: int) -> str:
    """Subscribe to the events of a confirmed booking at its carrier, once: the subscription row
    is created with a fresh secret, then the carrier is asked; a failure is recorded on it
    (``failed``) for the periodic poll to try again. Carriers not reached over HTTP have no
    tracking."""
    with row_scope(Booking, booking_id):
        booking = Booking.objects.select_related("sailing__carrier").filter(pk=booking_id).first()
        if booking is None or booking.status not in TRACKED_STATUSES:
            return "not confirmed"
        if not booking.carrier_booking_reference:
            return "no carrier booking reference"
        if not _carrier_tracks_over_http(booking):
            return "carrier not reached over HTTP"
        with transaction.atomic():
            subscription, _created = TrackingSubscription.objects.get_or_create(
                booking=booking,
                defaults={
                    "organization_id": booking.organization_id,
                    "carrier_id": booking.sailing.carrier_id,
                    "secret": carrier_tracking.new_secret(),
                },
            )
        return _subscribe_at_carrier(subscription, booking)


def _subscribe_at_carrier(subscription: TrackingSubscription, booking: Booking) -> str:
    with transaction.atomic():
        # Held while the carrier is asked: a concurrent run waits, then finds it active.
        subscription = TrackingSubscription.objects.select_for_update().get(pk=subscription.pk)
        if subscription.status in (Status.ACTIVE, Status.ENDED):
            return subscription.status
        try:
            subscription.subscription_id = carrier_tracking.subscribe(
                booking.sailing.carrier,
                callback_url=tracking_callback_url(subscription),
                secret=subscription.secret,
                carrier_booking_reference=booking.carrier_booking_reference,
            )
        except (CarrierUnavailable, CarrierRefused) as error:
            subscription.status = Status.FAILED
            subscription.last_error = str(error)[:300]
        else:
            subscription.status = Status.ACTIVE
            subscription.last_error = ""
        subscription.save(update_fields=["subscription_id", "status", "last_error"])
        return subscription.status


def tracking_poll(*, booking_id: int) -> str:
    """Ask the carrier for a booking's events (when pushes have not come) and record the new
    ones; a subscription that could not be created is tried again first.

    Raises CarrierUnavailable for the task to retry later."""
    with row_scope(Booking, booking_id):
        booking = Booking.objects.select_related("sailing__carrier").filter(pk=booking_id).first()
        if booking is None or booking.status not in TRACKED_STATUSES:
            return "not tracked"
        if not _carrier_tracks_over_http(booking):
            return "carrier not reached over HTTP"
        subscription = TrackingSubscription.objects.filter(booking=booking).first()
        if subscription is None or subscription.status in (Status.PENDING, Status.FAILED):
            tracking_subscribe(booking_id=booking_id)
            subscription = TrackingSubscription.objects.filter(booking=booking).first()
        if subscription is None or subscription.status == Status.ENDED:
            return "not tracked"
        events = carrier_tracking.fetch_events(
            booking.sailing.carrier, carrier_booking_reference=booking.carrier_booking_reference
        )
        TrackingSubscription.objects.filter(pk=subscription.pk).update(
            last_polled_at=timezone.now()
        )
        created = tracking_events_record(subscription=subscription, events=events)
        return f"{len(created)} new"


def tracking_end(*, booking_id: int) -> str:
    """End a booking's subscription (gate-out reached, or the booking ended): stop it at the
    carrier and mark it ended. Raises CarrierUnavailable for the task to retry later."""
    with row_scope(Booking, booking_id):
        subscription = (
            TrackingSubscription.objects.select_related("carrier")
            .filter(booking_id=booking_id)
            .first()
        )
        if subscription is None or subscription.status == Status.ENDED:
            return "nothing to end"
        reachable = carrier_connection(subscription.carrier.scac).configured
        if reachable and subscription.subscription_id and subscription.status == Status.ACTIVE:
            carrier_tracking.unsubscribe(
                subscription.carrier, subscription_id=subscription.subscription_id
            )
        TrackingSubscription.objects.filter(pk=subscription.pk).update(status=Status.ENDED)
        return "ended"


def tracking_quiet_booking_ids(*, quiet_for: timedelta, limit: int = 200) -> list[int]:
    """Confirmed bookings whose tracking has heard nothing for ``quiet_for`` (no event received,
    no poll), and confirmed bookings whose subscription was never made or failed: the ones to
    poll."""
    now = timezone.now()
    since = now - quiet_for
    # A sweep over every organisation's subscriptions: it reads booking ids only.
    with scopes_disabled():
        quiet = (
            TrackingSubscription.objects.filter(
                booking__status__in=TRACKED_STATUSES,
                status__in=[Status.PENDING, Status.ACTIVE, Status.FAILED],
            )
            .annotate(
                last_heard=Greatest(
                    Coalesce(
                        Max("booking__tracking_events__received_at"),
                        "created_at",
                        output_field=DateTimeField(),
                    ),
                    Coalesce("last_polled_at", "created_at", output_field=DateTimeField()),
                )
            )
            .filter(Q(last_heard__lte=since) | Q(status=Status.FAILED))
            .order_by("last_heard")
            .values_list("booking_id", flat=True)[:limit]
        )
        quiet_ids = list(quiet)
    never_subscribed = booking_ids(
        Q(status__in=TRACKED_STATUSES)
        & ~Q(carrier_booking_reference="")
        & Q(tracking_subscription__isnull=True)
        & Q(confirmed_at__lte=since),
        order_by="confirmed_at",
        limit=limit,
    )
    return [*quiet_ids, *never_subscribed][:limit]


# --- Reads for pages and the API ---------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneView:
    milestone: str
    label: str
    event: TrackingEvent | None

    @property
    def reached(self) -> bool:
        return self.event is not None


def milestones_from(events: list[TrackingEvent]) -> list[MilestoneView]:
    """The six milestones in order, each with the first event that reached it (or None)."""
    first: dict[str, TrackingEvent] = {}
    for event in events:
        if event.milestone and event.milestone not in first:
            first[event.milestone] = event
    return [MilestoneView(m.value, str(m.label), first.get(m.value)) for m in MILESTONES]


# --- The tasks ---------------------------------------------------------------------------------


@shared_task(name="shipping.tasks.tracking_subscribe", acks_late=True)
def tracking_subscribe_task(booking_id: int) -> str:
    """Subscribe to a confirmed booking's container events at its carrier (a failure is kept
    on the subscription and tried again by the periodic poll)."""
    return tracking_subscribe(booking_id=booking_id)


@shared_task(
    name="shipping.tasks.tracking_poll",
    acks_late=True,
    autoretry_for=(CarrierUnavailable,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def tracking_poll_task(booking_id: int) -> str:
    """Fetch a booking's events from its carrier and record the new ones."""
    return tracking_poll(booking_id=booking_id)


@shared_task(
    name="shipping.tasks.tracking_end",
    acks_late=True,
    autoretry_for=(CarrierUnavailable,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def tracking_end_task(booking_id: int) -> str:
    """Stop a booking's event subscription at its carrier."""
    return tracking_end(booking_id=booking_id)


@shared_task(name="shipping.tasks.poll_quiet_tracking", acks_late=True)
def poll_quiet_tracking() -> int:
    """Beat: poll the carrier for confirmed bookings whose tracking has gone quiet or whose
    subscription failed to be created."""
    quiet_for = timedelta(seconds=float(settings.SHIPPING_TRACKING_QUIET_SECONDS))
    ids = tracking_quiet_booking_ids(quiet_for=quiet_for)
    for booking_id in ids:
        tracking_poll_task.delay(booking_id)
    return len(ids)
