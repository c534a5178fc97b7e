"""Background work of the catalogue."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import ImportJob
from network.tenancy import row_scope

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def import_job_run(self, job_id: int) -> str:
    """Import one uploaded spreadsheet. Safe to run twice: only a waiting job is started, and
    it is claimed under a row lock."""
    from catalog.spreadsheets import run_import

    # The job's own merchant: the import reads and writes that merchant's rows only.
    with row_scope(ImportJob, job_id) as organization:
        jobs = ImportJob.objects.visible_to(organization)
        with transaction.atomic():
            job = jobs.select_for_update().filter(pk=job_id).first()
            if job is None or job.status != ImportJob.Status.PENDING:
                return "skipped"
            job.status = ImportJob.Status.RUNNING
            job.started_at = timezone.now()
            job.save(update_fields=["status", "started_at"])
        job = jobs.select_related("organization", "created_by").get(pk=job_id)
        try:
            run_import(job)
        except OperationalError:
            # The database went away: put the job back so the retry starts it again.
            jobs.filter(pk=job_id).update(status=ImportJob.Status.PENDING)
            raise
        except Exception:
            logger.exception("catalog import %s failed", job_id)
            jobs.filter(pk=job_id).update(
                status=ImportJob.Status.FAILED,
                message=_("The import stopped unexpectedly; nothing was written. Try again."),
                finished_at=timezone.now(),
            )
            return "failed"
        return jobs.get(pk=job_id).status


@shared_task(acks_late=True)
def pending_images_prune() -> int:
    """Delete images kept for failed product forms more than a day ago. Safe to run twice."""
    from catalog import pending_images

    return pending_images.pending_images_prune()
