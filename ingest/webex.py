"""Webex Calling Detailed Call History records mapped onto call legs (`--format webex-cdr`).

The layout is that of Control Hub's "Calling Detailed Call History" report and of the Detailed
Call History API (the same column names, e.g. `Start time`, `Correlation ID`, `Org UUID`), as a
CSV file or as NDJSON objects. Each record is one call leg seen by one user, workspace or
service. What the public documentation says about the columns, and what we make of them:

- `Report ID` is unique per record and meant for de-duplication: our leg id (`Local call ID`
  when it is missing). `Correlation ID` ties the legs of one call session together: our call id
  (the SIP `Call ID` when it is missing).
- `Org UUID` is the customer; `User UUID` the user; `Site UUID` the location, or else the
  `Location` name, resolved among the customer's sites at import.
- `Start time` and `Answer time` are UTC; a time written without an offset is read as UTC.
  `Duration` is in seconds. `Direction` ORIGINATING is outbound, TERMINATING inbound.
- `Client type` gives the endpoint: WXC_CLIENT and TEAMS_WXC_CLIENT are apps; WXC_DEVICE and
  WXC_THIRD_PARTY are phones (a `Model` naming a Room, Board or Desk Pro is a room device); SIP
  and WXC_SIP_GW (trunks, gateways, Webex Go) are other devices.
- Routing features: a record with a `Queue Type`, or whose `User type` is CallCenterStandard,
  is the call queue's own leg; HuntGroup or an AutomatedAttendant `User type` (or a key pressed
  in an auto attendant) mark the other features, and agents' legs carry the feature through
  `Original reason`, `Redirect reason` or `Related reason`.
- A queue leg's outcome: `Answered` true is answered; otherwise a transfer (`Call transfer
  Time`, `Transfer related call ID`) is transferred, a call the queue sent elsewhere (`Related
  call ID`) overflowed, the queue hanging up (`Releasing party` Local) timed out, and the
  caller hanging up abandoned. The wait is `Ring duration`, or else `Answer time` minus
  `Start time`.
- The records carry no jitter, latency or packet loss, so the legs count in legs and minutes
  but are neither poor nor good (SPEC 6.2). They carry no media type either: audio.

Column names are matched whatever their case and spacing: exports write `Start Time` or
`Queue type` as well. Columns outside that list (`Hold Duration`, `Call type`, `Report time`,
caller numbers...) have no place in a call leg and are reported as ignored, as they were spelled."""

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache

from .formats import FormatRefused

# Our call-leg fields named as the Webex columns they come from, for error messages.
LABELS: Mapping[str, str] = {
    "leg_id": "Report ID",
    "call_id": "Correlation ID",
    "org_id": "Org UUID",
    "location_id": "Site UUID",
    "user_id": "User UUID",
    "started_at": "Start time",
    "duration_seconds": "Duration",
    "direction": "Direction",
    "endpoint_type": "Client type",
    "feature": "Queue Type",
    "transferred": "Call transfer Time",
    "queue_outcome": "Answered",
    "queue_wait_seconds": "Ring duration",
}

USED_COLUMNS = frozenset(
    {
        "Report ID",
        "Local call ID",
        "Correlation ID",
        "Call ID",
        "Org UUID",
        "User UUID",
        "Site UUID",
        "Location",
        "Start time",
        "Answer time",
        "Duration",
        "Direction",
        "Client type",
        "Model",
        "Device MAC",
        "User type",
        "Queue Type",
        "Original reason",
        "Redirect reason",
        "Related reason",
        "Auto Attendant Key Pressed",
        "Answered",
        "Call transfer Time",
        "Transfer related call ID",
        "Related call ID",
        "Releasing party",
        "Ring duration",
    }
)

# Each of these needs one of its columns in a CSV header, or no row could be a call leg.
REQUIRED_COLUMNS = (
    ("Report ID", "Local call ID"),
    ("Correlation ID", "Call ID"),
    ("Org UUID",),
    ("Start time",),
    ("Duration",),
    ("Direction",),
)

# Columns that mark a header as Detailed Call History: none of our own layouts has them.
IDENTIFYING_COLUMNS = frozenset({"Report ID", "Call ID", "Correlation ID", "Start time"})

_DIRECTIONS = {"ORIGINATING": "outbound", "TERMINATING": "inbound"}
_CLIENT_ENDPOINTS = {
    "WXC_CLIENT": "app",
    "TEAMS_WXC_CLIENT": "app",
    "WXC_DEVICE": "desk_phone",
    "WXC_THIRD_PARTY": "desk_phone",
    "SIP": "other_device",
    "WXC_SIP_GW": "other_device",
}
_ROOM_MODEL = re.compile(r"room|board|desk pro|desk mini|codec", re.IGNORECASE)
_TRUE = frozenset({"true", "yes", "1", "yes-postredirection"})


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


_BY_FOLDED = {_folded(column): column for column in USED_COLUMNS}


# Cached: a record's keys are the same few dozen names record after record, and the size bound
# keeps a body of ever-new keys from growing it.
@lru_cache(maxsize=1024)
def used_column(name: str) -> str | None:
    """The column of USED_COLUMNS that `name` spells, whatever its case and spacing (real exports
    write `Start Time` or `Queue type` as well), or None for a column we do not read."""
    return _BY_FOLDED.get(_folded(name))


