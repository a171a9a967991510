"""SPEC 4: a customer's rows live in its region's database only, and the control database holds
no region data. Proven over a demo load, which writes every kind of region row."""

import datetime as dt
import uuid
from collections import defaultdict

import pytest
from django.apps import apps
from django.db import connections
from django.db.models import Model

from customers.models import Customer
from ingest.demo import load_demo
from inventory.models import Location
from regions.registry import CONTROL_ALIAS, Region, db_for
from regions.router import REGION_APP_LABELS
from subscriptions.models import LicenseLine, LicenseSnapshot, Subscription

pytestmark = pytest.mark.django_db(databases="__all__")

# Customer rows only: bookkeeping tables such as LicenseDataChange belong to the database itself.
REGION_MODELS: list[type[Model]] = [
    model
    for label in sorted(REGION_APP_LABELS)
    for model in apps.get_app_config(label).get_models()
    if any(field.name == "org_id" for field in model._meta.concrete_fields)
]
CONTROL_MODELS: list[type[Model]] = [
    model for label in ("accounts", "customers") for model in apps.get_app_config(label).get_models()
]


@pytest.fixture
def demo():
    return load_demo(customers=24, seed=11, today=dt.date(2026, 11, 26), call_weeks=1)


def owners_by_region(model: type[Model]) -> dict[str, set[tuple[uuid.UUID, int]]]:
    return {
        region: set(model._default_manager.using(db_for(region)).values_list("org_id", "partner_id").distinct())
        for region in Region.values
    }


def test_every_region_row_belongs_to_a_customer_of_that_region_and_its_partner(demo):
    rows = Customer.objects.values_list("org_id", "region", "partner_id")
    directory = {org_id: (region, partner_id) for org_id, region, partner_id in rows}
    misplaced: dict[str, list[str]] = defaultdict(list)
    for model in REGION_MODELS:
        for region, owners in owners_by_region(model).items():
            for org_id, partner_id in owners:
                if directory.get(org_id) != (region, partner_id):
                    misplaced[model.__name__].append(f"{org_id} in {region}: directory says {directory.get(org_id)}")

    assert dict(misplaced) == {}


def test_the_check_covers_every_kind_of_region_row_in_every_region(demo):
    empty_everywhere = [model.__name__ for model in REGION_MODELS if not any(owners_by_region(model).values())]
    regions_missing_rows = [
        (region, model.__name__)
        for region in Region.values
        for model in (Subscription, LicenseLine, LicenseSnapshot, Location)
        if not model.objects.using(db_for(region)).exists()
    ]

    assert set(Customer.objects.values_list("region", flat=True)) == set(Region.values)
    assert empty_everywhere == []
    assert regions_missing_rows == []


def test_the_control_database_has_no_region_tables_and_regions_have_no_control_tables():
    control_tables = set(connections[CONTROL_ALIAS].introspection.table_names())
    region_tables = {model._meta.db_table for model in REGION_MODELS}
    directory_tables = {model._meta.db_table for model in CONTROL_MODELS}

    assert region_tables & control_tables == set()
    for region in Region.values:
        tables = set(connections[db_for(region)].introspection.table_names())
        assert region_tables <= tables
        assert directory_tables & tables == set()
