import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AccessKind, Admin, CustomerAccess, PartnerOrg
from accounts.roles import Role
from accounts.scope import scope_for
from calling.models import CallLeg
from calling.rules import is_poor_quality, week_start
from customers.models import Customer, Tag
from customers.statuses import CustomerStatus
from ingest.activity import batch_page
from ingest.demo import (
    DEMO_PASSWORD,
    SNAPSHOT_WEEKS,
    DemoAlreadyLoaded,
    DemoError,
    add_months,
    build_plan,
    iter_call_legs,
    load_demo,
    quota_list,
)
from ingest.validation import KINDS
from regions.registry import Region, db_for
from subscriptions.models import Subscription

TODAY = dt.date(2026, 11, 26)  # a Thursday


def directory() -> list[tuple[str, str, str, str, str]]:
    return sorted(
        (str(org_id), name, region, partner, external_id)
        for org_id, name, region, partner, external_id in Customer.objects.values_list(
            "org_id", "name", "region", "partner__name", "external_id"
        )
    )


def subscription_ids() -> list[str]:
    return sorted(
        sub_id
        for region in Region.values
        for sub_id in Subscription.objects.using(db_for(region)).values_list("subscription_id", flat=True)
    )


def test_the_same_seed_and_day_give_the_same_plan():
    first = build_plan(customers=60, seed=7, today=TODAY)
    second = build_plan(customers=60, seed=7, today=TODAY)

    assert [c.record for c in first.customers] == [c.record for c in second.customers]
    assert first.fingerprint() == second.fingerprint()


def test_another_seed_gives_other_customers():
    first = build_plan(customers=60, seed=7, today=TODAY)
    other = build_plan(customers=60, seed=8, today=TODAY)

    assert {c.record.name for c in first.customers} != {c.record.name for c in other.customers}
    assert first.fingerprint() != other.fingerprint()


def test_customers_split_about_85_15_between_partners_and_45_30_15_10_over_regions():
    plan = build_plan(customers=200, seed=1, today=TODAY)

    partners = Counter(c.partner_key for c in plan.customers)
    regions = Counter(c.record.region for c in plan.customers)

    assert partners == {"northwind": 170, "blueharbor": 30}
    for region, share in {"US": 0.45, "EU": 0.30, "CA": 0.15, "UAE": 0.10}.items():
        assert abs(regions[region] - 200 * share) <= 1, region


def test_quota_list_gives_exact_counts_by_largest_remainder():
    assert Counter(quota_list(7, [("a", 45), ("b", 30), ("c", 15), ("d", 10)])) == {"a": 3, "b": 2, "c": 1, "d": 1}


def test_add_months_clamps_to_the_end_of_a_shorter_month():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 3, 15), -14) == dt.date(2025, 1, 15)


def test_a_customer_count_out_of_range_is_refused():
    with pytest.raises(DemoError, match="1 to 50000 customers, not 0"):
        build_plan(customers=0, seed=1, today=TODAY)


def test_snapshots_are_weekly_on_sundays_with_usage_within_assignment():
    plan = build_plan(customers=40, seed=2, today=TODAY)
    snapshots = [s for c in plan.customers for s in c.snapshots]
    per_line = Counter((s.subscription_id, s.sku) for s in snapshots)

    assert snapshots
    assert {s.week_on.weekday() for s in snapshots} == {6}
    assert all(s.used <= s.assigned for s in snapshots)
    assert max(per_line.values()) == SNAPSHOT_WEEKS
    assert max(s.week_on for s in snapshots) == week_start(TODAY)


def test_line_counts_of_today_match_the_latest_snapshot():
    plan = build_plan(customers=40, seed=2, today=TODAY)
    for customer in plan.customers:
        latest = {}
        for snap in customer.snapshots:
            latest[(snap.subscription_id, snap.sku)] = snap
        for sub in customer.subscriptions:
            for line in sub.lines:
                snap = latest.get((sub.subscription_id, line.sku))
                if snap is not None and snap.week_on == week_start(TODAY):
                    assert (snap.quantity, snap.assigned, snap.used) == (line.quantity, line.assigned, line.used)


def test_call_legs_look_like_real_calling_traffic():
    plan = build_plan(customers=60, seed=3, today=TODAY)
    legs = [
        leg
        for customer in plan.customers
        for leg in iter_call_legs(customer, partner_id=1, seed=3, today=TODAY, weeks=2)
    ]
    quality = [is_poor_quality(leg.jitter_ms, leg.latency_ms, leg.loss_pct) for leg in legs]
    measured = [poor for poor in quality if poor is not None]
    per_call = Counter(leg.call_id for leg in legs)

    assert len({leg.leg_id for leg in legs}) == len(legs)
    assert 0.03 <= sum(measured) / len(measured) <= 0.08
    assert 0 < quality.count(None) < 0.1 * len(legs)
    assert max(per_call.values()) >= 2
    assert {leg.endpoint_type for leg in legs} == {"desk_phone", "room_device", "app", "other_device"}
    assert {leg.media for leg in legs} == {"audio", "video"}
    assert {leg.feature for leg in legs} == {"", "hunt_group", "auto_attendant", "call_queue"}
    assert {leg.queue_outcome for leg in legs} >= {"answered", "abandoned"}
    assert all(leg.queue_wait_seconds is not None for leg in legs if leg.queue_outcome)
    assert min(leg.started_at for leg in legs).date() == week_start(TODAY) - dt.timedelta(weeks=2)
    assert max(leg.started_at for leg in legs).date() < TODAY