def check_columns(columns: Iterable[str]) -> None:
    """Refuse a CSV header that cannot be Detailed Call History (FormatRefused, naming what is
    missing or named twice), before any row is read."""
    spelled: dict[str, str] = {}
    for name in columns:
        column = used_column(name)
        if column is not None and spelled.setdefault(column, name) != name:
            raise FormatRefused(f"the header names the column {column!r} twice: as {spelled[column]!r} and {name!r}")
    missing = [
        " or ".join(repr(c) for c in group) for group in REQUIRED_COLUMNS if not any(c in spelled for c in group)
    ]
    if missing:
        raise FormatRefused(
            "this is not a Webex Calling Detailed Call History file: the header lacks " + ", ".join(missing)
        )


def looks_like_report(columns: Iterable[str]) -> bool:
    """Whether a header has a column that identifies Detailed Call History, in any spelling."""
    return any(used_column(name) in IDENTIFYING_COLUMNS for name in columns)


def ignored_columns(columns: Iterable[str]) -> list[str]:
    return [column for column in columns if column and used_column(column) is None]


def _texts(record: Mapping[str, object]) -> dict[str, str]:
    """The record's columns that we use, under their names in USED_COLUMNS, each as stripped text
    ('' for a JSON null, object or array): read once per record, not once per look (a third of
    the mapping's time)."""
    texts = {}
    for name, value in record.items():
        column = name if name in USED_COLUMNS else used_column(name)
        if column is not None:
            texts[column] = (value if isinstance(value, str) else _as_text(value)).strip()
    return texts


def _as_text(value: object) -> str:
    """A JSON value other than a string as text: '' for null, an object or an array."""
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _moment(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _seconds(text: str) -> int | str | None:
    """Whole seconds (rounded); the text itself when it is not a number, so the leg's
    validation names it; None when empty."""
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return round(number) if number == number and abs(number) != float("inf") else text


def _endpoint(text: Mapping[str, str]) -> str:
    endpoint = _CLIENT_ENDPOINTS.get(text.get("Client type", "").upper())
    if endpoint is None:
        endpoint = "desk_phone" if text.get("Device MAC") else "other_device"
    if endpoint == "desk_phone" and _ROOM_MODEL.search(text.get("Model", "")):
        return "room_device"
    return endpoint


def _queue_outcome(text: Mapping[str, str], answered: bool) -> str:
    if answered:
        return "answered"
    if text.get("Call transfer Time") or text.get("Transfer related call ID"):
        return "transferred"
    if text.get("Related call ID"):
        return "overflowed"
    if text.get("Releasing party", "").lower() == "local":
        return "timed_out"
    return "abandoned"


def to_call_leg(record: Mapping[str, object]) -> dict[str, object]:
    """One Detailed Call History record as the raw fields of a call leg (see the module
    docstring). Values it cannot interpret are passed on as they are, so that the call leg's
    validation rejects them naming the Webex column (LABELS)."""
    text = _texts(record)
    started_text = text.get("Start time", "")
    started = _moment(started_text)
    direction = text.get("Direction", "")
    user_type = text.get("User type", "").lower()
    reasons = {text.get(column, "").lower() for column in ("Original reason", "Redirect reason", "Related reason")}
    queue_leg = bool(text.get("Queue Type")) or user_type == "callcenterstandard"
    if queue_leg or "callqueue" in reasons:
        feature = "call_queue"
    elif user_type == "huntgroup" or "huntgroup" in reasons:
        feature = "hunt_group"
    elif user_type.startswith("automatedattendant") or text.get("Auto Attendant Key Pressed"):
        feature = "auto_attendant"
    else:
        feature = ""
    answered = text.get("Answered", "").lower() in _TRUE
    outcome = _queue_outcome(text, answered) if queue_leg else ""
    wait: int | str | None = None
    if queue_leg:
        wait = _seconds(text.get("Ring duration", ""))
        answered_at = _moment(text.get("Answer time", ""))
        if wait is None and answered and started is not None and answered_at is not None:
            wait = max(0, round((answered_at - started).total_seconds()))
    site = text.get("Site UUID", "")
    return {
        "leg_id": text.get("Report ID") or text.get("Local call ID", ""),
        "call_id": text.get("Correlation ID") or text.get("Call ID", ""),
        "org_id": text.get("Org UUID", ""),
        "location_id": site,
        "location_name": "" if site else text.get("Location", ""),
        "user_id": text.get("User UUID", ""),
        "started_at": started.isoformat() if started is not None else started_text,
        "duration_seconds": _seconds(text.get("Duration", "")),
        "direction": _DIRECTIONS.get(direction.upper(), direction),
        "media": "audio",
        "endpoint_type": _endpoint(text),
        "feature": feature,
        "transferred": bool(
            text.get("Call transfer Time") or text.get("Transfer related call ID") or "consultativetransfer" in reasons
        ),
        "queue_outcome": outcome,
        "queue_wait_seconds": wait,
    }
