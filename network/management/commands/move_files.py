"""Copy the uploads kept in the local folders to the object store's buckets, once the ``S3_*``
variables point the network at them: every file a model's FileField names, public uploads
(``MEDIA_ROOT``) to the public bucket, private ones (``PRIVATE_MEDIA_ROOT``) to the private
bucket, under the same name. Safe to run again: an object already there with the file's size
is left alone. Rows whose file is in neither place are listed."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import cast

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, default_storage, storages
from django.core.management.base import BaseCommand, CommandError
from django.db import models
from django_scopes import scopes_disabled

from network.storage import PrivateFileSystemStorage, PrivateStorage, private_storage

PUBLIC, PRIVATE = "public", "private"


class Command(BaseCommand):
    help = (
        "Copy uploads from MEDIA_ROOT and PRIVATE_MEDIA_ROOT to the S3 buckets (S3_PUBLIC_BUCKET, "
        "S3_PRIVATE_BUCKET), skipping objects already there with the same size."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be copied; copy nothing."
        )

    def handle(self, *args, dry_run=False, verbosity=1, **options):
        self.verbosity = verbosity
        targets = {
            PUBLIC: storages["default"],
            PRIVATE: cast(PrivateStorage, private_storage()).backend(),
        }
        if any(isinstance(target, FileSystemStorage) for target in targets.values()):
            raise CommandError(
                "No bucket is configured: uploads are kept in MEDIA_ROOT and PRIVATE_MEDIA_ROOT. "
                "Set S3_ENDPOINT_URL, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_PUBLIC_BUCKET "
                "and S3_PRIVATE_BUCKET (see the README), then run this again."
            )
        sources: dict[str, Storage] = {
            PUBLIC: FileSystemStorage(location=settings.MEDIA_ROOT),
            PRIVATE: PrivateFileSystemStorage(),
        }
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            counts = self._copy(sources, targets, dry_run=dry_run)
        except (BotoCoreError, ClientError) as error:
            raise CommandError(f"The object store refused: {error}") from error
        for kind in (PUBLIC, PRIVATE):
            done = counts[kind]
            self.stdout.write(
                f"{kind.capitalize()} files: {done['copy']} "
                f"{'to copy' if dry_run else 'copied'}, {done['there']} already there, "
                f"{done['missing']} missing."
            )

    def _copy(self, sources, targets, *, dry_run: bool) -> dict[str, Counter]:
        counts: dict[str, Counter] = {PUBLIC: Counter(), PRIVATE: Counter()}
        for kind, label, name, row_ids in stored_files():
            source, target = sources[kind], targets[kind]
            in_bucket = _size(target, name)
            if not source.exists(name):
                if in_bucket is None:
                    counts[kind]["missing"] += 1
                    shown = ", ".join(map(str, row_ids[:10])) + (" …" if len(row_ids) > 10 else "")
                    self.stdout.write(f"Missing: {label} {name} (row {shown})")
                else:
                    counts[kind]["there"] += 1
                continue
            if in_bucket == source.size(name):
                counts[kind]["there"] += 1
                continue
            counts[kind]["copy"] += 1
            if dry_run:
                continue
            with source.open(name, "rb") as handle:
                # _save, not save: the object takes the very name the row holds, where save
                # would choose another if a partial copy were already there.
                target._save(name, handle)
            if self.verbosity >= 2:
                self.stdout.write(f"Copied {name}")
        return counts


def file_fields() -> Iterator[tuple[str, type[models.Model], models.FileField]]:
    """Every FileField kept in the public (default) or the private storage, with its kind."""
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.local_fields:
            if not isinstance(field, models.FileField):
                continue
            if isinstance(field.storage, PrivateStorage):
                yield PRIVATE, model, field
            elif field.storage is default_storage:
                yield PUBLIC, model, field


def stored_files() -> Iterator[tuple[str, str, str, list]]:
    """``(kind, "app.Model.field", stored name, ids of the rows naming it)`` for every file."""
    for kind, model, field in file_fields():
        rows: dict[str, list] = defaultdict(list)
        # Operator-wide: the file column of every organisation's rows, outside any request.
        with scopes_disabled():
            named = model._default_manager.exclude(**{field.attname: ""}).exclude(
                **{f"{field.attname}__isnull": True}
            )
            for pk, name in named.order_by("pk").values_list("pk", field.attname):
                rows[name].append(pk)
        for name, row_ids in rows.items():
            yield kind, f"{model._meta.label}.{field.name}", name, row_ids


def _size(storage: Storage, name: str) -> int | None:
    try:
        return storage.size(name)
    except FileNotFoundError:
        return None
