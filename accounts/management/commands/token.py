"""`partnerhub token create --email E --scopes read,write,ingest`: prints a new API token."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import services
from accounts.models import Admin


class Command(BaseCommand):
    help = "Manage API tokens. `token create` prints the new token once on standard output."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for an admin")
        create.add_argument("--email", required=True)
        create.add_argument("--scopes", default="read", help="comma-separated: read, write, ingest")
        create.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        admin = Admin.objects.filter(email=options["email"].strip().lower(), is_active=True).first()
        if admin is None:
            raise CommandError(f"no active admin with e-mail {options['email']}")
        try:
            _token, raw = services.create_token(admin=admin, scopes=options["scopes"].split(","), name=options["name"])
        except services.InvalidInput as error:
            raise CommandError(str(error)) from error
        self.stdout.write(raw)
