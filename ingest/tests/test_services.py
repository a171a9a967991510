import datetime as dt
import io
import uuid

import pytest

from accounts.models import AccessKind, AuditEvent, CustomerAccess
from accounts.scope import NotAllowed, partner_wide, scope_for
from accounts.tests.factories import AdminFactory
from calling.batch_figures import Counted, count_batch
from calling.models import NO_LOCATION, CallDailyRollup, CallLeg
from calling.services import recompute_rollups
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from ingest.fast_legs import CheckedLeg
from ingest.formats import BadLine, CsvReader, Item, NdjsonReader, Row
from ingest.services import BatchResult, Rejection, checked_call_legs, ingest_batch
from ingest.sources import open_rows
from ingest.validation import KINDS, parse_call_leg_row
from inventory.models import Device, Location, PhoneNumber
from subscriptions.models import Invoice, LicenseLine, LicenseSnapshot, Order, Subscription

from .samples import LOCATION_ID, csv_body, ndjson, sample_rows

pytestmark = pytest.mark.django_db(databases="__all__")

EU = "region_eu"


def rows_of(body: list[dict[str, object]]) -> list[Row]:
    return list(NdjsonReader(io.BytesIO(ndjson(body))))


@pytest.fixture
def customer(partner):
    return CustomerFactory(partner=partner, region="EU")


def ingest_all_kinds(scope, org_id) -> dict[str, BatchResult]:
    return {
        kind: ingest_batch(scope=scope, kind=kind, rows=rows_of(rows)) for kind, rows in sample_rows(org_id).items()
    }


def test_every_kind_is_accepted_and_written_to_the_customers_region(full_scope, customer):
    results = ingest_all_kinds(full_scope, customer.org_id)
    assert {kind: (r.accepted, r.duplicates, r.rejected) for kind, r in results.items()} == {
        kind: (2 if kind == "call-legs" else 1, 0, []) for kind in KINDS
    }
    org = customer.org_id
    assert Subscription.objects.using(EU).get(org_id=org).auto_renew is True
    assert LicenseLine.objects.using(EU).get(org_id=org).assigned == 60
    assert LicenseSnapshot.objects.using(EU).get(org_id=org).week_on == dt.date(2026, 1, 4)
    assert Invoice.objects.using(EU).get(org_id=org).currency == "EUR"
    assert Order.objects.using(EU).get(org_id=org).lines == [{"sku": "CALL-PRO", "product": "calling", "quantity": 50}]
    assert Location.objects.using(EU).get(org_id=org).country == "DE"
    assert Device.objects.using(EU).get(org_id=org).mac == "6C710D8ABC10"
    assert PhoneNumber.objects.using(EU).get(org_id=org).number == "+493012345678"
    assert CallLeg.objects.using(EU).filter(org_id=org).count() == 2
    customer.refresh_from_db()
    assert customer.name == "Acme Europe"
    assert customer.last_admin_activity_at == dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)


def test_rows_and_partner_come_from_the_customer_never_from_the_input(full_scope, customer):
    rows = sample_rows(customer.org_id)["locations"]
    rows[0]["partner_id"] = 999
    ingest_batch(scope=full_scope, kind="locations", rows=rows_of(rows))
    assert Location.objects.using(EU).get(org_id=customer.org_id).partner_id == customer.partner_id


def test_status_flags_are_recomputed_after_a_subscriptions_batch(full_scope, customer):
    ingest_batch(scope=full_scope, kind="subscriptions", rows=rows_of(sample_rows(customer.org_id)["subscriptions"]))
    customer.refresh_from_db()
    assert {"subscription", "license_overage"} <= set(customer.status_list)
    assert customer.product_list == ["calling"]


def test_counts_always_add_up_and_bad_rows_never_stop_good_ones(full_scope, customer):
    good = sample_rows(customer.org_id)["locations"][0]
    body = (
        ndjson([good])
        + b"{not json\n"
        + ndjson([{**good, "location_id": str(uuid.uuid4()), "country": "Germany"}])
        + b"\n"
        + ndjson([{**good, "location_id": str(uuid.uuid4()), "name": "Munich"}, good])
    )
    result = ingest_batch(scope=full_scope, kind="locations", rows=NdjsonReader(io.BytesIO(body)))
    assert (result.accepted, result.duplicates) == (2, 1)
    assert [r.line for r in result.rejected] == [2, 3]
    assert "'Germany' is not a 2-letter country code" in result.rejected[1].error
    assert result.rows == 5
    assert set(Location.objects.using(EU).values_list("name", flat=True)) == {"Berlin HQ", "Munich"}


