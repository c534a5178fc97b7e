"""Talking to the carrier: sending a booking's pending message (submit, update, amend,
cancel) and polling for the answer, with the Celery tasks (queue "shipping") that run them.
Each task takes ids, runs inside the booking's ``row_scope`` and is safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from network.tenancy import row_scope
from shipping.carriers import CarrierReply, adapter_for
from shipping.errors import CarrierRefused, CarrierUnavailable, IllegalBookingTransition
from shipping.models import UNCONFIRMED_STATUSES, Booking, BookingEvent
from shipping.services.carrier_replies import booking_apply_carrier_reply, booking_reject
from shipping.services.lifecycle import NETWORK, A, C, S, booking_ids

CARRIER_LEASE = timedelta(minutes=2)


def enqueue_sync(booking: Booking) -> None:
    """Send the booking's pending message to the carrier once the transaction commits."""
    if booking.carrier_sync:
        booking_sync.delay_on_commit(booking.pk)


def booking_sync_with_carrier(*, booking_id: int) -> str:
    """Send the booking's pending message (submit, update, amend, cancel) to its carrier and
    record the reply. Running it twice sends once: a lease stops a concurrent run, and the
    pending message is cleared only once the reply is recorded.

    Raises CarrierUnavailable for the task to retry later."""
    with row_scope(Booking, booking_id):
        return _sync_with_carrier(booking_id=booking_id)


def _sync_with_carrier(*, booking_id: int) -> str:
    now = timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("sailing__carrier", "sailing__port_of_loading")
            .select_related("sailing__port_of_discharge", "requested_by", "organization")
            .filter(pk=booking_id)
            .first()
        )
        if booking is None or not booking.carrier_sync:
            return "nothing to send"
        if booking.carrier_lease_until and booking.carrier_lease_until > now:
            return "another worker is sending"
        what = booking.carrier_sync
        booking.carrier_lease_until = now + CARRIER_LEASE
        booking.submission_attempts += 1
        booking.save(update_fields=["carrier_lease_until", "submission_attempts", "updated_at"])
    adapter = adapter_for(booking.sailing.carrier)
    refused = ""
    try:
        if what == "submit":
            reply = adapter.submit(booking)
        elif what in ("update", "amend"):
            reply = adapter.amend(booking)
        elif what == "cancel_amendment":
            reply = adapter.cancel(booking, amendment_only=True)
        else:
            reply = adapter.cancel(booking)
    except CarrierUnavailable as error:
        with transaction.atomic():
            Booking.objects.filter(pk=booking_id).update(
                carrier_lease_until=None, last_carrier_error=str(error)[:300]
            )
        raise
    except CarrierRefused as error:
        reply, refused = None, str(error)
    return _record_sync(booking_id=booking_id, what=what, reply=reply, refused=refused)


@transaction.atomic
def _record_sync(*, booking_id: int, what: str, reply: CarrierReply | None, refused: str) -> str:
    booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking_id)
    if booking.carrier_sync == what:
        booking.carrier_sync = ""
    booking.carrier_lease_until = None
    booking.last_carrier_error = refused[:300]
    if (
        reply
        and reply.carrier_booking_request_reference
        and not (booking.carrier_booking_request_reference)
    ):
        booking.carrier_booking_request_reference = reply.carrier_booking_request_reference
    if what == "submit" and not booking.submitted_at:
        booking.submitted_at = timezone.now()
    booking.save()
    BookingEvent.objects.create(
        organization_id=booking.organization_id,
        booking=booking,
        action=f"sent_{what}",
        status=booking.status,
        amendment_status=booking.amendment_status,
        cancellation_status=booking.cancellation_status,
        source=NETWORK,
        message=refused[:500],
    )
    if booking.carrier_sync:  # something new was queued while we were sending
        enqueue_sync(booking)
    if refused:
        if what in ("submit", "update") and booking.status in UNCONFIRMED_STATUSES:
            booking_reject(booking=booking, message=_("The carrier refused the request."))
        return "refused"
    if reply is not None:
        try:
            booking_apply_carrier_reply(booking=booking, reply=reply)
        except IllegalBookingTransition:
            return "reply ignored"
        if what in ("submit", "update") and reply.booking_status in (
            S.RECEIVED,
            S.UPDATE_RECEIVED,
        ):
            delay = float(settings.SHIPPING_POLL_AFTER_SECONDS)
            transaction.on_commit(lambda: booking_poll.apply_async((booking_id,), countdown=delay))
    return "sent"


