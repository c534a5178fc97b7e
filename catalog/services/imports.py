"""Spreadsheet imports: the upload, and the background job that checks and writes it."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.core.files.uploadedfile import UploadedFile
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import ImportRejected
from catalog.models import (
    ImportJob,
)
from catalog.services.common import (
    require_catalogue_staff,
)
from network.models import Organization, User
from network.services import audit
from network.tenancy import row_scope

logger = logging.getLogger("catalog.tasks")


# --- Spreadsheet import ------------------------------------------------------------------------


@transaction.atomic
def import_job_create(
    *,
    organization: Organization,
    upload: UploadedFile,
    acting_user: User,
    all_or_nothing: bool = True,
) -> ImportJob:
    """Store an uploaded CSV or XLSX file and import it in the background after commit."""
    from catalog.spreadsheets import MAX_BYTES

    require_catalogue_staff(organization=organization, acting_user=acting_user)
    name = (getattr(upload, "name", "") or "").strip()
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ImportJob.Format.values:
        raise ImportRejected(_("Upload a .csv or .xlsx file."))
    size = upload.size if upload.size is not None else sum(map(len, upload.chunks()))
    if size > MAX_BYTES:
        raise ImportRejected(
            _("The file is larger than %(mb)s MB; split it.") % {"mb": MAX_BYTES // 2**20}
        )
    job = ImportJob(
        organization=organization,
        created_by=acting_user,
        original_name=name[:200],
        file_format=extension,
        all_or_nothing=all_or_nothing,
    )
    job.file.save("upload", upload, save=False)
    job.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="catalog.import_started",
        target=job,
        changes={"file": job.original_name, "all_or_nothing": all_or_nothing},
    )
    import_job_run.delay_on_commit(job.pk)
    return job


# Named as before the services became a package, so queued jobs still find it.
@shared_task(
    name="catalog.tasks.import_job_run",
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
)
def import_job_run(self: Any, job_id: int) -> str:
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
