import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest

from customers.tests.factories import CustomerFactory
from ingest.formats import CsvReader, NdjsonReader
from ingest.services import Rejection, ingest_batch
from ingest.validation import (
    FIELDS,
    PARSERS,
    RowInvalid,
    describe,
    parse_admin_activity,
    parse_call_leg_row,
    parse_customer,
    parse_device,
    parse_invoice,
    parse_number,
    parse_order,
    parse_snapshot,
    parse_subscription,
)
from subscriptions.models import LicenseLine, Order, Subscription

from .samples import csv_body, ndjson, sample_rows

ORG = uuid.UUID("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b")


@pytest.mark.parametrize("kind", list(PARSERS))
def test_the_sample_row_of_every_kind_is_valid_and_names_its_customer(kind):
    for row in sample_rows(ORG)[kind]:
        assert PARSERS[kind](row).org_id == ORG
        assert set(row) <= FIELDS[kind]


def errors_of(parse, row) -> dict[str, str]:
    with pytest.raises(RowInvalid) as refused:
        parse(row)
    return refused.value.errors


def test_every_bad_field_is_named_with_its_value():
    errors = errors_of(parse_customer, {"org_id": "acme", "name": "", "region": "Mars", "created_at": "yesterday"})
    assert errors == {
        "org_id": "'acme' is not a UUID (e.g. 4f6b1c1e-8f1a-4c1e-9f6b-1c1e8f1a4c1e)",
        "name": "is required",
        "region": "'Mars' is not one of US, CA, EU, UAE",
        "created_at": "'yesterday' is not an ISO 8601 date-time (e.g. 2026-01-04T09:30:00Z)",
    }


def test_wrong_json_types_are_named():
    errors = errors_of(parse_customer, {"org_id": 42, "name": ["a"], "region": True})
    assert errors == {
        "org_id": "expected a UUID, got a number",
        "name": "expected text, got a list",
        "region": "True is not one of US, CA, EU, UAE",
    }


def test_a_date_time_without_offset_is_ambiguous():
    errors = errors_of(parse_admin_activity, {"org_id": str(ORG), "at": "2026-01-05T10:00:00"})
    assert errors == {
        "at": "'2026-01-05T10:00:00' needs a UTC offset (e.g. 2026-01-04T09:30:00Z); without one it is ambiguous"
    }


def test_an_admin_activity_time_is_kept_in_utc():
    parsed = parse_admin_activity({"org_id": str(ORG), "at": "2026-01-05T12:00:00+02:00"})
    assert parsed.record == dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)


def test_dates_out_of_range_are_refused():
    row = {**sample_rows(ORG)["subscriptions"][0], "start_on": "0001-01-01", "end_on": "2026-13-01"}
    assert errors_of(parse_subscription, row) == {
        "start_on": "0001-01-01 is out of range (1970-01-01 to 2999-12-31)",
        "end_on": "'2026-13-01' is not a date of the form YYYY-MM-DD",
    }


def test_a_subscription_cannot_end_before_it_starts():
    row = {**sample_rows(ORG)["subscriptions"][0], "end_on": "2025-06-30"}
    assert errors_of(parse_subscription, row) == {"end_on": "2025-06-30 is before start_on 2026-01-01"}


def test_license_lines_may_come_as_a_list_and_their_errors_say_which():
    row = {
        "org_id": str(ORG),
        "subscription_id": "Sub-1",
        "kind": "trial",
        "state": "active",
        "start_on": "2026-01-01",
        "lines": [
            {"product": "meetings", "sku": "M-1", "quantity": 5},
            {"product": "fax", "sku": "F-1", "quantity": -1},
        ],
    }
    assert errors_of(parse_subscription, row) == {
        "lines[1].product": "'fax' is not one of meetings, calling, messaging, translation, contact_center",
        "lines[1].quantity": "-1 is out of range (0 to 2,147,483,647)",
    }
    row["lines"].pop()
    assert [line.sku for line in parse_subscription(row).record.lines] == ["M-1"]


def test_counts_must_be_whole_numbers():
    row = {**sample_rows(ORG)["license-snapshots"][0], "quantity": "ten", "assigned": 4.5, "used": True}
    assert errors_of(parse_snapshot, row) == {
        "quantity": "'ten' is not a whole number",
        "assigned": "4.5 is not a whole number",
        "used": "True is not a whole number",
    }


def test_snapshot_weeks_start_on_sunday():
    row = {**sample_rows(ORG)["license-snapshots"][0], "week_on": "2026-01-06"}
    assert errors_of(parse_snapshot, row) == {"week_on": "2026-01-06 is a Tuesday; license weeks start on Sunday"}


def test_amounts_have_two_decimals_and_currencies_three_letters():
    row = {**sample_rows(ORG)["invoices"][0], "total_amount": "12.345", "currency": "euro", "due_on": "2025-12-01"}
    assert errors_of(parse_invoice, row) == {
        "total_amount": "'12.345' has more than 2 decimal places",
        "currency": "'euro' is not a 3-letter currency code (e.g. EUR)",
        "due_on": "2025-12-01 is before issued_on 2026-01-01",
    }
    assert parse_invoice(sample_rows(ORG)["invoices"][0]).record.total_amount == Decimal("1250.00")