def booking_poll_carrier(*, booking_id: int) -> str:
    """Ask the carrier about a booking awaiting its answer and apply what it says."""
    with row_scope(Booking, booking_id):
        return _poll_carrier(booking_id=booking_id)


def _poll_carrier(*, booking_id: int) -> str:
    booking = Booking.objects.select_related("sailing__carrier").filter(pk=booking_id).first()
    if booking is None or booking.carrier_sync or not booking.awaiting_carrier:
        return "nothing to ask"
    if not (booking.carrier_booking_request_reference or booking.carrier_booking_reference):
        return "not submitted"
    reply = adapter_for(booking.sailing.carrier).poll(booking)
    try:
        booking_apply_carrier_reply(booking=booking, reply=reply)
    except IllegalBookingTransition:
        return "reply ignored"
    return "polled"


def bookings_awaiting_sync_ids(*, older_than: timedelta, limit: int = 200) -> list[int]:
    """Bookings with a message for the carrier still unsent ``older_than`` after their last
    change and no live lease: their sync task was lost (broker down, worker killed)."""
    now = timezone.now()
    return booking_ids(
        ~Q(carrier_sync="")
        & Q(updated_at__lte=now - older_than)
        & (Q(carrier_lease_until__isnull=True) | Q(carrier_lease_until__lte=now)),
        order_by="updated_at",
        limit=limit,
    )


def bookings_awaiting_carrier_ids(*, limit: int = 200) -> list[int]:
    """Bookings submitted and waiting for the carrier's answer, oldest first."""
    return booking_ids(
        (
            Q(status__in=[S.RECEIVED, S.UPDATE_RECEIVED])
            | Q(amendment_status=A.RECEIVED)
            | Q(cancellation_status=C.RECEIVED)
        )
        & Q(carrier_sync="")
        & ~Q(carrier_booking_request_reference="", carrier_booking_reference=""),
        order_by="updated_at",
        limit=limit,
    )


# --- The tasks ---------------------------------------------------------------------------------


@shared_task(
    name="shipping.tasks.booking_sync",
    bind=True,
    acks_late=True,
    autoretry_for=(CarrierUnavailable,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def booking_sync(self, booking_id: int) -> str:  # type: ignore[no-untyped-def]
    """Send the booking's pending request (submit, update, amend, cancel) to its carrier, with
    exponential backoff while the carrier is unavailable; a second run sends nothing more."""
    return booking_sync_with_carrier(booking_id=booking_id)


@shared_task(
    name="shipping.tasks.booking_poll",
    bind=True,
    acks_late=True,
    autoretry_for=(CarrierUnavailable,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def booking_poll(self, booking_id: int) -> str:  # type: ignore[no-untyped-def]
    """Ask the carrier about one booking awaiting its answer and apply what it says."""
    return booking_poll_carrier(booking_id=booking_id)


@shared_task(name="shipping.tasks.poll_bookings_awaiting_carrier", acks_late=True)
def poll_bookings_awaiting_carrier() -> int:
    """Beat: queue a poll for every booking the carrier has not answered (lost notifications)."""
    ids = bookings_awaiting_carrier_ids()
    for booking_id in ids:
        booking_poll.delay(booking_id)
    return len(ids)


@shared_task(name="shipping.tasks.redrive_booking_syncs", acks_late=True)
def redrive_booking_syncs(older_than_seconds: int = 120) -> int:
    """Beat: queue the carrier sync again for bookings whose sync task was lost; the sync holds
    a lease and clears its message only once recorded, so a duplicate sends nothing twice."""
    ids = bookings_awaiting_sync_ids(older_than=timedelta(seconds=older_than_seconds))
    for booking_id in ids:
        booking_sync.delay(booking_id)
    return len(ids)
