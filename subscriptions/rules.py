"""Pure rules about subscriptions and trials."""

import secrets
import string
from datetime import date, timedelta

TRIAL_LENGTHS = (30, 60, 90)
TRIAL_EXTENSION_DAYS = 30
PAID_TERM_DAYS = 365


def trial_end_date(start_on: date, days: int) -> date:
    """The last day of a trial of `days` days starting on `start_on` (a 30-day trial started on
    1 March ends on 31 March)."""
    if days not in TRIAL_LENGTHS:
        raise ValueError(f"a trial lasts {', '.join(map(str, TRIAL_LENGTHS))} days, not {days}")
    return start_on + timedelta(days=days)


def extended_trial_end(end_on: date | None, today: date) -> date:
    """The last day of a trial after one extension: TRIAL_EXTENSION_DAYS added to its current
    last day, so an extension never takes days away (a trial ending 26 January, extended on
    26 November, ends 25 February). A trial whose last day has passed, or that has none, gets
    them from today."""
    counted_from = today if end_on is None else max(end_on, today)
    return counted_from + timedelta(days=TRIAL_EXTENSION_DAYS)


def new_subscription_id(prefix: str) -> str:
    """A fresh id such as `Trial-7KQ2M9XD`: 8 characters from an alphabet without look-alikes."""
    alphabet = "".join(c for c in string.ascii_uppercase + string.digits if c not in "O0I1")
    return f"{prefix}-{''.join(secrets.choice(alphabet) for _ in range(8))}"
