"""Ingestion: `POST /api/v1/ingest/{kind}` with an NDJSON or CSV body (SPEC 9 and 11).

The body is read as a stream, row by row, never loaded whole (Django's DATA_UPLOAD_MAX_MEMORY_SIZE
does not apply: it answers 400 and only guards `request.body`, so the size limit is checked here
and answers 413). A gzip body is first decompressed aside, so that one which expands beyond the
limit is refused before any of its rows is stored."""

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import IO, Any, Literal, NamedTuple, cast

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from ninja import Header, Query, Router, Schema
from pydantic import Field

from accounts.roles import Permission
from accounts.scope import Scope
from ingest import idempotency
from ingest.formats import UTF8, FormatRefused, text_encoding
from ingest.services import MAX_LISTED_REJECTIONS, ingest_batch, rolled_back
from ingest.sources import DAMAGED_GZIP, TooLarge, gunzipped_aside, open_rows
from ingest.validation import KINDS

from .customers import scope_of
from .errors import ApiError
from .schemas import ErrorOut

router = Router(tags=["ingest"])

KindName = Literal[
    "customers",
    "subscriptions",
    "license-snapshots",
    "invoices",
    "orders",
    "admin-activity",
    "locations",
    "devices",
    "numbers",
    "call-legs",
]
assert KindName.__args__ == KINDS  # type: ignore[attr-defined]

# Content types we read, and the syntax each one is.
SYNTAXES = {
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "text/csv": "csv",
    "application/json": "json",
}
# The types a refusal names: those of SPEC 11, and the JSON document (application/ndjson is read too).
_TAKEN = "application/x-ndjson, text/csv or application/json"
_SPOOL_IN_MEMORY = 1024 * 1024
_READ_SIZE = 64 * 1024
_GZIP = ("gzip", "x-gzip")


class RejectedRowOut(Schema):
    line: int
    error: str


class IngestOut(Schema):
    accepted: int
    duplicates: int
    rejected: list[RejectedRowOut]
    rejected_unlisted: int = Field(
        0, description=f"bad rows beyond the first {MAX_LISTED_REJECTIONS:,}, counted but not listed"
    )
    ignored_columns: list[str] = Field(description="columns of the body that nothing reads")
    dry_run: bool = Field(default=False, description="true when nothing was stored (`dry_run=true`)")


