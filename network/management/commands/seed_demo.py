"""Load the demo data of every app, in dependency order. Safe to run again."""

import importlib

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_scopes import scopes_disabled


class Command(BaseCommand):
    help = "Create the demo organisations, people and data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--apps",
            help="Comma-separated app labels to seed (default: all), e.g. network,merchants. "
            "An app's demo expects the apps it builds on to be seeded too.",
        )

    def handle(self, *args, apps: str | None = None, **options):
        from django.apps import apps as registry

        wanted = {label.strip() for label in apps.split(",")} if apps else None
        known = {config.label for config in registry.get_app_configs()}
        if wanted and wanted - known:
            raise CommandError(f"Unknown apps: {', '.join(sorted(wanted - known))}.")
        # The demo writes every organisation's rows at once, so every app's demo.seed runs here
        # with the guard off (the demo modules themselves need none).
        # An app's demo may also have a ``prepare()``, run once the network's people and
        # organisations exist and before the other apps' demos: what the operators set up
        # before anyone trades (a demo buyer's credit limit for the orders' demo).
        with scopes_disabled():
            modules = []
            for config in registry.get_app_configs():
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as error:
                    if error.name != f"{config.name}.demo":
                        raise
                    continue
                modules.append((config.label, module))
            # Every installed app prepares, whichever apps are seeded: its rules apply anyway.
            preparing = [later for _label, later in modules if hasattr(later, "prepare")]
            for label, module in modules:
                if wanted and label not in wanted:
                    continue
                summary = module.seed()
                self.stdout.write(f"{label}: {summary}")
                if label == "network":
                    for later in preparing:
                        later.prepare()
        # Thousands of rows were just written in bulk: without fresh statistics the planner
        # still believes the tables empty and picks nested loops that take minutes. Only the
        # project's tables: a bare ANALYZE also takes the server-wide catalogs (pg_database,
        # pg_authid…), and inside a transaction holds them to its end, so another database's
        # ANALYZE waited on it (a seeding test of 1.4 s took 44 s beside a long seeded one).
        tables = connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        with connection.cursor() as cursor:
            cursor.execute(
                # Table names from the models, quoted: no input reaches this statement.
                "ANALYZE " + ", ".join(connection.ops.quote_name(name) for name in tables)
            )