def test_order_lines_may_be_json_text_in_a_csv_cell():
    row = {
        **sample_rows(ORG)["orders"][0],
        "lines": '[{"product": "meetings", "sku": "A", "quantity": 2}]',
        "product": "",
        "sku": "",
        "quantity": "",
    }
    assert parse_order(row).record.lines == ({"product": "meetings", "sku": "A", "quantity": 2},)
    assert errors_of(parse_order, {**row, "lines": "[1, 2]"}) == {"lines": "expected a list of objects, got a list"}


def test_a_device_mac_is_twelve_hex_digits():
    row = {**sample_rows(ORG)["devices"][0], "mac": "00:11:22:33:44:GG"}
    assert errors_of(parse_device, row) == {"mac": "'00:11:22:33:44:GG' is not a MAC address of 12 hex digits"}


def test_a_phone_number_is_e164_or_an_extension():
    row = {"org_id": str(ORG), "country": "DE"}
    assert errors_of(parse_number, row) == {"number": "a number or an extension is required"}
    assert errors_of(parse_number, {**row, "number": "030 1234"}) == {
        "number": "'030 1234' is not an E.164 number (+ and 6 to 15 digits)"
    }
    assert parse_number({**row, "extension": "4711"}).record.extension == "4711"


def test_over_long_text_is_refused_with_its_length():
    row = {**sample_rows(ORG)["customers"][0], "name": "x" * 5000}
    assert errors_of(parse_customer, row) == {"name": "is 5,000 characters long; at most 200 are allowed"}


def test_call_legs_are_validated_by_the_calling_rules():
    row = {**sample_rows(ORG)["call-legs"][0], "direction": "sideways", "duration_seconds": "-5"}
    errors = errors_of(parse_call_leg_row, row)
    assert set(errors) == {"direction", "duration_seconds"}


def test_labels_name_fields_as_the_sender_knows_them():
    assert describe({"org_id": "is required", "x": "bad"}, {"org_id": "Org UUID"}) == "Org UUID: is required; x: bad"


EU = "region_eu"
PRODUCTS = "meetings, calling, messaging, translation, contact_center"


