"""Talking to the carrier: sending a booking's pending message (submit, update, amend,
cancel) and polling for the answer, with the Celery tasks (queue "shipping") that run them.
Each task takes ids, runs inside the booking's ``row_scope`` and is safe to run twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from network.tenancy import row_scope
from shipping.carriers import CarrierReply, adapter_for
from shipping.errors import (
    CarrierOutcomeUnknown,
    CarrierRefused,
    CarrierUnavailable,
    IllegalBookingTransition,
)
from shipping.models import (
    FINAL_STATUSES,
    UNCONFIRMED_STATUSES,
    Booking,
    BookingStatus,
    CancellationStatus,
)
from shipping.services.carrier_replies import booking_apply_carrier_reply, booking_reject
from shipping.services.lifecycle import (
    NETWORK,
    A,
    C,
    S,
    _queue_sync,
    booking_ids,
    own_rows,
    timeline_record,
)

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


def _receipt_wait() -> timedelta:
    return timedelta(seconds=float(settings.SHIPPING_RECEIPT_WAIT_SECONDS))


def _timeline(booking: Booking, action: str, message: str) -> None:
    timeline_record(booking, action, source=NETWORK, message=message)


def _unknown_outcome_gate(booking: Booking, *, what: str, now: datetime) -> str:
    """For a locked booking whose request the carrier may hold without our knowing its
    reference: what to do now. ``""`` to send; otherwise why nothing is sent.

    A new booking is never sent twice blindly: after a timeout or a worker lost mid-send it
    waits ``SHIPPING_RECEIPT_WAIT_SECONDS`` for the carrier's notification (which names our
    reference and attaches theirs); only after that long without a word is it sent again."""
    if booking.carrier_booking_request_reference or booking.carrier_booking_reference:
        return ""
    if (
        booking.carrier_outcome_unknown_since is None
        and booking.submission_attempts > 0
        and booking.carrier_lease_until is not None
    ):
        # The lease ran out without being released: the worker sending it died, before or
        # after the carrier received it.
        booking.carrier_outcome_unknown_since = booking.carrier_lease_until - CARRIER_LEASE
        booking.carrier_lease_until = None
        booking.save(update_fields=["carrier_outcome_unknown_since", "carrier_lease_until"])
        _timeline(
            booking,
            "carrier_outcome_unknown",
            _("The request was being sent when its sender stopped; waiting for the carrier."),
        )
        return "outcome unknown"
    since = booking.carrier_outcome_unknown_since
    if since is not None and now < since + _receipt_wait():
        return "awaiting the carrier's word"
    minutes = round(_receipt_wait().total_seconds() / 60)
    if since is None:
        if what == "submit":
            return ""
        # A cancellation queued while the request was being sent, which then failed before
        # reaching the carrier: there is nothing to cancel there.
        booking.carrier_sync = ""
        booking.save(update_fields=["carrier_sync", "updated_at"])
        _timeline(booking, f"sent_{what}", _("The carrier never received the request."))
        return "nothing to send"
    booking.carrier_outcome_unknown_since = None
    if what == "submit":
        booking.save(update_fields=["carrier_outcome_unknown_since", "updated_at"])
        _timeline(
            booking,
            "resent_submit",
            _("Sent again: the carrier gave no word of the earlier request in %(minutes)s minutes.")
            % {"minutes": minutes},
        )
        return ""
    # A cancellation of a request the carrier never acknowledged: nothing to cancel there.
    booking.carrier_sync = ""
    booking.save(update_fields=["carrier_outcome_unknown_since", "carrier_sync", "updated_at"])
    _timeline(
        booking,
        f"sent_{what}",
        _("The carrier gave no word of the request in %(minutes)s minutes: nothing to cancel.")
        % {"minutes": minutes},
    )
    return "nothing to send"


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
        if held := _unknown_outcome_gate(booking, what=what, now=now):
            return held
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
    except CarrierOutcomeUnknown as error:
        if what != "submit":
            _release_lease(booking_id, error)
            raise  # an update or cancellation is safe to send again
        return _record_outcome_unknown(booking_id=booking_id, error=error)
    except CarrierUnavailable as error:
        _release_lease(booking_id, error)
        raise
    except CarrierRefused as error:
        reply, refused = None, str(error)
    return _record_sync(booking_id=booking_id, what=what, reply=reply, refused=refused)


def _release_lease(booking_id: int, error: Exception) -> None:
    with transaction.atomic():
        Booking.objects.filter(pk=booking_id).update(
            carrier_lease_until=None, last_carrier_error=str(error)[:300]
        )


@transaction.atomic
def _record_outcome_unknown(*, booking_id: int, error: CarrierOutcomeUnknown) -> str:
    """The carrier may have the booking request: keep it pending (and its space held), but
    send nothing until the carrier's word or the receipt wait says what to do."""
    booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking_id)
    booking.carrier_lease_until = None
    booking.last_carrier_error = str(error)[:300]
    if booking.carrier_booking_request_reference or booking.carrier_booking_reference:
        # The carrier's notification named it while we waited for the answer.
        booking.save()
        return "received"
    booking.carrier_outcome_unknown_since = timezone.now()
    booking.save()
    _timeline(
        booking,
        "carrier_outcome_unknown",
        _("No answer came back from the carrier; waiting for its word before sending again."),
    )
    return "outcome unknown"


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
    if booking.carrier_booking_request_reference or booking.carrier_booking_reference:
        booking.carrier_outcome_unknown_since = None
    if what == "submit" and not booking.submitted_at:
        booking.submitted_at = timezone.now()
    booking.save()
    _timeline(booking, f"sent_{what}", refused)
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
    try:
        reply = adapter_for(booking.sailing.carrier).poll(booking)
    except CarrierRefused as error:
        # The carrier does not know the reference (404) or refuses the question: operators
        # see why on the booking, and the next sweep asks again; no task error to retry.
        Booking.objects.filter(pk=booking_id).update(last_carrier_error=str(error)[:300])
        return "refused"
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


def booking_cargo_changed(booking: Booking | None) -> None:
    """The cargo a carrier booking carries changed: if the carrier already has the booking,
    queue an update carrying the new commodities (a booking not yet sent carries them when it
    is sent; one being cancelled is left alone)."""
    if booking is None:
        return
    locked = own_rows(booking).select_for_update(of=("self",)).get(pk=booking.pk)
    if (
        locked.status in FINAL_STATUSES
        or locked.cancellation_status == CancellationStatus.RECEIVED
        or locked.carrier_sync not in ("", "update")
        or not (locked.carrier_booking_request_reference or locked.carrier_booking_reference)
    ):
        return
    if locked.status not in (
        BookingStatus.RECEIVED,
        BookingStatus.PENDING_UPDATE,
        BookingStatus.UPDATE_RECEIVED,
        BookingStatus.CONFIRMED,
    ):
        return
    _queue_sync(locked, "update")
    locked.save(update_fields=["carrier_sync", "updated_at"])
    enqueue_sync(locked)
