"""`partnerhub ingest KIND FILE|- (--partner NAME | --email ADMIN) [--format F] [--encoding E]
[--batch-size N] [--dry-run]`: load a file of any size in batches, with a progress line on
standard error and a summary."""

import argparse
import io
import os
import stat
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, BinaryIO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import connections

from accounts.models import Admin, PartnerOrg
from accounts.roles import Permission
from accounts.scope import NotAllowed, Scope, partner_wide, scope_for
from calling.stored_weeks import StoredUserWeeks
from ingest.formats import UTF8, FormatRefused, text_encoding
from ingest.read_ahead import ReadAhead
from ingest.services import ingest_batch, rolled_back
from ingest.sources import DAMAGED_GZIP, FORMATS, decompressed, open_rows, reading_format, sniff_syntax
from ingest.validation import KINDS
from partnerhub.collector import collector_paused
from regions.registry import REGION_ALIASES

MAX_BATCH = 100_000
# Call legs' rollups cost a write per bucket a batch touches, and a commit rewrites the pages it
# dirtied: batches of 50,000 legs store them about 45 % faster than batches of 10,000, and the
# command's peak memory stays about 275 MB either way (docs/benchmarks.md).
DEFAULT_BATCH = 50_000
_PROGRESS_EVERY = 1.0  # seconds
_BAR_WIDTH = 20


def _unknown_share() -> float | None:
    return None


def _read_share(raw: BinaryIO) -> Callable[[], float | None]:
    """How much of the file the reading process has read so far, for a regular file (not a pipe):
    the forked reading process shares the file's offset with this one, so that offset tells,
    whether the file is read as it is or decompressed."""
    try:
        fd = raw.fileno()
        info = os.fstat(fd)
    except (OSError, AttributeError, io.UnsupportedOperation):
        return _unknown_share
    if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
        return _unknown_share

    def share() -> float | None:
        try:
            return min(os.lseek(fd, 0, os.SEEK_CUR) / info.st_size, 1.0)
        except OSError:  # the file is closed once the run ends
            return None

    return share


def _plain(text: str) -> str:
    return text


def _copies() -> bool:
    """Whether every region's database loads rows by COPY (PostgreSQL): the reading process then
    makes call legs' rows ready for it (calling.copy_rows)."""
    return all(connections[alias].vendor == "postgresql" for alias in REGION_ALIASES.values())


def _batch_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_BATCH:
        raise argparse.ArgumentTypeError(f"{value} is out of range (1 to {MAX_BATCH:,})")
    return value


class _Progress:
    """A progress line on standard error, at most once a second: rewritten in place on a
    terminal, one line each time otherwise (logs). For a file, it starts with a bar of how much of
    the file is read; standard input's size is unknown."""

    def __init__(self, out: OutputWrapper, read_share: Callable[[], float | None] = _unknown_share) -> None:
        self.out = out
        self.read_share = read_share
        self.tty = out.isatty()
        self.started = time.monotonic()
        self.shown_at = 0.0
        self.showing = False

    def line(self, rows: int, accepted: int, duplicates: int, rejected: int) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        share = self.read_share()
        bar = ""
        if share is not None:
            filled = round(share * _BAR_WIDTH)
            bar = f"[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {share:4.0%} read, "
        return (
            f"{bar}{rows:,} rows, {rows / elapsed:,.0f} rows/s - accepted {accepted:,}, "
            f"duplicates {duplicates:,}, rejected {rejected:,}"
        )

    def show(self, rows: int, accepted: int, duplicates: int, rejected: int) -> None:
        now = time.monotonic()
        if now - self.shown_at < _PROGRESS_EVERY:
            return
        self.shown_at = now
        text = self.line(rows, accepted, duplicates, rejected)
        # Plain: Django styles whatever goes to standard error as an error.
        if self.tty:
            self.out.write(f"\r{text}\033[K", style_func=_plain, ending="")
            self.out.flush()
            self.showing = True
        else:
            self.out.write(text, style_func=_plain)

    def say(self, text: str) -> None:
        if self.showing:
            self.out.write("\r\033[K", ending="")
            self.showing = False
        self.out.write(text)

    def close(self) -> None:
        if self.showing:
            self.out.write("")
            self.showing = False


