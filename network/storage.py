"""Private file storage: outside every served path, read only through views that check access.

The location is read from ``settings.PRIVATE_MEDIA_ROOT`` on each use (not frozen when models
load), so a deployment or a test can point it elsewhere."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through a view.")


_private = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _private
