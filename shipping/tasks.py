"""Celery tasks of carrier slot booking (queue "shipping"). Each takes ids, delegates to
``shipping.services`` and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from shipping import services
from shipping.errors import CarrierUnavailable


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(CarrierUnavailable,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def booking_sync(self, booking_id: int) -> str:
    """Send the booking's pending request (submit, update, amend, cancel) to its carrier, with
    exponential backoff while the carrier is unavailable; a second run sends nothing more."""
    return services.booking_sync_with_carrier(booking_id=booking_id)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(CarrierUnavailable,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def booking_poll(self, booking_id: int) -> str:
    """Ask the carrier about one booking awaiting its answer and apply what it says."""
    return services.booking_poll_carrier(booking_id=booking_id)


@shared_task(acks_late=True)
def poll_bookings_awaiting_carrier() -> int:
    """Beat: queue a poll for every booking the carrier has not answered (lost notifications)."""
    ids = services.bookings_awaiting_carrier_ids()
    for booking_id in ids:
        booking_poll.delay(booking_id)
    return len(ids)


@shared_task(acks_late=True)
def redrive_booking_syncs(older_than_seconds: int = 120) -> int:
    """Beat: queue the carrier sync again for bookings whose sync task was lost; the sync holds
    a lease and clears its message only once recorded, so a duplicate sends nothing twice."""
    from datetime import timedelta

    ids = services.bookings_awaiting_sync_ids(older_than=timedelta(seconds=older_than_seconds))
    for booking_id in ids:
        booking_sync.delay(booking_id)
    return len(ids)


@shared_task(acks_late=True)
def expire_booking_holds() -> int:
    """Beat: give back the space of unconfirmed bookings whose hold ran out."""
    return services.bookings_expire_holds()
