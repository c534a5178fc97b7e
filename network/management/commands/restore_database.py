"""Restore a dump made by backup_database into the configured database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from network import backup
from network.management.commands.backup_database import _database_url


class Command(BaseCommand):
    help = "Restore the database from a pg_dump file (replaces the objects it contains)."

    def add_arguments(self, parser):
        parser.add_argument("dump")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, dump, yes=False, **options):
        source = Path(dump)
        if not source.is_file():
            raise CommandError(f"No such file: {source}")
        if not yes and input("This replaces the data in the database. Type 'yes': ") != "yes":
            raise CommandError("Cancelled.")
        try:
            backup.restore(database_url=_database_url(), source=source)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {source}.")