def test_a_row_that_conflicts_with_stored_data_is_rejected_alone(full_scope, customer):
    rows = sample_rows(customer.org_id)
    ingest_batch(scope=full_scope, kind="subscriptions", rows=rows_of(rows["subscriptions"]))
    invoice = rows["invoices"][0]
    body = [invoice, {**invoice, "number": "INV-X", "subscription_id": "Sub-unknown"}, {**invoice, "number": "INV-Y"}]
    result = ingest_batch(scope=full_scope, kind="invoices", rows=rows_of(body))
    assert result.accepted == 2
    assert result.rejected == [Rejection(2, f"subscription Sub-unknown does not exist for customer {customer.org_id}")]
    assert Invoice.objects.using(EU).count() == 2


def test_another_partners_customer_is_rejected_with_the_words_of_an_unknown_one(full_scope):
    foreign = CustomerFactory(region="EU")
    unknown = uuid.uuid4()
    rows = sample_rows(foreign.org_id)["locations"] + [
        {**sample_rows(unknown)["locations"][0], "location_id": str(uuid.uuid4())}
    ]
    result = ingest_batch(scope=full_scope, kind="locations", rows=rows_of(rows))
    assert result.rejected[0].error == (
        f"org_id: {foreign.org_id} is not a customer you may write for (unknown, or not assigned to you)"
    )
    assert result.rejected[1].error == (
        f"org_id: {unknown} is not a customer you may write for (unknown, or not assigned to you)"
    )
    assert not Location.objects.using(EU).exists()


def test_a_partner_admin_cannot_ingest_for_an_unassigned_customer_and_nothing_is_written(partner):
    assigned, unassigned = CustomerFactory(partner=partner, region="EU"), CustomerFactory(partner=partner, region="EU")
    pam = AdminFactory(partner=partner, role="partner_admin")
    CustomerAccess.objects.create(admin=pam, org_id=assigned.org_id, kind=AccessKind.ASSIGNED)
    legs = sample_rows(unassigned.org_id)["call-legs"]
    result = ingest_batch(scope=scope_for(pam), kind="call-legs", rows=rows_of(legs))
    assert (result.accepted, [r.line for r in result.rejected]) == (0, [1, 2])
    assert "is not a customer you may write for" in result.rejected[0].error
    assert not CallLeg.objects.using(EU).exists()
    assert not CallDailyRollup.objects.using(EU).exists()


def test_legs_of_another_partners_customer_seen_through_a_grant_are_stored_as_that_partners(partner):
    theirs = CustomerFactory(region="EU")  # of a partner of its own
    pam = AdminFactory(partner=partner, role="partner_admin")
    CustomerAccess.objects.create(admin=pam, org_id=theirs.org_id, kind=AccessKind.GRANTED)
    legs = sample_rows(theirs.org_id)["call-legs"]
    result = ingest_batch(scope=scope_for(pam), kind="call-legs", rows=rows_of(legs))
    assert result.accepted == 2
    assert set(CallLeg.objects.using(EU).values_list("partner_id", flat=True)) == {theirs.partner_id}
    assert theirs.partner_id != partner.pk
    assert set(CallDailyRollup.objects.using(EU).values_list("partner_id", flat=True)) == {theirs.partner_id}


def test_a_partner_admin_updates_assigned_customers_but_cannot_add_new_ones(partner):
    assigned = CustomerFactory(partner=partner, region="EU", name="Old name")
    pam = AdminFactory(partner=partner, role="partner_admin")
    CustomerAccess.objects.create(admin=pam, org_id=assigned.org_id, kind=AccessKind.ASSIGNED)
    new_org = uuid.uuid4()
    rows = sample_rows(assigned.org_id)["customers"] + sample_rows(new_org)["customers"]
    result = ingest_batch(scope=scope_for(pam), kind="customers", rows=rows_of(rows))
    assert result.accepted == 1
    assert result.rejected == [
        Rejection(
            2,
            f"org_id: {new_org} is not one of your assigned customers; "
            "new customers are added by admins who see all of the partner's customers",
        )
    ]
    assert Customer.objects.get(org_id=assigned.org_id).name == "Acme Europe"
    assert not Customer.objects.filter(org_id=new_org).exists()


