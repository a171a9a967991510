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


LOW_PERCENTILE = 25
TREND_WEEKS = 12
USAGE_MONTHS = 3


def percentile_ranks(count: int, q: float) -> tuple[int, int, float]:
    """Where the q-th percentile (0-100) of `count` sorted values lies, as numpy's default
    method: the 0-based ranks of the two closest values and the weight of the upper one.
    Raises ValueError for no values."""
    if count < 1:
        raise ValueError("percentile of no values")
    position = (count - 1) * q / 100
    lower = int(position)
    return lower, min(lower + 1, count - 1), position - lower


def interpolate(lower_value: float, upper_value: float, weight: float) -> float:
    """The value `weight` of the way from `lower_value` to `upper_value`."""
    return lower_value + (upper_value - lower_value) * weight


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks, as numpy's
    default method. Raises ValueError for no values."""
    ordered = sorted(values)
    lower, upper, weight = percentile_ranks(len(ordered), q)
    return interpolate(ordered[lower], ordered[upper], weight)


def low_threshold_of(peer_count: int, peer_percentile: float | None) -> float:
    """The low-assignment threshold of a peer group known by its size and its 25th percentile
    (which may be computed elsewhere, e.g. from ranks the database sorted): the smaller of 50 %
    and the percentile, or 30 % when there are fewer than 5 peers."""
    if peer_count < MIN_PEERS or peer_percentile is None:
        return LOW_FALLBACK
    return min(LOW_CEILING, peer_percentile)


def low_threshold(peer_ratios: Sequence[float]) -> float:
    """The assignment ratio under which a line is low: the smaller of 50 % and the peers' 25th
    percentile, or 30 % when there are fewer than 5 peers (the line itself counts as a peer)."""
    if len(peer_ratios) < MIN_PEERS:
        return LOW_FALLBACK
    return low_threshold_of(len(peer_ratios), percentile(peer_ratios, LOW_PERCENTILE))


def low_age_cutoff(today: date) -> date:
    """A subscription must have started before this day for its lines to be low (older than
    30 days)."""
    return today - timedelta(days=LOW_MIN_AGE_DAYS)


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
    cutoff = low_age_cutoff(today)
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


def snapshot_week(today: date) -> date:
    """The week of the latest snapshot: the most recent Sunday on or before `today` (license
    snapshots are taken at the start of each week, weeks starting on Sunday)."""
    # date.weekday(): Monday 0 ... Sunday 6, so Sunday is 0 days back and Monday 1.
    return today - timedelta(days=(today.weekday() + 1) % 7)


def trend_weeks(today: date, weeks: int = TREND_WEEKS) -> list[date]:
    """The Sundays starting the last `weeks` weeks, oldest first, ending with `snapshot_week`."""
    latest = snapshot_week(today)
    return [latest - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def usage_months(today: date, months: int = USAGE_MONTHS) -> list[date]:
    """The first days of the last `months` calendar months, oldest first; the current month
    is the last (the months `monthly_means` reports)."""
    year, month = today.year, today.month
    firsts = []
    for _ in range(months):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def weekly_change(this_week: int | None, last_week: int | None) -> int | None:
    """This week's figure minus last week's; None ("n/a") when either snapshot is missing."""
    if this_week is None or last_week is None:
        return None
    return this_week - last_week


def excess_per_customer(total_excess: int, customers: int) -> float | None:
    """Average licences over the limit per over-limit customer; None when there is none."""
    return ratio(total_excess, customers)
