"""The fast path for call legs: msgspec decodes and type-checks a row in C straight into the
values of a leg row, and a few checks in Python cover the rest. It reads NDJSON lines in our own
layout (`check`) and rows already split into fields (`check_fields`: CSV, and the Webex layout
once mapped onto our field names).

It only ever vouches for rows that the full validator (ingest.validation.parse_call_leg_row)
would accept as they are, and produces the very values that validator would store. Anything
else (an unusual spelling, a value out of range or of another type, an unknown key, a string
escape, JSON that does not parse) it declines, and the line goes through the full reader and
validator, which accept or reject it with their usual message. So which rows are accepted, what
is stored for them and every rejection message are the same with or without this path; a
property test holds the two to that. Per leg it costs a few microseconds instead of tens."""

import sys
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

import msgspec

from calling.batch_figures import named_site
from calling.copy_rows import CopyReadyRows
from calling.models import Direction, EndpointType, Feature, Media, QueueOutcome
from calling.rules import MAX_ID_LENGTH, MAX_SECONDS, CallLegRecord
from calling.services import leg_row, stored_moment

from .validation import CLOCK_SKEW, EARLIEST_CALL

_Id = Annotated[str, msgspec.Meta(max_length=MAX_ID_LENGTH)]
_Seconds = Annotated[int, msgspec.Meta(ge=0, le=MAX_SECONDS)]
# Finite and not negative: msgspec refuses a JSON number too large for a float, the bound
# refuses what is left of infinity.
_Measurement = Annotated[float, msgspec.Meta(ge=0, le=sys.float_info.max)]
_LossPct = Annotated[float, msgspec.Meta(ge=0, le=100)]
_Direction = Literal["inbound", "outbound"]
_Media = Literal["audio", "video"]
_EndpointType = Literal["desk_phone", "room_device", "app", "other_device"]
_Feature = Literal["", "hunt_group", "auto_attendant", "call_queue"]
_QueueOutcome = Literal["", "answered", "timed_out", "overflowed", "transferred", "abandoned"]
for _literal, _choices in (
    (_Direction, Direction),
    (_Media, Media),
    (_EndpointType, EndpointType),
    (_Feature, Feature),
    (_QueueOutcome, QueueOutcome),
):
    assert set(get_args(_literal)) == set(_choices.values), f"{_choices.__name__} changed: update the fast path"

# Values per cache before it starts over: memory stays flat however many customers a file names.
_CACHE = 50_000
# How a UTC time spelled as stored but for its "T" may end, after its seconds and their fraction.
_UTC_SUFFIXES = frozenset({"+00:00", "Z"})
# Lines between two readings of the clock for the "no later than tomorrow" check.
_CLOCK_EVERY = 10_000


class _LegLine(msgspec.Struct, forbid_unknown_fields=True):
    """One NDJSON line of a call leg, exactly as the fast path accepts it: exact lower-case
    choices, numbers as JSON numbers, and no key that a call leg does not read."""

    leg_id: _Id
    call_id: _Id
    org_id: str
    started_at: str
    duration_seconds: _Seconds
    direction: _Direction
    endpoint_type: _EndpointType
    location_id: str | None = None
    location_name: str | None = None
    user_id: _Id = ""
    media: _Media = "audio"
    jitter_ms: _Measurement | None = None
    latency_ms: _Measurement | None = None
    loss_pct: _LossPct | None = None
    feature: _Feature = ""
    transferred: bool = False
    queue_outcome: _QueueOutcome = ""
    queue_wait_seconds: _Seconds | None = None


# The partner slot of a leg row checked without knowing its customer's partner: the writer
# fills it in (ingest.services).
UNKNOWN_PARTNER = 0


