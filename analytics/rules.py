"""License analytics rules of SPEC 6.1: pure functions over plain numbers and dates."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

WINDOW_DAYS = 90
LOW_MIN_AGE_DAYS = 30
LOW_CEILING = 0.50
LOW_FALLBACK = 0.30
MIN_PEERS = 5
SIZE_BANDS: tuple[tuple[int, int | None], ...] = ((1, 10), (11, 50), (51, 250), (251, 1000), (1001, None))


def size_band(quantity: int) -> int | None:
    """Index of the licence-count band (1-10, 11-50, 51-250, 251-1000, over 1000); None for 0."""
    for index, (low, high) in enumerate(SIZE_BANDS):
        if quantity >= low and (high is None or quantity <= high):
            return index
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks, as numpy's
    default method. Raises ValueError for no values."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def low_threshold(peer_ratios: Sequence[float]) -> float:
    """The assignment ratio under which a line is low: the smaller of 50 % and the peers' 25th
    percentile, or 30 % when there are fewer than 5 peers (the line itself counts as a peer)."""
    if len(peer_ratios) < MIN_PEERS:
        return LOW_FALLBACK
    return min(LOW_CEILING, percentile(peer_ratios, 25))


@dataclass(frozen=True, slots=True)
class LineFacts:
    key: object
    product: str
    quantity: int
    assigned: int
    active: bool
    start_on: date


def low_lines(lines: Sequence[LineFacts], *, today: date) -> set[object]:
    """Keys of the low-assignment lines among one partner's lines of one region.

    Peers: active lines with quantity > 0 of the same product and size band. A line is low when
    it is such a line, its subscription started more than 30 days ago, and its ratio
    assigned/quantity is below its group's threshold."""
    groups: dict[tuple[str, int], list[LineFacts]] = {}
    for line in lines:
        band = size_band(line.quantity)
        if line.active and band is not None:
            groups.setdefault((line.product, band), []).append(line)
    low: set[object] = set()
    cutoff = today - timedelta(days=LOW_MIN_AGE_DAYS)
    for peers in groups.values():
        threshold = low_threshold([p.assigned / p.quantity for p in peers])
        low.update(p.key for p in peers if p.start_on < cutoff and p.assigned / p.quantity < threshold)
    return low


def ratio(part: int, whole: int) -> float | None:
    """part/whole, or None ("n/a") when there is nothing to divide by."""
    return None if whole == 0 else part / whole


def within_window(day: date | None, today: date, days: int = WINDOW_DAYS) -> bool:
    """True when `day` falls between today and `days` days from now, both included."""
    return day is not None and 0 <= (day - today).days <= days


def months_between(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end` (negative when end is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1 if months > 0 else 0
    return months


def monthly_means(weekly: Sequence[tuple[date, int]], *, today: date, months: int = 3) -> list[float | None]:
    """The mean of weekly values in each of the last `months` calendar months, oldest first
    (the current month counts as the last); None for a month without values."""
    result: list[float | None] = []
    year, month = today.year, today.month
    keys = []
    for _ in range(months):
        keys.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    for y, m in reversed(keys):
        values = [v for d, v in weekly if d.year == y and d.month == m]
        result.append(sum(values) / len(values) if values else None)
    return result