def order(number: str, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {**sample_rows(ORG)["orders"][0], "number": number}
    for name in ("product", "sku", "quantity"):
        row.pop(name)
    return {**row, **fields}


def test_each_bad_order_line_is_refused_naming_its_field():
    row = order("ORD-1", lines=[{"product": "teleport", "sku": 5, "quantity": "lots"}, {"junk": True}])
    assert errors_of(parse_order, row) == {
        "lines[0].product": f"'teleport' is not one of {PRODUCTS}",
        "lines[0].quantity": "'lots' is not a whole number",
        "lines[1].product": "is required",
        "lines[1].sku": "is required",
        "lines[1].quantity": "is required",
    }


def test_an_order_line_has_at_least_one_seat_and_a_sku_of_at_most_60_characters():
    row = order("ORD-1", lines=[{"product": "calling", "sku": "x" * 61, "quantity": 0}])
    assert errors_of(parse_order, row) == {
        "lines[0].sku": "is 61 characters long; at most 60 are allowed",
        "lines[0].quantity": "0 is out of range (1 to 2,147,483,647)",
    }


def test_a_flat_order_line_without_a_sku_is_refused_not_dropped():
    row = order("ORD-1", product="calling", quantity="5")
    assert errors_of(parse_order, row) == {"sku": "is required"}


def test_an_order_without_any_line_is_refused():
    why = "an order needs at least one line (lines, or product, sku and quantity)"
    assert errors_of(parse_order, order("ORD-1")) == {"lines": why}
    assert errors_of(parse_order, order("ORD-1", lines=[])) == {"lines": why}


def test_an_order_line_keeps_only_product_sku_and_quantity():
    row = order("ORD-1", lines=[{"product": "Calling", "sku": " CALL-PRO ", "quantity": "5", "note": "x"}])
    assert parse_order(row).record.lines == ({"product": "calling", "sku": "CALL-PRO", "quantity": 5},)


def test_an_order_may_list_a_sku_twice_since_its_lines_are_kept_as_sent():
    lines = [{"product": "calling", "sku": "A", "quantity": 1}, {"product": "calling", "sku": "A", "quantity": 2}]
    assert [line["quantity"] for line in parse_order(order("ORD-1", lines=lines)).record.lines] == [1, 2]


def subscription(subscription_id: str, *skus: str) -> dict[str, object]:
    row: dict[str, object] = {**sample_rows(ORG)["subscriptions"][0], "subscription_id": subscription_id}
    for name in ("product", "sku", "quantity", "assigned", "used"):
        row.pop(name)
    return {**row, "lines": [{"product": "meetings", "sku": sku, "quantity": 5} for sku in skus]}


def test_license_lines_repeating_a_sku_are_refused_naming_the_sku():
    assert errors_of(parse_subscription, subscription("Sub-1", "A", "B", "A")) == {"lines": "sku 'A' appears twice"}
    assert errors_of(parse_subscription, subscription("Sub-1", "A", "B", "A", "B", "B")) == {
        "lines": "sku 'A' appears twice, sku 'B' appears 3 times"
    }


def test_a_flat_license_line_repeating_a_listed_sku_is_refused():
    row = {**subscription("Sub-1", "CALL-PRO"), "product": "calling", "sku": "CALL-PRO", "quantity": "5"}
    assert errors_of(parse_subscription, row) == {"lines": "sku 'CALL-PRO' appears twice"}


@pytest.fixture
def eu_customer(partner):
    return CustomerFactory(partner=partner, region="EU")


@pytest.fixture
def subscription_id(full_scope, eu_customer) -> str:
    rows = sample_rows(eu_customer.org_id)["subscriptions"]
    ingest_batch(scope=full_scope, kind="subscriptions", rows=NdjsonReader(io.BytesIO(ndjson(rows))))
    return str(rows[0]["subscription_id"])


def batch_orders(customer, subscription_id: str, *rows: dict[str, object]) -> list[dict[str, object]]:
    return [{**row, "org_id": str(customer.org_id), "subscription_id": subscription_id} for row in rows]


@pytest.mark.django_db(databases="__all__")
def test_bad_order_lines_in_ndjson_reject_their_rows_alone(full_scope, eu_customer, subscription_id):
    good = {"product": "calling", "sku": "CALL-PRO", "quantity": 5}
    body = batch_orders(
        eu_customer,
        subscription_id,
        order("ORD-GOOD-1", lines=[good]),
        order("ORD-BAD-1", lines=[{"product": "teleport", "sku": 5, "quantity": "lots"}, {"junk": True}]),
        order("ORD-BAD-2", lines=[{**good, "quantity": 0}]),
        order("ORD-BAD-3"),
        order("ORD-GOOD-2", lines=[good, {**good, "product": "meetings", "sku": "MTG"}]),
    )
    result = ingest_batch(scope=full_scope, kind="orders", rows=NdjsonReader(io.BytesIO(ndjson(body))))
    assert result.accepted == 2
    assert result.rejected == [
        Rejection(
            2,
            f"lines[0].product: 'teleport' is not one of {PRODUCTS}; lines[0].quantity: 'lots' is not a whole "
            "number; lines[1].product: is required; lines[1].sku: is required; lines[1].quantity: is required",
        ),
        Rejection(3, "lines[0].quantity: 0 is out of range (1 to 2,147,483,647)"),
        Rejection(4, "lines: an order needs at least one line (lines, or product, sku and quantity)"),
    ]
    stored = dict(Order.objects.using(EU).filter(org_id=eu_customer.org_id).values_list("number", "lines"))
    assert stored == {
        "ORD-GOOD-1": [good],
        "ORD-GOOD-2": [good, {**good, "product": "meetings", "sku": "MTG"}],
    }


@pytest.mark.django_db(databases="__all__")
def test_bad_flat_order_lines_in_csv_reject_their_rows_alone(full_scope, eu_customer, subscription_id):
    body = batch_orders(
        eu_customer,
        subscription_id,
        order("ORD-GOOD", product="calling", sku="CALL-PRO", quantity="5"),
        order("ORD-NO-SKU", product="calling", sku="", quantity="5"),
        order("ORD-NO-LINE", product="", sku="", quantity=""),
    )
    result = ingest_batch(scope=full_scope, kind="orders", rows=CsvReader(io.BytesIO(csv_body(body))))
    assert result.accepted == 1
    assert result.rejected == [
        Rejection(3, "sku: is required"),
        Rejection(4, "lines: an order needs at least one line (lines, or product, sku and quantity)"),
    ]
    stored = dict(Order.objects.using(EU).filter(org_id=eu_customer.org_id).values_list("number", "lines"))
    assert stored == {"ORD-GOOD": [{"product": "calling", "sku": "CALL-PRO", "quantity": 5}]}


@pytest.mark.django_db(databases="__all__")
def test_a_subscription_repeating_a_sku_is_rejected_and_nothing_of_it_stored(full_scope, eu_customer):
    org = str(eu_customer.org_id)
    body = [
        {**subscription("Sub-GOOD", "A", "B"), "org_id": org},
        {**subscription("Sub-BAD", "A", "A"), "org_id": org},
    ]
    result = ingest_batch(scope=full_scope, kind="subscriptions", rows=NdjsonReader(io.BytesIO(ndjson(body))))
    assert result.accepted == 1
    assert result.rejected == [Rejection(2, "lines: sku 'A' appears twice")]
    assert list(Subscription.objects.using(EU).values_list("subscription_id", flat=True)) == ["Sub-GOOD"]
    assert sorted(LicenseLine.objects.using(EU).values_list("sku", flat=True)) == ["A", "B"]