class CheckedLeg(msgspec.Struct, gc=False):
    """A valid call leg and its line, ready to store once its customer is resolved: `row` is the
    leg row (calling.services.LEG_COLUMNS), its partner id the one the checking was told
    (UNKNOWN_PARTNER if none) and its location (row[4]) still None when the leg names its
    location instead.

    Not tracked by the cyclic garbage collector (it holds only plain values, never itself):
    with 50,000 of them made at once, the collections they would trigger cost more than
    decoding them (ingest.read_ahead)."""

    line: int
    row: tuple[Any, ...]  # Any: the column values, as calling.services.LegRow holds them
    location_name: str = ""
    org_label: str = "org_id"  # what the sender calls the org id field, for a refusal's message

    @property
    def org_hex(self) -> str:
        """The customer's org id as 32 hex digits, as the leg row stores it."""
        return str(self.row[0])

    @property
    def counted_row(self) -> tuple[Any, ...]:
        """The row as its figures are counted (calling.batch_figures): a leg that names its
        site counts under that name until the writer knows the site's id."""
        if not self.location_name:
            return self.row
        return (*self.row[:4], named_site(self.location_name), *self.row[5:])

    def of_partner(self, partner_id: int) -> None:
        """Make the row that of a leg of a customer of this partner."""
        if self.row[1] != partner_id:
            self.row = (self.row[0], partner_id, *self.row[2:])

    @classmethod
    def of_record(
        cls,
        line: int,
        leg: CallLegRecord,
        values: Mapping[str, object],
        labels: Mapping[str, str] | None,
        partner_id: int = UNKNOWN_PARTNER,
    ) -> "CheckedLeg":
        """A leg the full validator accepted; `values` are the row's raw fields (for its
        location name), `labels` the sender's names of our fields (None: our own names)."""
        name = values.get("location_name")
        return cls(
            line=line,
            row=leg_row(leg, partner_id),
            location_name=name.strip().casefold() if leg.location_id is None and isinstance(name, str) else "",
            org_label=(labels or {}).get("org_id", "org_id"),
        )


class _LegFields(_LegLine, forbid_unknown_fields=False):
    """A row's fields by name, numbers possibly as text (CSV): the same fields as _LegLine.
    Other columns are the reader's to report (a CSV header names them once)."""


_decoder = msgspec.json.Decoder(_LegLine)
# Texts of a flag that msgspec, converting leniently, reads as the full validator does; it also
# reads "-0" as false, which the validator refuses.
_FLAG_TEXTS = frozenset({"true", "false", "1", "0"})
# Optional fields that msgspec, converting leniently, would read as missing when given the text
# "null", which the full validator refuses.
_NULLABLE = tuple(
    field.name for field in msgspec.structs.fields(_LegFields) if field.required is False and field.default is None
)