@pytest.mark.django_db(databases="__all__")
def test_every_status_appears_for_the_first_partner_even_in_a_small_demo():
    load_demo(customers=10, seed=5, today=TODAY, call_weeks=0)
    statuses = Counter(
        status
        for stored in Customer.objects.filter(partner__name="Northwind Collaboration").values_list(
            "statuses", flat=True
        )
        for status in stored.split(",")
        if status
    )

    assert set(statuses) == set(CustomerStatus.values)


@pytest.mark.django_db(databases="__all__")
def test_both_partners_are_live_with_admins_of_every_role_and_the_demo_password():
    summary = load_demo(customers=30, seed=5, today=TODAY, call_weeks=0)
    roles = {(name, role) for name, role in Admin.objects.values_list("partner__name", "role") if name is not None}
    pam = Admin.objects.get(email="pam@northwind.example")
    external = Admin.objects.get(email="ext@blueharbor.example")

    assert summary.sign_ins[0].email == "admin@northwind.example"
    assert all(partner.is_live for partner in PartnerOrg.objects.all())
    assert roles == {
        ("Northwind Collaboration", Role.FULL_ADMIN),
        ("Northwind Collaboration", Role.PARTNER_ADMIN),
        ("Northwind Collaboration", Role.READ_ONLY),
        ("Blue Harbor Networks", Role.FULL_ADMIN),
        ("Blue Harbor Networks", Role.EXTERNAL_ADMIN),
    }
    assert all(admin.check_password(DEMO_PASSWORD) for admin in Admin.objects.all())
    assert CustomerAccess.objects.filter(admin=pam, kind=AccessKind.ASSIGNED).count() == 20
    granted = CustomerAccess.objects.filter(admin=external, kind=AccessKind.GRANTED).values_list("org_id", flat=True)
    assert set(Customer.objects.filter(org_id__in=granted).values_list("partner__name", flat=True)) == {
        "Northwind Collaboration"
    }
    assert len(granted) == 5
    assert Tag.objects.filter(partner__name="Northwind Collaboration", customers__isnull=False).exists()


@pytest.mark.django_db(databases="__all__")
def test_the_data_feeds_page_lists_what_the_demo_loaded_for_each_partner():
    load_demo(customers=12, seed=5, today=TODAY, call_weeks=1)
    northwind = PartnerOrg.objects.get(name="Northwind Collaboration")
    scope = scope_for(Admin.objects.get(email="admin@northwind.example"))

    listed = batch_page(scope).object_list
    batches = {batch.kind: batch for batch in listed}

    assert [batch.kind for batch in listed] == [kind for kind in KINDS if kind != "admin-activity"]

    assert batches["customers"].rows == Customer.objects.filter(partner=northwind).count()
    legs = sum(
        CallLeg.objects.using(db_for(region)).filter(partner_id=northwind.pk).count() for region in Region.values
    )
    assert (batches["call-legs"].accepted, batches["call-legs"].source_label) == (legs, "Demo data")
    assert batches["call-legs"].sender_label == ""  # no admin, and not the operator's command line
    assert legs > 0


@pytest.mark.django_db(databases="__all__")
def test_a_reload_with_reset_and_the_same_seed_gives_the_same_customers():
    first = load_demo(customers=16, seed=9, today=TODAY, call_weeks=0)
    loaded = (directory(), subscription_ids())

    second = load_demo(customers=16, seed=9, today=TODAY, call_weeks=0, reset=True)

    assert (directory(), subscription_ids()) == loaded
    assert len(loaded[0]) == 16
    assert second.fingerprint == first.fingerprint
    assert second.rows == first.rows


@pytest.mark.django_db(databases="__all__")
def test_loading_twice_without_reset_is_refused():
    load_demo(customers=4, seed=1, today=TODAY, call_weeks=0)

    with pytest.raises(DemoAlreadyLoaded, match="already exist"):
        load_demo(customers=4, seed=1, today=TODAY, call_weeks=0)


@pytest.mark.django_db(databases="__all__")
def test_the_command_prints_the_first_partners_full_admin_first():
    out = StringIO()

    call_command("demo", "--customers", "12", "--seed", "4", "--today", "2026-11-26", "--call-weeks", "1", stdout=out)

    emails = [line.split()[0] for line in out.getvalue().splitlines() if "@" in line and "example" in line]
    assert emails[0] == "admin@northwind.example"
    assert "demo-password-2026" in out.getvalue()
    assert Customer.objects.count() == 12


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--customers", "0"], "out of range"),
        (["--customers", "many"], "not a whole number"),
        (["--today", "2026-13-01"], "YYYY-MM-DD"),
        (["--call-weeks", "99"], "out of range"),
    ],
)
def test_bad_command_arguments_are_a_clear_error(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("demo", *arguments)
