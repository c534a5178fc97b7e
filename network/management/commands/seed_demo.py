"""Load the demo data of every app, in dependency order. Safe to run again."""

import importlib

from django.apps import apps
from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled


class Command(BaseCommand):
    help = "Create the demo organisations, people and data (idempotent)."

    def handle(self, *args, **options):
        with scopes_disabled():
            for config in apps.get_app_configs():
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as error:
                    if error.name != f"{config.name}.demo":
                        raise
                    continue
                summary = module.seed()
                self.stdout.write(f"{config.label}: {summary}")