class FastLegs:
    """Turns NDJSON lines or rows of fields into CheckedLegs, or declines them (None)."""

    def __init__(self, partner_id: int = UNKNOWN_PARTNER) -> None:
        self._partner_id = partner_id
        self._uuids: dict[str, str | None] = {}
        self._lines = 0
        self._latest = self._clock()

    @staticmethod
    def _clock() -> datetime:
        # The full validator reads the clock for every row; an earlier reading only makes this
        # path decline a few more rows, never accept one that validator would refuse.
        return datetime.now(UTC) + CLOCK_SKEW

    def _uuid_hex(self, text: str) -> str | None:
        """The UUID in `text` as 32 hex digits (its storage form), or None if it is not one."""
        try:
            return self._uuids[text]
        except KeyError:
            pass
        if len(self._uuids) >= _CACHE:
            self._uuids.clear()
        try:
            parsed: str | None = uuid.UUID(text.strip()).hex
        except ValueError:
            parsed = None
        self._uuids[text] = parsed
        return parsed

    def check(self, line: int, raw: bytes) -> CheckedLeg | None:
        """The leg on this line, or None when the full reader and validator must judge it."""
        # An escape may hide a NUL or half a surrogate pair, which the full reader refuses.
        if b"\\u" in raw:
            return None
        try:
            leg = _decoder.decode(raw)
        except (msgspec.DecodeError, ValueError):
            return None
        return self._checked(line, leg)

    def check_fields(self, line: int, values: Mapping[str, object], org_label: str = "org_id") -> CheckedLeg | None:
        """The leg in a row of named fields (CSV text, or values of any type), or None when the
        full validator must judge it. An empty cell is a field not given, as there."""
        given = {name: value for name, value in values.items() if value != "" and value is not None}
        for name in _NULLABLE:
            value = given.get(name)
            if isinstance(value, str) and value.casefold() == "null":
                return None
        flag = given.get("transferred")
        if isinstance(flag, str) and flag.lower() not in _FLAG_TEXTS:
            return None
        try:
            # strict=False reads numbers and true/false from text, in the spellings (e.g. "12",
            # "1e3", "12.0", "TRUE") that the full validator reads the same way.
            leg = msgspec.convert(given, _LegFields, strict=False)
        except msgspec.ValidationError:
            return None
        return self._checked(line, leg, org_label)

    def _checked(self, line: int, leg: _LegLine, org_label: str = "org_id") -> CheckedLeg | None:
        leg_id, call_id = leg.leg_id.strip(), leg.call_id.strip()
        if not leg_id or not call_id:
            return None
        if leg.queue_outcome and leg.feature != "call_queue":
            return None
        if leg.queue_wait_seconds is not None and not leg.queue_outcome:
            return None
        org_hex = self._uuid_hex(leg.org_id)
        if org_hex is None:
            return None
        location_hex = None
        if leg.location_id is not None and leg.location_id.strip():
            location_hex = self._uuid_hex(leg.location_id)
            if location_hex is None:
                return None
        started_at = self._moment(leg.started_at)
        if started_at is None:
            return None
        name = leg.location_name
        return CheckedLeg(
            line=line,
            row=(
                org_hex,
                self._partner_id,
                leg_id,
                call_id,
                location_hex,
                leg.user_id.strip(),
                started_at,
                leg.duration_seconds,
                leg.direction,
                leg.media,
                leg.endpoint_type,
                leg.jitter_ms,
                leg.latency_ms,
                leg.loss_pct,
                leg.feature,
                leg.transferred,
                leg.queue_outcome,
                leg.queue_wait_seconds,
            ),
            location_name=name.strip().casefold() if location_hex is None and name is not None else "",
            org_label=org_label,
        )

    def _moment(self, text: str) -> str | None:
        """The stored form of an aware ISO 8601 time from 2000 to tomorrow, or None."""
        text = text.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        # fromisoformat gives a fixed offset or none, never a zone without one.
        if moment.tzinfo is None:
            return None
        self._lines += 1
        if self._lines % _CLOCK_EVERY == 0:
            self._latest = self._clock()
        if not EARLIEST_CALL <= moment <= self._latest:
            return None
        if moment.tzinfo is UTC:
            return _utc_text(text, moment)
        return stored_moment(moment)


def _utc_text(text: str, moment: datetime) -> str:
    """The stored form of `moment`, read from `text` (UTC): cut from the text when it is already
    spelled that way but for the "T" and the offset, as most senders write times (a fifth of
    the time formatting takes: about 0.3 against 1.5 µs)."""
    end = 26 if moment.microsecond else 19
    if (
        text[end:] in _UTC_SUFFIXES
        and text[10] in "T "
        and text[4] == text[7] == "-"
        and text[13] == text[16] == ":"
        and (end == 19 or text[19] == ".")
    ):
        return f"{text[:10]} {text[11:end]}"
    # The stored form followed by "+00:00".
    return moment.isoformat(" ")[:-6]


class ReadyLegs:
    """A batch's checked legs as the command's reading process sends them (ingest.read_ahead):
    their rows as COPY text in leg-id order (calling.copy_rows), of distinct leg ids, none naming
    its site by name, all made as legs of customers of `partner_id`, with the customers they
    name; and the legs themselves, decoded only if something needs them (`checked`)."""

    def __init__(
        self, text: bytes, org_hexes: list[str], partner_id: int, count: int, decode: Callable[[], list[CheckedLeg]]
    ) -> None:
        self.text = text
        self.org_hexes = org_hexes
        self.partner_id = partner_id
        self.count = count
        self._decode = decode
        self._checked: list[CheckedLeg] | None = None

    def checked(self) -> list[CheckedLeg]:
        """The checked legs, in line order."""
        if self._checked is None:
            self._checked = self._decode()
        return self._checked

    def rows(self) -> CopyReadyRows:
        """The legs' rows, as COPY text until they are needed."""
        partners = dict.fromkeys(self.org_hexes, self.partner_id)
        return CopyReadyRows(self.text, partners, self.count, lambda: [leg.row for leg in self.checked()])