class Command(BaseCommand):
    help = (
        "Ingest a file of one kind (NDJSON, CSV or a JSON document; `-` reads standard input) for a partner, "
        "in batches. "
        "Every row is accounted for: accepted, duplicate, or rejected with its line number and why "
        "(rejections are printed on standard error as they happen). "
        "Exits 0 once every row is accounted for, rejected ones included (the summary counts them); "
        "non-zero when the file cannot be read as a whole (unknown partner or admin, unreadable file, "
        "damaged gzip data, a refused header)."
    )
    # Tests hand the command a byte stream for `-` (call_command cannot replace sys.stdin).
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS, help="what the rows are")
        parser.add_argument(
            "file", help="the file to read (gzip data is read as it decompresses), or - for standard input"
        )
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--partner", help="ingest as the operator for this partner org (all its customers)")
        who.add_argument("--email", help="ingest as this admin (only the customers the admin may see)")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default=None,
            help="ndjson, csv, json (one document: an array of rows, or an object whose `items` are the rows), "
            "or webex-cdr (Webex Calling Detailed Call History, as CSV, NDJSON or a JSON page of the API, "
            "for call-legs); by default from the file name, and for a .json file or standard input from "
            "the first line (JSON when it opens with { or [, else CSV on standard input)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check every row as a real run would (its customer, duplicates, conflicts) and store nothing",
        )
        parser.add_argument(
            "--encoding",
            default=UTF8,
            help="the file's text encoding, e.g. windows-1252 or cp949 for a spreadsheet's plain CSV (default utf-8)",
        )
        parser.add_argument(
            "--batch-size",
            type=_batch_size,
            default=DEFAULT_BATCH,
            help=(
                f"rows per batch: one write transaction and one audit event each (default {DEFAULT_BATCH:,}; "
                "call legs start with a fifth of it, doubling)"
            ),
        )

    def _scope(self, partner: str | None, email: str | None) -> Scope:
        if email is not None:
            admin = Admin.objects.filter(email=email.strip().lower(), is_active=True).first()
            if admin is None:
                raise CommandError(f"no active admin with e-mail {email}")
            if admin.partner is not None and not admin.partner.is_live:
                # As the API refuses the admin's tokens: until then nothing else is reachable (SPEC 3).
                raise CommandError(
                    f"{admin.email} may not ingest data yet: the set-up of its partner org is not finished "
                    "(a full admin signs in on the web to review the plan and accept the terms)"
                )
            try:
                scope = scope_for(admin)
                scope.require(Permission.INGEST)
            except NotAllowed as refused:
                raise CommandError(f"{admin.email} may not ingest data: {refused}") from None
            return scope
        assert partner is not None
        org = PartnerOrg.objects.filter(name=partner).first() or PartnerOrg.objects.filter(name__iexact=partner).first()
        if org is None:
            raise CommandError(f"no partner org named {partner!r}")
        return partner_wide(org.pk)

    def _open(self, path: str, stdin: BinaryIO | None) -> BinaryIO:
        if path == "-":
            # A file of our own on standard input's descriptor: the reading process closes
            # sys.stdin when it starts (multiprocessing does), and would take its buffer along.
            return stdin or os.fdopen(os.dup(sys.stdin.fileno()), "rb")
        try:
            return open(path, "rb")
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None

    def handle(self, *args: Any, **options: Any) -> None:
        kind, path = options["kind"], options["file"]
        name = "standard input" if path == "-" else path
        try:
            # call_command(batch_size=...) skips the argument's type check, so check it here too.
            batch_size = _batch_size(str(options["batch_size"]))
        except argparse.ArgumentTypeError as error:
            raise CommandError(f"--batch-size: {error}") from None
        try:
            encoding = text_encoding(str(options["encoding"]))
        except ValueError as error:
            raise CommandError(f"--encoding: {error}") from None
        scope = self._scope(options["partner"], options["email"])
        dry_run = bool(options.get("dry_run"))
        how = reading_format(options["format"], path)
        if how is None:
            raise CommandError(
                f"cannot tell the format of {path} from its name; pass --format ndjson, csv, json or webex-cdr"
            )
        syntax, layout, otherwise = how
        raw = self._open(path, options.get("stdin"))
        stream = decompressed(raw)
        if syntax is None:
            syntax, stream = sniff_syntax(stream, otherwise)
        # With DEBUG on (the development settings `partnerhub` defaults to), Django keeps the SQL
        # of every statement with its parameters: a bulk load's memory would grow with the file
        # and its speed halve. This process is the command's own, so it turns that off.
        debug, settings.DEBUG = settings.DEBUG, False
        progress = _Progress(self.stderr, _read_share(raw))
        rows = accepted = duplicates = rejected = 0
        try:
            try:
                source = open_rows(
                    stream, kind=kind, syntax=syntax, layout=layout, encoding=encoding, partner_id=scope.partner_id
                )
            except FormatRefused as error:
                raise CommandError(str(error)) from None
            # A dry run on PostgreSQL rolls the whole file back at its end, so later batches see
            # what earlier ones would have stored; SQLite rolls back batch by batch, since its one
            # write lock would otherwise keep every other writer waiting for the whole file.
            whole_file = dry_run and all(connections[alias].vendor == "postgresql" for alias in connections)
            try:
                # Call legs' first batches are smaller, doubling up to the batch size: the writing
                # starts once a fifth of a batch is read rather than a whole one, and the reading
                # stays ahead of it from there (docs/benchmarks.md).
                first_batch = batch_size // 5 if kind == "call-legs" else batch_size
                stored_weeks = StoredUserWeeks()
                with (
                    ReadAhead(
                        source, batch_size, first_batch, scope.partner_id, copy_ready=kind == "call-legs" and _copies()
                    ) as batches,
                    rolled_back() if whole_file else nullcontext(),
                ):
                    for batch, counted, ready in batches:
                        # A batch's tens of thousands of rows are freed as a whole once written,
                        # before the collector resumes: it then has few objects to go through.
                        with collector_paused(), rolled_back() if dry_run and not whole_file else nullcontext():
                            result = ingest_batch(
                                scope=scope,
                                kind=kind,
                                rows=batch,
                                source="cli",
                                chunk_size=batch_size,
                                counted=counted,
                                stored_weeks=stored_weeks,
                                ready_legs=ready,
                            )
                            del batch, counted, ready
                        rows += result.rows
                        accepted += result.accepted
                        duplicates += result.duplicates
                        rejected += len(result.rejected) + result.rejected_unlisted
                        for rejection in result.rejected:
                            progress.say(f"line {rejection.line}: {rejection.error}")
                        if result.rejected_unlisted:
                            progress.say(
                                f"... and {result.rejected_unlisted:,} more rejected rows of this batch, not listed"
                            )
                        progress.show(rows, accepted, duplicates, rejected)
            except DAMAGED_GZIP as error:
                raise CommandError(
                    f"{name}: the gzip data is damaged or cut short ({error}); the {rows:,} rows before it "
                    "were ingested, nothing after it was read"
                ) from None
        finally:
            settings.DEBUG = debug
            stream.close()
        progress.close()
        elapsed = time.monotonic() - progress.started
        self.stdout.write(
            f"{kind} from {name}: {rows:,} rows in {elapsed:.1f} s ({rows / max(elapsed, 1e-9):,.0f} rows/s)"
        )
        self.stdout.write(f"accepted: {accepted:,}")
        self.stdout.write(f"duplicates: {duplicates:,}")
        self.stdout.write(f"rejected: {rejected:,}" + (" (listed above with their line numbers)" if rejected else ""))
        ignored = batches.ignored_columns
        self.stdout.write(f"ignored columns: {', '.join(ignored) if ignored else 'none'}")
        if whole_file:
            self.stdout.write("dry run: nothing was stored.")
        elif dry_run:
            self.stdout.write(
                "dry run: nothing was stored. Each batch was checked against what is stored, so a row "
                "repeating one of an earlier batch of this file counts as accepted, not as a duplicate."
            )
