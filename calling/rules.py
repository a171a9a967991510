"""Calling rules of SPEC 6.2 and the shape of one call leg: pure functions, no ORM, no I/O.

The leg record is validated here (parse_call_leg) but not resolved: whether its org id names a
customer the caller may write for, and which partner owns it, is the caller's business."""

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple, Self

from .models import Direction, EndpointType, Feature, Media, QueueOutcome

# SPEC 6.2: a leg is poor when any measurement is strictly above its threshold.
POOR_JITTER_MS = 150.0
POOR_LATENCY_MS = 400.0
POOR_LOSS_PCT = 5.0

# Storage limits of the CallLeg columns (CharField max_length, PositiveIntegerField).
MAX_ID_LENGTH = 64
MAX_SECONDS = 2_147_483_647


def is_poor_quality(jitter_ms: float | None, latency_ms: float | None, loss_pct: float | None) -> bool | None:
    """True when jitter > 150 ms or latency > 400 ms or packet loss > 5 %; None when the leg
    carries no measurement at all (it counts in legs and minutes but is neither poor nor good).
    A missing single measurement cannot make a leg poor."""
    if jitter_ms is None and latency_ms is None and loss_pct is None:
        return None
    return (
        (jitter_ms is not None and jitter_ms > POOR_JITTER_MS)
        or (latency_ms is not None and latency_ms > POOR_LATENCY_MS)
        or (loss_pct is not None and loss_pct > POOR_LOSS_PCT)
    )


def week_start(moment: date | datetime) -> date:
    """The Sunday that starts the calling week holding `moment` (weeks run Sunday 00:00 UTC to
    the next Sunday 00:00 UTC). A datetime must be aware; it is read in UTC."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("week_start needs an aware datetime; a naive one has no UTC day")
        moment = moment.astimezone(UTC).date()
    # date.weekday(): Monday 0 ... Sunday 6, so Sunday is 0 days back, Monday 1, Saturday 6.
    return moment - timedelta(days=(moment.weekday() + 1) % 7)


def last_complete_week(now: datetime) -> date:
    """The Sunday starting the most recent week that has fully ended at `now` (aware)."""
    return week_start(now) - timedelta(days=7)


class InvalidRow(ValueError):
    """A call-leg row that cannot be accepted; `errors` maps each bad field to why."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {why}" for field, why in self.errors.items()))


@dataclass(frozen=True, slots=True)
class CallLegRecord:
    """One validated call leg, as stored in CallLeg. `started_at` is aware UTC.

    `partner_id` is None until the caller has resolved the customer (`for_partner`): the
    partner comes from the customer's directory row, never from the input."""

    leg_id: str
    call_id: str
    org_id: uuid.UUID
    partner_id: int | None
    location_id: uuid.UUID | None
    user_id: str
    started_at: datetime
    duration_seconds: int
    direction: str
    media: str
    endpoint_type: str
    jitter_ms: float | None
    latency_ms: float | None
    loss_pct: float | None
    feature: str
    transferred: bool
    queue_outcome: str
    queue_wait_seconds: int | None

    def for_partner(self, partner_id: int) -> Self:
        return replace(self, partner_id=partner_id)


_TRUE = frozenset({"1", "true", "t", "yes", "y"})
_FALSE = frozenset({"", "0", "false", "f", "no", "n"})


# Each enum's values, computed once: parsing asks for them for several fields of every row.
_CHOICE_VALUES: dict[type, tuple[str, ...]] = {
    enum: tuple(choice.value for choice in enum) for enum in (Direction, Media, EndpointType, Feature, QueueOutcome)
}


