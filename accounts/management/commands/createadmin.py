"""`partnerhub createadmin`: create an admin (and its partner org, if new) from the command line."""

import getpass
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import services
from accounts.models import PartnerOrg
from accounts.roles import Role


class Command(BaseCommand):
    help = "Create a partner admin. The password is read from --password, $PARTNERHUB_ADMIN_PASSWORD or a prompt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--partner", required=True, help="partner org name; created if it does not exist")
        parser.add_argument("--role", default=Role.FULL_ADMIN, choices=Role.values)
        parser.add_argument("--name", default="", help="display name")
        parser.add_argument("--password", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or os.environ.get("PARTNERHUB_ADMIN_PASSWORD")
        if password is None:
            if not self.stdin_is_interactive():
                raise CommandError("no password: pass --password or set PARTNERHUB_ADMIN_PASSWORD")
            password = getpass.getpass("Password (12+ characters): ")
        try:
            partner = PartnerOrg.objects.filter(name=options["partner"]).first() or services.create_partner(
                name=options["partner"]
            )
            admin = services.create_admin(
                partner=partner,
                email=options["email"],
                role=options["role"],
                password=password,
                display_name=options["name"],
            )
        except services.InvalidInput as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Created {admin.role} {admin.email} of {partner.name}."))

    @staticmethod
    def stdin_is_interactive() -> bool:
        return sys.stdin.isatty()
