"""Celery tasks of the platform core. Those that run a service's logic are defined beside it
in ``network.services``; Celery's autodiscovery imports this module, which names them all."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

from network.models import IdempotencyRecord
from network.services.integrations import webhook_deliver, webhook_retry_due
from network.services.notifications import (
    notification_deliver,
    notification_mail_batch,
    notification_mail_redrive,
)

__all__ = [
    "idempotency_records_prune",
    "notification_deliver",
    "notification_mail_batch",
    "notification_mail_redrive",
    "webhook_deliver",
    "webhook_retry_due",
]


@shared_task(acks_late=True)
def idempotency_records_prune() -> int:
    """Beat: forget stored idempotent responses older than the retention window."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_RETENTION_HOURS)
    # A periodic sweep over every organisation's stored responses, by age alone.
    with scopes_disabled():
        deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
