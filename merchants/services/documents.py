"""The application's KYC documents: checked by their content, stored privately, removed while
the application is open for changes."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from merchants.errors import DocumentRejected
from merchants.models import MerchantApplication, MerchantDocument
from merchants.services.state import _lock, _require_editable
from network.models import Role, User
from network.permissions import require_member
from network.services import audit

ALLOWED_TYPES = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}


def _upload_size(uploaded: UploadedFile) -> int:
    """The upload's size in bytes, counted from its content when the upload did not say."""
    if uploaded.size is not None:
        return uploaded.size
    return sum(len(chunk) for chunk in uploaded.chunks())


def document_check(uploaded: UploadedFile) -> str:
    """The file's real type, judged by its content; raises DocumentRejected otherwise."""
    limit = settings.MERCHANT_DOCUMENT_MAX_BYTES
    size = _upload_size(uploaded)
    if size > limit:
        raise DocumentRejected(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    content_type = next((t for t, magic in ALLOWED_TYPES.items() if head.startswith(magic)), None)
    if content_type is None:
        raise DocumentRejected(
            _(
                "Only PDF, PNG or JPEG files are accepted, and this file is "
                "none of them (whatever its name says)."
            )
        )
    try:
        if content_type == "application/pdf":
            from pypdf import PdfReader

            if len(PdfReader(uploaded).pages) < 1:
                raise ValueError("no pages")
        else:
            from PIL import Image

            with Image.open(uploaded) as image:
                image.verify()
    except Exception as error:  # any parser failure means a damaged or disguised file
        raise DocumentRejected(
            _("The file looks like a %(type)s but cannot be read; export it again and retry.")
            % {"type": content_type.split("/")[1].upper()}
        ) from error
    finally:
        uploaded.seek(0)
    return content_type


def document_upload(
    *, application: MerchantApplication, kind: str, uploaded: UploadedFile, acting_user: User
) -> MerchantDocument:
    """Store a KYC document after checking its content; nothing is stored when it is refused.

    The upload is its own (durable) transaction, so whatever undoes it — a refusal, a failed
    audit write, a failed commit — happens here, and the stored file is removed with it."""
    stored: list[MerchantDocument] = []
    try:
        with transaction.atomic(durable=True):
            return _document_store(
                application=application,
                kind=kind,
                uploaded=uploaded,
                acting_user=acting_user,
                stored=stored,
            )
    except BaseException:
        for document in stored:
            document.file.delete(save=False)
        raise


def _document_store(
    *,
    application: MerchantApplication,
    kind: str,
    uploaded: UploadedFile,
    acting_user: User,
    stored: list[MerchantDocument],
) -> MerchantDocument:
    require_member(
        organization=application.organization,
        user=acting_user,
        role=Role.STAFF,
    )
    application = _lock(application)
    _require_editable(application)
    if kind not in MerchantDocument.Kind.values:
        raise DocumentRejected(_("Choose which document this is."))
    content_type = document_check(uploaded)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    document = MerchantDocument(
        application=application,
        kind=kind,
        original_name=(uploaded.name or "")[:200],
        content_type=content_type,
        size=_upload_size(uploaded),
        sha256=digest.hexdigest(),
        uploaded_by=acting_user,
    )
    document.file.save("upload", uploaded, save=False)
    stored.append(document)
    document.save()
    audit(
        actor=acting_user,
        organization=application.organization,
        action="document.uploaded",
        target=document,
        changes={"kind": kind, "sha256": document.sha256, "size": document.size},
    )
    return document


@transaction.atomic
def document_remove(*, document: MerchantDocument, acting_user: User) -> None:
    application = _lock(document.application)
    require_member(
        organization=application.organization,
        user=acting_user,
        role=Role.STAFF,
    )
    _require_editable(application)
    audit(
        actor=acting_user,
        organization=application.organization,
        action="document.removed",
        target=document,
    )
    stored = document.file.name
    document.delete()
    transaction.on_commit(lambda: document.file.storage.delete(stored))
