"""Private file storage: outside every served path, read only through views that check access."""

from django.core.files.storage import storages


def private_storage():
    return storages["private"]
