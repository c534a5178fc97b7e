"""Celery tasks of the platform core."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from network.models import Notification


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def notification_deliver(self, notification_id: int) -> bool:
    """Mail one notification; a second run of the same id sends nothing more."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.sent_at is not None:
            return False
        message = EmailMultiAlternatives(
            subject=notification.subject, body=notification.body, to=[notification.email]
        )
        # Sent inside the row lock: a concurrent duplicate waits, then sees sent_at and stops.
        message.send()
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])
    return True