_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": (
            "One row per line: NDJSON objects, or CSV with a header row (commas, or semicolons or tabs "
            "when the header has no comma); or one JSON document, an array of row objects or an object "
            "whose `items` array holds them (a row's `line` is then its position in the array). UTF-8 "
            "unless the Content-Type names another `charset` that writes ASCII as ASCII (e.g. "
            "windows-1252). Each row names its customer by `org_id`. With `format=webex-cdr` (call-legs "
            "only), the columns of Webex Calling's Detailed Call History records; a page of its API can "
            "be sent as it was downloaded. The body may be gzip-compressed (`Content-Encoding: gzip`); the size "
            "limit then applies to the rows as decompressed."
        ),
        "content": {
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


class _Body(NamedTuple):
    """How the body is written: rows of a syntax, text in an encoding, maybe gzip-compressed."""

    syntax: str
    encoding: str
    gzipped: bool


def _body_format(request: HttpRequest) -> _Body:
    if not request.content_type:
        raise ApiError(415, f"The Content-Type header is missing: send the rows as {_TAKEN}.")
    syntax = SYNTAXES.get(request.content_type.lower())
    if syntax is None:
        raise ApiError(415, f"Send the rows as {_TAKEN}, not {request.content_type}.")
    try:
        encoding = text_encoding((request.content_params or {}).get("charset", UTF8))
    except ValueError as error:
        raise ApiError(415, f"charset: {error}.") from None
    compression = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if compression not in {"", "identity", *_GZIP}:
        # Compressed rows would be read as text and every line rejected as unreadable.
        raise ApiError(
            415, f"Send the body uncompressed or gzip-compressed; Content-Encoding {compression} is not taken."
        )
    return _Body(syntax, encoding, gzipped=compression in _GZIP)


@contextmanager
def _gunzipped(request: HttpRequest) -> Iterator[IO[bytes]]:
    """The rows of a gzip body, decompressed into a spool (in memory up to 1 MB, then on disk)
    before any is read: a body that expands beyond the size limit is a 413 and a damaged one a
    400, both with nothing stored. Members written one after another (as `cat a.gz b.gz` does)
    are read as one body, as gzip readers do."""
    limit: int = settings.PARTNERHUB_INGEST_MAX_BYTES
    with ExitStack() as stack:
        try:
            rows = stack.enter_context(gunzipped_aside(cast(IO[bytes], request), limit))
        except TooLarge:
            raise ApiError(
                413,
                f"The body decompresses to more than {limit:,} bytes, the most taken per request. "
                "Send it in several batches.",
            ) from None
        except EOFError:
            raise ApiError(400, "The gzip body is cut short: it ends inside its compressed data.") from None
        except DAMAGED_GZIP as error:
            raise ApiError(400, f"The body is not valid gzip ({error}).") from None
        yield rows


class _Read(NamedTuple):
    """How the body is read."""

    kind: str
    syntax: str
    layout: str
    encoding: str


def _check_size(request: HttpRequest) -> None:
    if request.META.get("HTTP_TRANSFER_ENCODING") and not request.META.get("CONTENT_LENGTH"):
        # Django reads a body of no stated length as empty: the rows would be lost unseen.
        raise ApiError(411, "Send the body with a Content-Length header; a body sent in chunks is not read.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(400, "The Content-Length header is not a number.") from None
    limit: int = settings.PARTNERHUB_INGEST_MAX_BYTES
    if length > limit:
        raise ApiError(
            413, f"The body is {length:,} bytes; at most {limit:,} are taken per request. Send it in several batches."
        )


@contextmanager
def _hashed(stream: Any, fingerprint: Any, *, spooled: bool) -> Iterator[IO[bytes]]:
    """The body from its start once `fingerprint` has hashed it all: a keyed request must be
    recognised as a replay before any row of it is processed. A request's body is copied aside
    on the way (in memory up to 1 MB, then on disk); a `spooled` one (a gzip body's rows) is
    read where it is and started again."""
    if spooled:
        while chunk := stream.read(_READ_SIZE):
            fingerprint.update(chunk)
        stream.seek(0)
        yield stream
        return
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        while chunk := stream.read(_READ_SIZE):
            fingerprint.update(chunk)
            spool.write(chunk)
        spool.seek(0)
        yield cast(IO[bytes], spool)


@router.post(
    "/ingest/{kind}",
    response={
        200: IngestOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        411: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        422: ErrorOut,
    },
    openapi_extra=_BODY_DOC,
    description=(
        "Upsert rows of one kind (or append call legs, deduplicated on leg id). Every row is accounted for: "
        "accepted + duplicates + rejected (+ rejected_unlisted) = rows sent, each rejected row with its line number "
        "and why. "
        "Needs a token with the `ingest` scope; rows about customers the token's admin may not see are rejected. "
        "With an `Idempotency-Key` header, a replay gets the first answer again, and the same key with another "
        "body is a 422. With `dry_run=true` every row is checked as it would be and nothing is stored."
    ),
)
def ingest(
    request: HttpRequest,
    kind: KindName,
    layout: Literal["webex-cdr"] | None = Query(None, alias="format"),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
    dry_run: bool = Query(False, description="check every row as a real request would, and store nothing"),
) -> Any:  # Any: IngestOut, or a replayed answer as it was stored
    scope = scope_of(request, Permission.INGEST)
    body = _body_format(request)
    _check_size(request)
    read = _Read(kind, body.syntax, layout or "native", body.encoding)
    rows: AbstractContextManager[Any] = _gunzipped(request) if body.gzipped else nullcontext(request)
    with rows as stream:
        if dry_run:
            # Nothing is stored, so there is nothing a retry could repeat: a key is not claimed.
            with rolled_back():
                answer = _ingest(stream, scope, read)
            return answer.model_copy(update={"dry_run": True})
        if idempotency_key is None:
            return _ingest(stream, scope, read)
        return _ingest_once(stream, scope, read, idempotency_key, spooled=body.gzipped)


def _ingest_once(stream: Any, scope: Scope, read: _Read, idempotency_key: str, *, spooled: bool) -> Any:
    """A keyed request: the first answer of a key, stored, or the stored answer of a replay."""
    # UTF-8 bodies keep the fingerprint they had before other encodings were read. A gzip body
    # is known by its rows: sent compressed or not, the same rows are the same request.
    charset = "" if read.encoding == UTF8 else f"{read.encoding}\n"
    fingerprint = hashlib.sha256(f"{read.kind}\n{read.layout}\n{read.syntax}\n{charset}".encode())
    with _hashed(stream, fingerprint, spooled=spooled) as body:
        try:
            claim = idempotency.claim_key(
                admin_id=scope.admin_id, key=idempotency_key, request_hash=fingerprint.hexdigest()
            )
        except (idempotency.InvalidKey, idempotency.KeyReused) as error:
            raise ApiError(422, str(error)) from error
        except idempotency.KeyInProgress as error:
            raise ApiError(409, str(error)) from error
        if claim.answer is not None:
            status, stored = claim.answer
            replay = JsonResponse(stored, status=status)
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            answer = _ingest(body, scope, read)
        except BaseException:
            idempotency.release_key(claim)
            raise
        idempotency.complete_key(claim, status_code=200, answer=answer.model_dump(mode="json"))
        return answer


def _ingest(stream: Any, scope: Scope, read: _Read) -> IngestOut:
    try:
        source = open_rows(
            stream,
            kind=read.kind,
            syntax=read.syntax,
            layout=read.layout,
            encoding=read.encoding,
            partner_id=scope.partner_id,
        )
    except FormatRefused as error:
        raise ApiError(422, str(error)) from error
    result = ingest_batch(scope=scope, kind=read.kind, rows=source, source="api")
    return IngestOut(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=[RejectedRowOut(line=r.line, error=r.error) for r in result.rejected],
        rejected_unlisted=result.rejected_unlisted,
        ignored_columns=source.ignored_columns,
    )