def test_a_full_admin_adds_customers_to_its_own_partner(full_scope, partner):
    new_org = uuid.uuid4()
    result = ingest_batch(
        scope=full_scope, kind="customers", rows=rows_of(sample_rows(new_org, region="US")["customers"])
    )
    assert result.accepted == 1
    created = Customer.objects.get(org_id=new_org)
    assert (created.partner_id, created.region, created.external_id) == (partner.pk, "US", "W-1")


def test_a_full_admin_cannot_claim_another_partners_org_id(full_scope):
    foreign = CustomerFactory(region="EU")
    result = ingest_batch(scope=full_scope, kind="customers", rows=rows_of(sample_rows(foreign.org_id)["customers"]))
    assert result.rejected == [Rejection(1, f"org_id: {foreign.org_id} is already registered to another partner")]
    assert Customer.objects.get(org_id=foreign.org_id).name != "Acme Europe"


def test_moving_a_customer_to_another_region_is_rejected(full_scope, customer):
    rows = sample_rows(customer.org_id, region="US")["customers"]
    result = ingest_batch(scope=full_scope, kind="customers", rows=rows_of(rows))
    assert result.rejected == [Rejection(1, f"customer {customer.org_id} lives in region EU, not US")]


def test_a_token_without_the_ingest_scope_is_refused(full_admin, customer):
    scope = scope_for(full_admin, token_scopes=frozenset({"read", "write"}))
    with pytest.raises(NotAllowed, match="ingest"):
        ingest_batch(scope=scope, kind="locations", rows=rows_of(sample_rows(customer.org_id)["locations"]))
    assert not Location.objects.using(EU).exists()


def test_a_read_only_admin_is_refused(partner, customer):
    with pytest.raises(NotAllowed, match="ingest"):
        ingest_batch(scope=scope_for(AdminFactory(partner=partner, role="read_only")), kind="locations", rows=[])


def test_an_unknown_kind_is_refused(full_scope):
    with pytest.raises(ValueError, match="unknown kind 'widgets'"):
        ingest_batch(scope=full_scope, kind="widgets", rows=[])


def test_each_batch_records_one_audit_event_with_its_counts_and_who(full_scope, full_admin, customer):
    rows = [*rows_of(sample_rows(customer.org_id)["locations"]), BadLine(2, "is not valid JSON")]
    ingest_batch(scope=full_scope, kind="locations", rows=rows, chunk_size=1)
    event = AuditEvent.objects.get(action="ingest.batch")
    assert (event.actor_id, event.partner_id, event.object_id) == (full_admin.pk, full_admin.partner_id, "locations")
    assert event.after == {
        "kind": "locations",
        "source": "api",
        "rows": 2,
        "accepted": 1,
        "duplicates": 0,
        "rejected": 1,
    }


def test_operator_ingestion_writes_for_every_customer_of_the_partner_with_no_actor(partner, customer):
    result = ingest_batch(
        scope=partner_wide(partner.pk),
        kind="locations",
        rows=rows_of(sample_rows(customer.org_id)["locations"]),
        source="cli",
    )
    assert result.accepted == 1
    event = AuditEvent.objects.get(action="ingest.batch")
    assert (event.actor_id, event.partner_id, event.after["source"]) == (None, partner.pk, "cli")


def test_call_legs_of_customers_in_two_regions_land_in_their_own_regions(full_scope, partner):
    eu, us = CustomerFactory(partner=partner, region="EU"), CustomerFactory(partner=partner, region="US")
    rows = sample_rows(eu.org_id)["call-legs"] + sample_rows(us.org_id)["call-legs"]
    result = ingest_batch(scope=full_scope, kind="call-legs", rows=rows_of(rows))
    assert result.accepted == 4
    assert set(CallLeg.objects.using("region_eu").values_list("org_id", flat=True)) == {eu.org_id}
    assert set(CallLeg.objects.using("region_us").values_list("org_id", flat=True)) == {us.org_id}


