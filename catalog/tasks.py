"""Background work of the catalogue (Celery finds tasks here): the import job runs beside the
import's logic in ``catalog.spreadsheets``."""

from __future__ import annotations

from celery import shared_task

from catalog.spreadsheets import import_job_run

__all__ = ["import_job_run", "pending_images_prune"]


@shared_task(acks_late=True)
def pending_images_prune() -> int:
    """Delete images kept for failed product forms more than a day ago. Safe to run twice."""
    from catalog import pending_images

    return pending_images.pending_images_prune()
