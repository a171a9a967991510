"""Calling rules of SPEC 6.2 and the shape of one call leg: pure functions, no ORM, no I/O.

The leg record is validated here (parse_call_leg) but not resolved: whether its org id names a
customer the caller may write for, and which partner owns it, is the caller's business."""

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple, Self

from .models import NO_LOCATION, Direction, EndpointType, Feature, Media, QueueOutcome

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


def utc_day(moment: datetime) -> date:
    """The UTC calendar day of an aware datetime: the day a leg rolls up under."""
    return moment.astimezone(UTC).date()


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

    @property
    def order_key(self) -> tuple[datetime, str]:
        """Which leg of a call comes first: earliest start, ties broken by leg id."""
        return _order_key(self)


def _order_key(leg: CallLegRecord) -> tuple[datetime, str]:
    return (leg.started_at, leg.leg_id)


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


def bucket_of(leg: CallLegRecord) -> Bucket:
    """The rollup row a leg counts in: its customer, location (NO_LOCATION when it has none),
    UTC day, endpoint type and media."""
    return Bucket(leg.org_id, leg.location_id or NO_LOCATION, utc_day(leg.started_at), leg.endpoint_type, leg.media)


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
_QUEUE_OUTCOMES = ("answered", "timed_out", "overflowed", "transferred", "abandoned")


def leg_figures(leg: CallLegRecord) -> tuple[int, ...]:
    """What one leg adds to its bucket, in LEG_FIGURES order. Queue outcomes and waits count per
    queue leg (a call that overflows from one queue to another is two queue legs)."""
    poor = is_poor_quality(leg.jitter_ms, leg.latency_ms, leg.loss_pct)
    wait = leg.queue_wait_seconds or 0
    return (
        1,
        leg.duration_seconds,
        int(poor is not None),
        int(bool(poor)),
        *(int(leg.queue_outcome == outcome) for outcome in _QUEUE_OUTCOMES),
        wait if leg.queue_outcome == QueueOutcome.ANSWERED else 0,
        wait if leg.queue_outcome == QueueOutcome.ABANDONED else 0,
    )


@dataclass(frozen=True, slots=True)
class CallFeatures:
    """Which routing features any leg of a call used; each counts the call once."""

    hunt_group: bool = False
    auto_attendant: bool = False
    call_queue: bool = False
    transferred: bool = False

    @classmethod
    def of_legs(cls, legs: Sequence[CallLegRecord]) -> Self:
        features = {leg.feature for leg in legs}
        return cls(
            hunt_group=Feature.HUNT_GROUP in features,
            auto_attendant=Feature.AUTO_ATTENDANT in features,
            call_queue=Feature.CALL_QUEUE in features,
            transferred=any(leg.transferred for leg in legs),
        )

    def __or__(self, other: "CallFeatures") -> "CallFeatures":
        return CallFeatures(
            hunt_group=self.hunt_group or other.hunt_group,
            auto_attendant=self.auto_attendant or other.auto_attendant,
            call_queue=self.call_queue or other.call_queue,
            transferred=self.transferred or other.transferred,
        )


def call_figures(features: CallFeatures) -> tuple[int, ...]:
    """What one call adds to the bucket it is counted in, in CALL_FIGURES order."""
    return (
        1,
        int(features.hunt_group),
        int(features.auto_attendant),
        int(features.call_queue),
        int(features.transferred),
    )


@dataclass(frozen=True, slots=True)
class CallPlacement:
    """Where a call is counted (the bucket of its earliest leg) and what it used."""

    first_started_at: datetime
    first_leg_id: str
    bucket: Bucket
    features: CallFeatures

    @property
    def order_key(self) -> tuple[datetime, str]:
        return (self.first_started_at, self.first_leg_id)


CallKey = tuple[uuid.UUID, str]  # (org_id, call_id)


@dataclass(frozen=True, slots=True)
class RollupChange:
    """How a batch of newly accepted legs changes the rollups.

    `increments` and `decrements` are per bucket in ROLLUP_FIGURES order, never negative: a call
    whose earliest leg arrives late is subtracted from its old bucket and added to the new one.
    `placements` holds the calls whose placement is new or changed; `partners` the partner of
    each customer in the batch."""

    increments: dict[Bucket, list[int]] = field(default_factory=dict)
    decrements: dict[Bucket, list[int]] = field(default_factory=dict)
    placements: dict[CallKey, CallPlacement] = field(default_factory=dict)
    partners: dict[uuid.UUID, int] = field(default_factory=dict)


def rollup_change(legs: Iterable[CallLegRecord], placed: Mapping[CallKey, CallPlacement]) -> RollupChange:
    """The rollup change of `legs` (each new: never counted before, no leg id twice) given the
    current placement of their calls. Applying it keeps the rollups equal to a recomputation from
    all legs: each call counted once, in the bucket of its earliest leg by (started_at, leg_id)."""
    width = len(ROLLUP_FIGURES)
    calls_at = len(LEG_FIGURES)
    net: dict[Bucket, list[int]] = {}
    partners: dict[uuid.UUID, int] = {}
    calls: dict[CallKey, list[CallLegRecord]] = {}
    for leg in legs:
        if leg.partner_id is None:
            raise ValueError(f"leg {leg.leg_id!r} has no partner; resolve its customer first")
        partners[leg.org_id] = leg.partner_id
        bucket = bucket_of(leg)
        row = net.get(bucket)
        if row is None:
            row = net[bucket] = [0] * width
        for index, value in enumerate(leg_figures(leg)):
            row[index] += value
        calls.setdefault((leg.org_id, leg.call_id), []).append(leg)

    def count(bucket: Bucket, call_features: CallFeatures, sign: int) -> None:
        row = net.get(bucket)
        if row is None:
            row = net[bucket] = [0] * width
        for index, value in enumerate(call_figures(call_features), start=calls_at):
            row[index] += sign * value

    placements: dict[CallKey, CallPlacement] = {}
    for key, call_legs in calls.items():
        first = min(call_legs, key=_order_key) if len(call_legs) > 1 else call_legs[0]
        new = CallPlacement(first.started_at, first.leg_id, bucket_of(first), CallFeatures.of_legs(call_legs))
        old = placed.get(key)
        if old is not None:
            if old.order_key < new.order_key:
                new = replace(old, features=old.features | new.features)
            else:
                new = replace(new, features=old.features | new.features)
            if new == old:
                continue
            count(old.bucket, old.features, -1)
        count(new.bucket, new.features, 1)
        placements[key] = new

    increments: dict[Bucket, list[int]] = {}
    decrements: dict[Bucket, list[int]] = {}
    for bucket, figures in net.items():
        if any(value > 0 for value in figures):
            increments[bucket] = [max(value, 0) for value in figures]
        if any(value < 0 for value in figures):
            decrements[bucket] = [max(-value, 0) for value in figures]
    return RollupChange(increments=increments, decrements=decrements, placements=placements, partners=partners)


def user_weeks(legs: Iterable[CallLegRecord]) -> set[tuple[uuid.UUID, date, str]]:
    """Distinct (org_id, week_on, user_id) of legs that name a user: the active calling users."""
    return {(leg.org_id, week_start(leg.started_at), leg.user_id) for leg in legs if leg.user_id}
