"""Dump the database to a file (custom format, for pg_restore)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from network import backup


class Command(BaseCommand):
    help = "Back up the database with pg_dump (custom format)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="File to write (default: var/backups/<time>.dump)")

    def handle(self, *args, output=None, **options):
        target = (
            Path(output)
            if output
            else (
                Path(settings.BASE_DIR)
                / "var"
                / "backups"
                / f"network-{timezone.now():%Y%m%d-%H%M%S}.dump"
            )
        )
        try:
            backup.dump(database_url=_database_url(), target=target)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(target))


def _database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    user = f"{db['USER']}{password}@" if db.get("USER") else ""
    return f"postgres://{user}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
