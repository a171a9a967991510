"""`partnerhub demo`: load the deterministic demo data set and print how to sign in."""

import argparse
from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from accounts.roles import Role
from ingest.demo import MAX_CALL_WEEKS, MAX_CUSTOMERS, DemoAlreadyLoaded, DemoError, DemoSummary, load_demo


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_CUSTOMERS:
        raise argparse.ArgumentTypeError(f"{value} is out of range (1 to {MAX_CUSTOMERS})")
    return value


def _weeks(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_CALL_WEEKS:
        raise argparse.ArgumentTypeError(f"{value} is out of range (0 to {MAX_CALL_WEEKS})")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Load the demo data set: two partner orgs, admins of every role, customers in every region with "
        "subscriptions, licenses, invoices, orders, sites, devices, numbers and call legs. The same --seed and "
        "--today always give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=_count, default=300, help="number of customers (default 300)")
        parser.add_argument("--seed", type=_seed, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--today", type=_day, default=None, help="the demo's today, YYYY-MM-DD (default: UTC today)"
        )
        parser.add_argument(
            "--call-weeks", type=_weeks, default=8, help="complete weeks of call legs before this week (default 8)"
        )
        parser.add_argument("--reset", action="store_true", help="empty every database first")

    def handle(self, *args: Any, **options: Any) -> None:
        today: date = options["today"] or timezone.now().date()
        # DEBUG (the dev settings) records and formats every SQL statement, which slows a bulk
        # load of this size by a third; none of these statements is worth keeping.
        settings.DEBUG = False
        verbose = options["verbosity"] > 1
        try:
            summary = load_demo(
                customers=options["customers"],
                seed=options["seed"],
                today=today,
                call_weeks=options["call_weeks"],
                reset=options["reset"],
                progress=(lambda message: self.stdout.write(f"  … {message}")) if verbose else None,
            )
        except DemoAlreadyLoaded as error:
            raise CommandError(f"{error}: add --reset to replace all data with a fresh demo") from error
        except DemoError as error:
            raise CommandError(str(error)) from error
        except DatabaseError as error:
            raise CommandError(f"the databases are not ready ({error}); run `partnerhub migrate` first") from error
        self.print_summary(summary)

    def print_summary(self, summary: DemoSummary) -> None:
        out = self.stdout
        total = sum(count for _, count in summary.customers_by_partner)
        out.write(
            self.style.SUCCESS(
                f"Demo data loaded in {summary.seconds:.1f} s: {total} customers, seed {summary.seed}, "
                f"today {summary.today.isoformat()}."
            )
        )
        out.write("")
        out.write(f"Sign in with any of these e-mails and the demo password {summary.password!r}:")
        width = max(len(sign_in.email) for sign_in in summary.sign_ins)
        for sign_in in summary.sign_ins:
            role = Role(sign_in.role).label
            out.write(f"  {sign_in.email:<{width}}  {role!s:<24} {sign_in.partner}")
        out.write("")
        out.write("Customers: " + ", ".join(f"{name} {count}" for name, count in summary.customers_by_partner))
        out.write("  by region: " + ", ".join(f"{region} {count}" for region, count in summary.customers_by_region))
        out.write("  by status: " + ", ".join(f"{status} {count}" for status, count in summary.statuses))
        out.write("Rows: " + ", ".join(f"{label} {count}" for label, count in summary.rows))
        if summary.call_legs_duplicates:
            out.write(f"  ({summary.call_legs_duplicates} call legs were already stored)")
        out.write("Timing: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary.phases))
        out.write(f"Fingerprint: {summary.fingerprint}")
        out.write(self.style.WARNING("The demo password is public: never load the demo into a production database."))
