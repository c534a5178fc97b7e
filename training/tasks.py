"""Celery tasks of the training app: thin wrappers that load by id and call a service. Every
one is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from training import services

RETRY = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(**RETRY)
def seat_offer_expire(self, registration_id: int) -> bool:
    """Let one lapsed offer go and offer the seat to the next person waiting."""
    return services.offer_expire(registration_id=registration_id)


@shared_task(**RETRY)
def seat_offers_expire(self) -> int:
    """Beat: expire every offer past its deadline, one transaction each."""
    expired = 0
    for registration_id in services.offers_due_for_expiry():
        expired += bool(services.offer_expire(registration_id=registration_id))
    return expired


@shared_task(**RETRY)
def reminders_send(self) -> int:
    """Beat: send the 7-day and 1-day reminders that are due, each at most once."""
    sent = 0
    for registration_id, reminder in services.reminders_due():
        sent += bool(services.reminder_send(registration_id=registration_id, reminder=reminder))
    return sent
