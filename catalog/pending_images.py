"""An image chosen on a product form whose submission failed for another reason, kept so the
merchant need not choose it again.

The checked upload is stored in private storage and the form carries a signed token naming it,
its organisation and its uploader in a hidden field: a token is worth nothing to anybody else,
nor after a day. Files nobody came back for are pruned by a periodic task."""

from __future__ import annotations

import base64
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalog.errors import ImageRejected
from catalog.images import process_upload
from network.models import Organization, User
from network.storage import private_storage

logger = logging.getLogger(__name__)

FOLDER = "pending-images"
MAX_AGE = timedelta(days=1)
_SALT = "catalog.pending-image"


@dataclass(frozen=True)
class PendingImage:
    token: str
    name: str
    upload: SimpleUploadedFile

    def preview(self) -> str:
        """The image's thumbnail as a data: URL, to show which image is kept."""
        self.upload.seek(0)
        try:
            thumbnail = process_upload(self.upload).thumbnail
        except ImageRejected:
            return ""
        finally:
            self.upload.seek(0)
        return "data:image/jpeg;base64," + base64.b64encode(thumbnail).decode()


def pending_image_keep(*, upload, organization: Organization, user: User) -> PendingImage:
    """Store a checked upload and return it with the token the form carries."""
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    name = os.path.basename(getattr(upload, "name", "") or "image")[:100] or "image"
    stored = private_storage().save(
        f"{FOLDER}/{organization.pk}/{uuid.uuid4().hex}", ContentFile(content)
    )
    token = signing.dumps({"o": organization.pk, "u": user.pk, "f": stored, "n": name}, salt=_SALT)
    return PendingImage(token=token, name=name, upload=_as_upload(content, name))


def pending_image_open(
    *, token: str, organization: Organization, user: User
) -> PendingImage | None:
    """The image a token names, if it was kept for this organisation and person within the
    last day and is still stored; None otherwise."""
    try:
        claims = signing.loads(token, salt=_SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if claims.get("o") != organization.pk or claims.get("u") != user.pk:
        return None
    storage = private_storage()
    try:
        with storage.open(claims["f"], "rb") as handle:
            content = handle.read()
    except (FileNotFoundError, OSError, KeyError):
        return None
    return PendingImage(token=token, name=claims["n"], upload=_as_upload(content, claims["n"]))


def pending_image_discard(token: str) -> None:
    """Delete the file a (valid) token names: it was used, or replaced by another image."""
    try:
        claims = signing.loads(token, salt=_SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return
    private_storage().delete(claims["f"])


def pending_images_prune(*, now=None) -> int:
    """Delete kept images older than a day (their tokens no longer open them); the count."""
    storage = private_storage()
    cutoff = (now or timezone.now()) - MAX_AGE
    removed = 0
    try:
        folders, _files = storage.listdir(FOLDER)
    except FileNotFoundError:
        return 0
    for folder in folders:
        for name in storage.listdir(f"{FOLDER}/{folder}")[1]:
            path = f"{FOLDER}/{folder}/{name}"
            try:
                if storage.get_modified_time(path) < cutoff:
                    storage.delete(path)
                    removed += 1
            except FileNotFoundError:
                continue
    return removed


def _as_upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")
