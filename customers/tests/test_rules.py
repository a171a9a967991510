from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customers.rules import (
    CustomerFacts,
    SubscriptionFacts,
    can_give_access,
    can_take_access,
    customer_statuses,
    next_expiry,
    severity,
)

TODAY = date(2026, 11, 25)
RECENT = datetime(2026, 11, 20, tzinfo=UTC)


def facts(*subs, overage=False, last_activity=RECENT):
    return CustomerFacts(subscriptions=tuple(subs), has_overage=overage, last_admin_activity_at=last_activity)


def sub(kind="paid", state="active", ends_in=200, auto_renew=False):
    return SubscriptionFacts(kind=kind, state=state, end_on=TODAY + timedelta(days=ends_in), auto_renew=auto_renew)


def statuses(*subs, **kwargs):
    return customer_statuses(facts(*subs, **kwargs), today=TODAY)


def test_active_trial_is_trial():
    assert "trial" in statuses(sub(kind="trial"))


def test_active_paid_subscription_is_subscription():
    assert statuses(sub()) == {"subscription"}


@pytest.mark.parametrize(("days", "expected"), [(29, True), (30, True), (31, False), (0, True), (-1, False)])
def test_paid_without_auto_renew_is_expiring_within_30_days(days, expected):
    assert ("expiring_soon" in statuses(sub(ends_in=days))) is expected


def test_auto_renewing_paid_subscription_is_not_expiring():
    assert "expiring_soon" not in statuses(sub(ends_in=5, auto_renew=True))


@pytest.mark.parametrize(("days", "expected"), [(29, True), (30, True), (31, False)])
def test_active_trial_is_expiring_within_30_days(days, expected):
    assert ("expiring_soon" in statuses(sub(kind="trial", ends_in=days))) is expected


def test_suspended_subscription_ending_soon_is_not_expiring():
    assert "expiring_soon" not in statuses(sub(state="suspended", ends_in=3))


def test_overage_is_reported():
    assert "license_overage" in statuses(sub(), overage=True)


@pytest.mark.parametrize(("days_ago", "expected"), [(29, False), (30, True), (31, True)])
def test_no_recent_activity_after_30_days(days_ago, expected):
    last = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), tzinfo=UTC)
    assert ("no_recent_activity" in statuses(sub(), last_activity=last)) is expected


def test_admins_never_active_means_no_recent_activity():
    assert "no_recent_activity" in statuses(sub(), last_activity=None)


def test_provisioning_subscription_is_ready_for_order_setup():
    assert statuses(sub(state="provisioning")) == {"ready_for_order_setup"}


def test_suspended_subscription_is_suspended_not_expired():
    assert statuses(sub(state="suspended")) == {"suspended"}


def test_customer_without_subscriptions_is_expired():
    assert statuses() == {"expired"}


def test_only_cancelled_and_expired_subscriptions_mean_expired():
    assert statuses(sub(state="cancelled"), sub(state="expired")) == {"expired"}


def test_severity_ranks_suspended_before_subscription():
    assert severity({"subscription", "suspended"}) < severity({"subscription"})


def test_next_expiry_is_the_earliest_active_end():
    assert next_expiry(facts(sub(ends_in=40), sub(ends_in=10), sub(state="expired", ends_in=1))) == TODAY + timedelta(
        days=10
    )


subscription_facts = st.builds(
    SubscriptionFacts,
    kind=st.sampled_from(["paid", "trial"]),
    state=st.sampled_from(["provisioning", "active", "suspended", "expired", "cancelled"]),
    end_on=st.one_of(st.none(), st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 1, 1))),
    auto_renew=st.booleans(),
)


@given(subs=st.lists(subscription_facts, max_size=6), overage=st.booleans())
def test_expired_exactly_when_no_active_provisioning_or_suspended_subscription(subs, overage):
    result = customer_statuses(facts(*subs, overage=overage), today=TODAY)
    live = any(s.state in {"active", "provisioning", "suspended"} for s in subs)
    assert ("expired" in result) is (not live)


@given(subs=st.lists(subscription_facts, max_size=6))
def test_statuses_are_never_empty(subs):
    assert customer_statuses(facts(*subs, last_activity=RECENT), today=TODAY)


MANAGING, EXTERNAL, THIRD = 1, 2, 3


def test_only_the_managing_partner_gives_access_to_its_customer():
    assert can_give_access(actor_partner_id=MANAGING, customer_partner_id=MANAGING) is True
    assert can_give_access(actor_partner_id=EXTERNAL, customer_partner_id=MANAGING) is False


def test_the_managing_partner_takes_anyones_access_to_its_customer():
    for admin_partner_id in (MANAGING, EXTERNAL, THIRD, None):
        assert can_take_access(
            actor_partner_id=MANAGING, customer_partner_id=MANAGING, admin_partner_id=admin_partner_id
        )


def test_an_external_admin_takes_access_only_from_admins_of_its_own_partner():
    def may(admin_partner_id):
        return can_take_access(
            actor_partner_id=EXTERNAL, customer_partner_id=MANAGING, admin_partner_id=admin_partner_id
        )

    assert (may(EXTERNAL), may(MANAGING), may(THIRD), may(None)) == (True, False, False, False)
