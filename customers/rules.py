"""Customer status rules of SPEC 5.1: pure functions of a customer's facts and today's date."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from .statuses import SEVERITY_ORDER, CustomerStatus

LIVE_STATES = frozenset({"active", "provisioning", "suspended"})


@dataclass(frozen=True, slots=True)
class SubscriptionFacts:
    kind: str  # "paid" or "trial"
    state: str
    end_on: date | None
    auto_renew: bool


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    subscriptions: tuple[SubscriptionFacts, ...]
    has_overage: bool  # some line of an active subscription has assigned > quantity
    last_admin_activity_at: datetime | None


def days_until(day: date | None, today: date) -> int | None:
    return None if day is None else (day - today).days


def is_expiring(subscription: SubscriptionFacts, *, today: date, window_days: int) -> bool:
    """An active trial, or an active paid subscription without auto-renew, ending within the
    next `window_days` days (today counts as day 0, the last day of the window is included)."""
    if subscription.state != "active" or (subscription.kind == "paid" and subscription.auto_renew):
        return False
    left = days_until(subscription.end_on, today)
    return left is not None and 0 <= left <= window_days


def is_inactive(last_activity_at: datetime | None, *, today: date, window_days: int) -> bool:
    """True when the customer's own admins were never active, or not within `window_days` days."""
    return last_activity_at is None or (today - last_activity_at.date()).days >= window_days


def customer_statuses(
    facts: CustomerFacts, *, today: date, expiring_days: int = 30, inactive_days: int = 30
) -> frozenset[str]:
    """Every status of SPEC 5.1 that applies to the customer (a set, never empty: a customer with
    no live subscription is at least `expired`)."""
    subs = facts.subscriptions
    active = [s for s in subs if s.state == "active"]
    found: set[str] = set()
    if any(s.kind == "trial" for s in active):
        found.add(CustomerStatus.TRIAL)
    if any(s.kind == "paid" for s in active):
        found.add(CustomerStatus.SUBSCRIPTION)
    if any(is_expiring(s, today=today, window_days=expiring_days) for s in active):
        found.add(CustomerStatus.EXPIRING_SOON)
    if facts.has_overage:
        found.add(CustomerStatus.LICENSE_OVERAGE)
    if is_inactive(facts.last_admin_activity_at, today=today, window_days=inactive_days):
        found.add(CustomerStatus.NO_RECENT_ACTIVITY)
    if any(s.state == "provisioning" for s in subs):
        found.add(CustomerStatus.READY_FOR_ORDER_SETUP)
    if any(s.state == "suspended" for s in subs):
        found.add(CustomerStatus.SUSPENDED)
    if not any(s.state in LIVE_STATES for s in subs):
        found.add(CustomerStatus.EXPIRED)
    return frozenset(found)


def severity(statuses: Iterable[str]) -> int:
    """Rank for sorting by urgency: the position of the most severe status (0 = most urgent)."""
    ranks = [SEVERITY_ORDER.index(s) for s in statuses if s in SEVERITY_ORDER]
    return min(ranks, default=len(SEVERITY_ORDER))


def next_expiry(facts: CustomerFacts) -> date | None:
    """The earliest end date among active subscriptions and trials (for sorting by expiry)."""
    ends = [s.end_on for s in facts.subscriptions if s.state == "active" and s.end_on is not None]
    return min(ends, default=None)


def can_give_access(*, actor_partner_id: int, customer_partner_id: int) -> bool:
    """Whether an admin may give others access to a customer (assign a partner admin, grant an
    external admin): only admins of the managing partner may. An external admin sees the customer
    because the managing partner granted it (SPEC 3), so it may not pass it on, to the managing
    partner's staff or to its own colleagues."""
    return actor_partner_id == customer_partner_id


def can_take_access(*, actor_partner_id: int, customer_partner_id: int, admin_partner_id: int | None) -> bool:
    """Whether an admin may remove another admin's assignment or grant on a customer: the managing
    partner removes anyone's; an external admin only that of admins of its own partner, never the
    managing partner's staffing nor another partner's grant."""
    return actor_partner_id in (customer_partner_id, admin_partner_id)
