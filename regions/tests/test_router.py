import datetime as dt
import uuid

import pytest
from django.db import connections

from regions.context import region_atomic, region_scope
from regions.registry import UnknownRegion, db_for
from regions.router import RegionNotChosen
from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db(databases="__all__", transaction=False)


def make_subscription(**fields):
    defaults = dict(
        subscription_id=f"Sub-{uuid.uuid4().hex[:6]}",
        org_id=uuid.uuid4(),
        partner_id=1,
        kind="paid",
        state="active",
        start_on=dt.date(2026, 1, 1),
    )
    return Subscription(**(defaults | fields))


def test_region_code_maps_to_its_alias():
    assert db_for("eu") == "region_eu"


def test_unknown_region_is_refused_with_its_name():
    with pytest.raises(UnknownRegion, match="'XX'"):
        db_for("XX")


def test_region_model_without_region_refuses_to_guess():
    with pytest.raises(RegionNotChosen, match="Subscription"):
        Subscription.objects.count()


def test_write_inside_region_scope_lands_in_that_region_only():
    with region_atomic("EU"):
        make_subscription(subscription_id="Sub-eu-1").save()
    assert Subscription.objects.using("region_eu").filter(subscription_id="Sub-eu-1").exists()
    assert not Subscription.objects.using("region_us").filter(subscription_id="Sub-eu-1").exists()


def test_instance_database_wins_over_current_region():
    subscription = make_subscription(subscription_id="Sub-us-1")
    subscription.save(using="region_us")
    with region_scope("EU"):
        subscription.auto_renew = True
        subscription.save()
        subscription.delete()
    assert not Subscription.objects.using("region_us").filter(subscription_id="Sub-us-1").exists()


def test_region_tables_exist_only_in_region_databases():
    control_tables = connections["default"].introspection.table_names()
    region_tables = connections["region_ca"].introspection.table_names()
    assert "subscriptions_subscription" not in control_tables
    assert "subscriptions_subscription" in region_tables
    assert "customers_customer" not in region_tables