def test_call_legs_resent_are_duplicates_and_the_rollups_do_not_change(full_scope, customer):
    rows = sample_rows(customer.org_id)["call-legs"]
    ingest_batch(scope=full_scope, kind="call-legs", rows=rows_of(rows))
    before = list(CallDailyRollup.objects.using(EU).values())
    result = ingest_batch(scope=full_scope, kind="call-legs", rows=rows_of(rows + rows))
    assert (result.accepted, result.duplicates) == (0, 4)
    assert list(CallDailyRollup.objects.using(EU).values()) == before


def test_a_call_leg_naming_its_site_gets_the_sites_location_id(full_scope, customer):
    ingest_batch(scope=full_scope, kind="locations", rows=rows_of(sample_rows(customer.org_id)["locations"]))
    leg = {**sample_rows(customer.org_id)["call-legs"][0], "location_name": "berlin hq"}
    unknown_site = {**leg, "leg_id": "other", "location_name": "Atlantis"}
    ingest_batch(scope=full_scope, kind="call-legs", rows=rows_of([leg, unknown_site]))
    located = dict(CallLeg.objects.using(EU).values_list("leg_id", "location_id"))
    assert located == {leg["leg_id"]: uuid.UUID(LOCATION_ID), "other": None}


def counted_ahead(rows: list[dict[str, object]]) -> tuple[list[Item], Counted | None]:
    """The items and figures of a batch as the command's reading process hands them over."""
    items = list(checked_call_legs(rows_of(rows)))
    figures = count_batch(item.counted_row for item in items if isinstance(item, CheckedLeg))
    return items, None if figures is None else lambda: figures


def rollups_in(region: str) -> list[tuple[object, ...]]:
    columns = [f.name for f in CallDailyRollup._meta.concrete_fields if f.name != "id"]
    return sorted(CallDailyRollup.objects.using(region).values_list(*columns), key=repr)


def test_legs_counted_ahead_roll_up_as_derived_for_the_customers_in_scope_only(full_scope, customer):
    hidden = CustomerFactory(region="EU")  # another partner's
    items, counted = counted_ahead(sample_rows(customer.org_id)["call-legs"] + sample_rows(hidden.org_id)["call-legs"])
    result = ingest_batch(scope=full_scope, kind="call-legs", rows=items, counted=counted)
    assert (result.accepted, len(result.rejected)) == (2, 2)
    counted_rollups = rollups_in(EU)
    recompute_rollups(region="EU")
    assert counted_rollups == rollups_in(EU)
    assert {row[0] for row in counted_rollups} == {customer.org_id}


def test_legs_counted_ahead_that_name_their_site_roll_up_under_its_location(full_scope, customer):
    ingest_batch(scope=full_scope, kind="locations", rows=rows_of(sample_rows(customer.org_id)["locations"]))
    first, second = sample_rows(customer.org_id)["call-legs"]
    items, counted = counted_ahead([{**first, "location_name": "Berlin HQ"}, {**second, "location_name": "Atlantis"}])
    ingest_batch(scope=full_scope, kind="call-legs", rows=items, counted=counted)
    by_location = dict(CallDailyRollup.objects.using(EU).values_list("location_id", "legs"))
    assert by_location == {uuid.UUID(LOCATION_ID): 1, NO_LOCATION: 1}


def test_legs_counted_ahead_that_name_their_site_add_their_figures_without_grouping_legs_in_sql(
    full_scope, customer, monkeypatch
):
    ingest_batch(scope=full_scope, kind="locations", rows=rows_of(sample_rows(customer.org_id)["locations"]))
    monkeypatch.setattr("calling.services._roll_up", lambda store: pytest.fail("the legs were grouped in SQL"))
    first, second = sample_rows(customer.org_id)["call-legs"]
    spellings = [
        {**first, "location_id": None, "location_name": "Berlin HQ"},
        {**second, "location_id": None, "location_name": " berlin hq "},
        {**first, "leg_id": "elsewhere", "call_id": "c-9", "location_id": None, "location_name": "Atlantis"},
        {**second, "leg_id": "nowhere", "call_id": "c-10", "location_id": None},
    ]
    items, counted = counted_ahead(spellings)
    assert ingest_batch(scope=full_scope, kind="call-legs", rows=items, counted=counted).accepted == 4
    counted_rollups = rollups_in(EU)
    recompute_rollups(region="EU")
    assert counted_rollups == rollups_in(EU)


