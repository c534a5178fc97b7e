"""What the moderation services share: who may act, the reason every decision needs, and the
check of an uploaded certificate or evidence file."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from catalog.errors import CatalogPermissionDenied, ReportRejected
from merchants.errors import DocumentRejected
from merchants.services import document_check
from network.models import Organization, User
from network.permissions import require_operator

EVIDENCE_MAX_BYTES = 10 * 2**20


def _require_operator(user: User) -> Organization:
    """The operator organisation ``user`` acts for (it sees every moderation record); refuses
    anybody else."""
    require_operator(user, error=CatalogPermissionDenied)
    return (
        Organization.objects.filter(kind=Organization.Kind.OPERATOR, memberships__user=user).first()
        or _refuse_operator()
    )


def _refuse_operator() -> Organization:
    raise CatalogPermissionDenied(_("Only network operators can do this."))


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason; it is kept on record.")})
    return reason


def _normalise(name: str) -> str:
    return re.sub(r"\s+", " ", (name or "").strip()).lower()


def _check_evidence(upload: UploadedFile) -> None:
    if (upload.size or 0) > EVIDENCE_MAX_BYTES:
        raise ReportRejected(_("The evidence file is larger than 10 MB."))
    try:
        document_check(upload)
    except DocumentRejected as error:
        raise ReportRejected(error.message) from None
