"""Migrate the control database and every region database (`migrate` alone touches `default`)."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create or update the control database and every region database."

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        for alias in settings.DATABASES:
            if verbosity:
                self.stdout.write(f"Migrating {alias}…")
            call_command("migrate", database=alias, interactive=False, verbosity=max(verbosity - 1, 0))
        call_command("createcachetable", verbosity=max(verbosity - 1, 0))
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"{len(settings.DATABASES)} databases are up to date."))