def test_call_legs_from_before_2000_or_the_future_are_rejected(full_scope, customer):
    leg = sample_rows(customer.org_id)["call-legs"][0]
    rows = [{**leg, "started_at": "1999-12-31T23:59:59Z"}, {**leg, "leg_id": "x", "started_at": "2999-01-01T00:00:00Z"}]
    result = ingest_batch(scope=full_scope, kind="call-legs", rows=rows_of(rows))
    assert [r.line for r in result.rejected] == [1, 2]
    assert result.rejected[0].error.startswith("started_at: 1999-12-31T23:59:59+00:00 is out of range")


def test_admin_activity_keeps_the_latest_time_and_refuses_the_future(full_scope, customer):
    org = str(customer.org_id)
    rows = [
        {"org_id": org, "at": "2026-01-05T10:00:00Z"},
        {"org_id": org, "at": "2026-01-07T10:00:00+02:00"},
        {"org_id": org, "at": "2026-01-06T10:00:00Z"},
        {"org_id": org, "at": "2999-01-01T00:00:00Z"},
    ]
    result = ingest_batch(scope=full_scope, kind="admin-activity", rows=rows_of(rows))
    assert (result.accepted, [r.line for r in result.rejected]) == (3, [4])
    customer.refresh_from_db()
    assert customer.last_admin_activity_at == dt.datetime(2026, 1, 7, 8, tzinfo=dt.UTC)


def test_csv_rows_with_one_license_line_each_build_up_a_subscription(full_scope, customer):
    row = sample_rows(customer.org_id)["subscriptions"][0]
    body = csv_body([row, {**row, "product": "meetings", "sku": "MEET-PRO", "quantity": "10", "assigned": "5"}])
    result = ingest_batch(scope=full_scope, kind="subscriptions", rows=CsvReader(io.BytesIO(body)))
    assert result.accepted == 2
    assert set(LicenseLine.objects.using(EU).values_list("sku", "quantity")) == {("CALL-PRO", 50), ("MEET-PRO", 10)}


def test_beyond_the_listing_limit_bad_rows_are_counted_not_listed(full_scope, monkeypatch):
    monkeypatch.setattr("ingest.services.MAX_LISTED_REJECTIONS", 2)
    rows = [BadLine(line, "is not valid JSON") for line in range(1, 6)]
    result = ingest_batch(scope=full_scope, kind="locations", rows=rows)
    assert ([r.line for r in result.rejected], result.rejected_unlisted, result.rows) == ([1, 2], 3, 5)
    assert AuditEvent.objects.get(action="ingest.batch").after["rejected"] == 5


def test_legs_checked_on_the_fast_path_and_by_the_full_validator_keep_line_order_and_stored_values(
    full_scope, customer
):
    leg = {
        "org_id": str(customer.org_id),
        "call_id": "c1",
        "started_at": "2026-01-06T09:30:00.250000+01:00",
        "duration_seconds": 60,
        "direction": "outbound",
        "endpoint_type": "desk_phone",
        "jitter_ms": 12.5,
        "feature": "call_queue",
        "queue_outcome": "answered",
        "queue_wait_seconds": 7,
    }
    full_validator_line = {**leg, "leg_id": "dup", "direction": " OUTBOUND "}  # not vouched for by the fast path
    fast_line = {**leg, "leg_id": "dup", "duration_seconds": 99}
    fast_only = {**leg, "leg_id": "fast"}
    body = io.BytesIO(ndjson([full_validator_line, fast_line, fast_only]))
    source = open_rows(body, kind="call-legs", syntax="ndjson")
    result = ingest_batch(scope=full_scope, kind="call-legs", rows=source)
    assert (result.accepted, result.duplicates) == (2, 1)
    stored = {row["leg_id"]: row for row in CallLeg.objects.using(EU).values()}
    assert (stored["dup"]["duration_seconds"], stored["dup"]["direction"]) == (60, "outbound")
    expected = parse_call_leg_row(fast_only).record
    assert {field: stored["fast"][field] for field in ("started_at", "jitter_ms", "queue_wait_seconds")} == {
        "started_at": expected.started_at,
        "jitter_ms": expected.jitter_ms,
        "queue_wait_seconds": expected.queue_wait_seconds,
    }
