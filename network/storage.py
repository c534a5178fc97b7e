"""Where uploads are kept, and how a private one reaches the person allowed to see it.

Public uploads (product images) go to ``STORAGES["default"]``; private ones (KYC documents,
evidence, photos, attachments, payout files) to ``STORAGES["private"]``, reached only through
``private_storage()`` and served only by views that check access first, with
``private_file_response``. On a laptop both are folders (``MEDIA_ROOT``,
``PRIVATE_MEDIA_ROOT``); with the ``S3_*`` variables set they are two buckets of an
S3-compatible object store (see the README).

Models name ``private_storage`` when they load, so it answers a proxy that looks the backend up
on use: a deployment, or a test with ``settings.STORAGES``, can point it elsewhere."""

from __future__ import annotations

import mimetypes
import os
from typing import Any, cast

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.functional import LazyObject, empty
from django.utils.http import content_disposition_header

PRIVATE = "private"


class PrivateFileSystemStorage(FileSystemStorage):
    """The private folder, outside every served path. Its location is read from
    ``settings.PRIVATE_MEDIA_ROOT`` on each use, not frozen when the models load."""

    def __init__(self, **options: object) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


class PrivateStorage(LazyObject):
    """``STORAGES["private"]``, looked up on first use and again after ``STORAGES`` changes."""

    _wrapped: Any  # the backend, or ``empty`` until first use

    def _setup(self) -> None:
        if PRIVATE in settings.STORAGES:
            self._wrapped = storages[PRIVATE]
        else:
            self._wrapped = PrivateFileSystemStorage()

    def backend(self) -> Storage:
        if self._wrapped is empty:
            self._setup()
        return cast(Storage, self._wrapped)

    def url(self, name: str) -> str:
        # Even where the backend could sign one, a link made here would skip the view's check.
        raise ValueError("Private files have no URL; serve them with private_file_response.")


_private = PrivateStorage()


def private_storage() -> Storage:
    """The storage of every private file (``FileField(storage=private_storage)``)."""
    return cast(Storage, _private)  # a proxy that passes for the Storage it wraps


@receiver(setting_changed)
def _private_storage_changed(*, setting: str, **kwargs: object) -> None:
    if setting == "STORAGES":
        _private._wrapped = empty


def _backend(storage: Storage) -> Storage:
    return storage.backend() if isinstance(storage, PrivateStorage) else storage


def signs_urls(storage: Storage) -> bool:
    """Whether ``storage`` is an object store that hands out signed, expiring URLs (the private
    bucket) rather than files this process streams."""
    return bool(getattr(_backend(storage), "querystring_auth", False))


def private_file_response(
    stored: FieldFile,
    *,
    content_type: str | None = None,
    filename: str = "",
    as_attachment: bool = False,
) -> HttpResponseBase:
    """A private file for a request that passed its view's access check: from the private
    bucket, a redirect to a signed URL that lives ``S3_SIGNED_URL_SECONDS`` and makes the store
    answer with this Content-Type and Content-Disposition; from the folder, the file itself.
    ``filename`` (else the stored name) is offered to the browser; no cache keeps either answer.
    Raises Http404 when the row has no file, or the folder lacks it."""
    if not stored:
        raise Http404
    response: HttpResponseBase
    if signs_urls(stored.storage):
        shown_name = os.path.basename(filename or stored.name or "")
        parameters = {
            "ResponseContentType": content_type or _guessed_content_type(shown_name),
            "ResponseContentDisposition": content_disposition_header(as_attachment, shown_name)
            or "inline",
        }
        signed_url = _backend(stored.storage).url(  # type: ignore[call-arg]  # S3Storage.url
            stored.name, parameters=parameters, expire=settings.S3_SIGNED_URL_SECONDS
        )
        response = HttpResponseRedirect(signed_url)
    else:
        try:
            handle = stored.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404 from None
        response = FileResponse(
            handle, content_type=content_type, as_attachment=as_attachment, filename=filename
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _guessed_content_type(filename: str) -> str:
    # As FileResponse guesses it from the name, so both kinds of storage answer alike.
    content_type, encoding = mimetypes.guess_type(filename)
    if encoding:
        return {
            "br": "application/x-brotli",
            "bzip2": "application/x-bzip",
            "compress": "application/x-compress",
            "gzip": "application/gzip",
            "xz": "application/x-xz",
        }.get(encoding, "application/octet-stream")
    return content_type or "application/octet-stream"
