"""Celery tasks of the platform core."""

from __future__ import annotations

import base64

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
        for attachment in notification.attachments:
            message.attach(
                attachment["name"],
                base64.b64decode(attachment["content"]),
                attachment["mimetype"],
            )
        # Sent inside the row lock: a concurrent duplicate waits, then sees sent_at and stops.
        message.send()
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])
    return True


@shared_task(bind=True, acks_late=True)
def webhook_deliver(self, delivery_id: int) -> str:
    """One attempt at one webhook delivery. Failed attempts are retried by ``webhook_retry_due``
    when their backoff has passed; a delivered one is never sent again by this task."""
    from network.services import webhook_attempt

    delivery = webhook_attempt(delivery_id=delivery_id)
    return delivery.status if delivery else "skipped"


@shared_task(acks_late=True)
def webhook_retry_due() -> int:
    """Beat: queue every pending delivery whose backoff has passed."""
    from django_scopes import scopes_disabled

    from network.models import WebhookDelivery

    with scopes_disabled():
        due = list(
            WebhookDelivery.objects.filter(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=timezone.now(),
                attempts__gt=0,
                endpoint__is_active=True,
            ).values_list("pk", flat=True)[:500]
        )
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    return len(due)


@shared_task(acks_late=True)
def idempotency_records_prune() -> int:
    """Beat: forget stored idempotent responses older than the retention window."""
    from datetime import timedelta

    from django.conf import settings

    from network.models import IdempotencyRecord

    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_RETENTION_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