class _Reader:
    """Reads fields of one raw row, collecting every problem instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, object]) -> None:
        self.raw = raw
        self.errors: dict[str, str] = {}

    def _text(self, field: str) -> str:
        value = self.raw.get(field)
        if value is None:
            return ""
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, bool) or not isinstance(value, int | float | uuid.UUID):
            self.errors[field] = f"expected text, got {type(value).__name__}"
            return ""
        return str(value)

    def identifier(self, field: str, *, required: bool) -> str:
        text = self._text(field)
        if field in self.errors:
            return ""
        if not text and required:
            self.errors[field] = "is required"
        elif len(text) > MAX_ID_LENGTH:
            self.errors[field] = f"is {len(text)} characters long; at most {MAX_ID_LENGTH} are allowed"
        return text

    def uuid(self, field: str, *, required: bool) -> uuid.UUID | None:
        value = self.raw.get(field)
        if isinstance(value, uuid.UUID):
            return value
        text = self._text(field)
        if field in self.errors:
            return None
        if not text:
            if required:
                self.errors[field] = "is required"
            return None
        try:
            return uuid.UUID(text)
        except ValueError:
            self.errors[field] = f"{text!r} is not a UUID"
            return None

    def moment(self, field: str) -> datetime | None:
        value = self.raw.get(field)
        if isinstance(value, datetime):
            parsed: datetime | None = value
        else:
            text = self._text(field)
            if field in self.errors:
                return None
            if not text:
                self.errors[field] = "is required"
                return None
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                self.errors[field] = f"{text!r} is not an ISO 8601 date-time (e.g. 2026-01-04T09:30:00Z)"
                return None
        if parsed is None or parsed.tzinfo is None or parsed.utcoffset() is None:
            self.errors[field] = "needs a UTC offset (e.g. 2026-01-04T09:30:00Z); a time without one is ambiguous"
            return None
        return parsed.astimezone(UTC)

    def seconds(self, field: str, *, required: bool) -> int | None:
        value = self.raw.get(field)
        if isinstance(value, bool):
            self.errors[field] = "expected a whole number of seconds, got a true/false value"
            return None
        if isinstance(value, int):
            number = value
        else:
            text = self._text(field)
            if field in self.errors:
                return None
            if not text:
                if required:
                    self.errors[field] = "is required"
                return None
            try:
                as_float = float(text)
            except ValueError:
                self.errors[field] = f"{text!r} is not a number of seconds"
                return None
            if not as_float.is_integer():
                self.errors[field] = f"{text!r} is not a whole number of seconds"
                return None
            number = int(as_float)
        if not 0 <= number <= MAX_SECONDS:
            self.errors[field] = f"{number} is out of range (0 to {MAX_SECONDS} seconds)"
            return None
        return number

    def measurement(self, field: str, *, maximum: float | None = None) -> float | None:
        value = self.raw.get(field)
        if isinstance(value, bool):
            self.errors[field] = "expected a number, got a true/false value"
            return None
        if isinstance(value, int | float):
            number = float(value)
        else:
            text = self._text(field)
            if field in self.errors or not text:
                return None
            try:
                number = float(text)
            except ValueError:
                self.errors[field] = f"{text!r} is not a number"
                return None
        if not math.isfinite(number) or number < 0 or (maximum is not None and number > maximum):
            bound = f"0 to {maximum:g}" if maximum is not None else "0 or more"
            self.errors[field] = f"{number:g} is out of range ({bound})"
            return None
        return number

    def choice(
        self,
        field: str,
        allowed: type[Direction | Media | EndpointType | Feature | QueueOutcome],
        *,
        default: str | None = None,
    ) -> str:
        text = self._text(field).lower()
        if field in self.errors:
            return ""
        if not text and default is not None:
            return default
        values = _CHOICE_VALUES[allowed]
        if text not in values:
            shown = ", ".join(repr(v) for v in values if v) + (" or empty" if "" in values else "")
            self.errors[field] = f"{text!r} is not one of {shown}" if text else "is required"
            return ""
        return text

    def flag(self, field: str) -> bool:
        value = self.raw.get(field)
        if isinstance(value, bool):
            return value
        text = self._text(field).lower()
        if field in self.errors:
            return False
        if text in _TRUE:
            return True
        if text not in _FALSE:
            self.errors[field] = f"{text!r} is not true or false"
        return False


def parse_call_leg(raw: Mapping[str, object]) -> CallLegRecord:
    """Validate one raw call-leg row (CSV strings or decoded NDJSON values) into a record.

    Optional fields may be absent or empty: location_id, user_id, media (default audio),
    jitter_ms, latency_ms, loss_pct, feature, transferred (default false), queue_outcome,
    queue_wait_seconds. Unknown keys are ignored, and so is any `partner_id` (the partner comes
    from the customer). Raises InvalidRow naming every bad field."""
    read = _Reader(raw)
    leg_id = read.identifier("leg_id", required=True)
    call_id = read.identifier("call_id", required=True)
    org_id = read.uuid("org_id", required=True)
    location_id = read.uuid("location_id", required=False)
    user_id = read.identifier("user_id", required=False)
    started_at = read.moment("started_at")
    duration_seconds = read.seconds("duration_seconds", required=True)
    direction = read.choice("direction", Direction)
    media = read.choice("media", Media, default=Media.AUDIO.value)
    endpoint_type = read.choice("endpoint_type", EndpointType)
    jitter_ms = read.measurement("jitter_ms")
    latency_ms = read.measurement("latency_ms")
    loss_pct = read.measurement("loss_pct", maximum=100.0)
    feature = read.choice("feature", Feature)
    transferred = read.flag("transferred")
    queue_outcome = read.choice("queue_outcome", QueueOutcome)
    queue_wait_seconds = read.seconds("queue_wait_seconds", required=False)
    if queue_outcome and feature != Feature.CALL_QUEUE and "feature" not in read.errors:
        read.errors["queue_outcome"] = f"{queue_outcome!r} needs feature 'call_queue' (got {feature or 'none'})"
    if queue_wait_seconds is not None and not queue_outcome and "queue_outcome" not in read.errors:
        read.errors["queue_wait_seconds"] = "is only meaningful with a queue_outcome"
    if read.errors:
        raise InvalidRow(read.errors)
    assert org_id is not None and started_at is not None and duration_seconds is not None
    return CallLegRecord(
        leg_id=leg_id,
        call_id=call_id,
        org_id=org_id,
        partner_id=None,
        location_id=location_id,
        user_id=user_id,
        started_at=started_at,
        duration_seconds=duration_seconds,
        direction=direction,
        media=media,
        endpoint_type=endpoint_type,
        jitter_ms=jitter_ms,
        latency_ms=latency_ms,
        loss_pct=loss_pct,
        feature=feature,
        transferred=transferred,
        queue_outcome=queue_outcome,
        queue_wait_seconds=queue_wait_seconds,
    )


class Bucket(NamedTuple):
    """The key of one CallDailyRollup row."""

    org_id: uuid.UUID
    location_id: uuid.UUID
    day: date
    endpoint_type: str
    media: str


# CallDailyRollup figures, in this order in every figures tuple. Leg figures add up leg by leg;
# call figures count each call once, in the bucket of its earliest leg.
LEG_FIGURES = (
    "legs",
    "duration_seconds",
    "measured_legs",
    "poor_legs",
    "queue_answered",
    "queue_timed_out",
    "queue_overflowed",
    "queue_transferred",
    "queue_abandoned",
    "queue_answered_wait_seconds",
    "queue_abandoned_wait_seconds",
)
CALL_FIGURES = ("calls", "hunt_group_calls", "auto_attendant_calls", "call_queue_calls", "transfers")
ROLLUP_FIGURES = LEG_FIGURES + CALL_FIGURES
