import gzip
import io
import json
import os
import re
import sys
import uuid

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AccessKind, AuditEvent, CustomerAccess
from accounts.tests.factories import AdminFactory
from calling.models import NO_LOCATION, CallDailyRollup, CallLeg
from calling.services import recompute_rollups
from customers.tests.factories import CustomerFactory
from inventory.models import Location

from .samples import csv_body, ndjson, sample_rows
from .test_webex import body_of, call_records

pytestmark = pytest.mark.django_db(databases="__all__")

EU = "region_eu"


def run(*args, stdin=None, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        options["stdin"] = stdin
    call_command("ingest", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def customer(partner):
    return CustomerFactory(partner=partner, region="EU")


def test_a_dry_run_reports_what_a_real_run_would_and_stores_nothing(tmp_path, partner, customer):
    legs = sample_rows(customer.org_id)["call-legs"]
    path = tmp_path / "legs.ndjson"
    path.write_bytes(ndjson([*legs, legs[1], {"leg_id": "broken"}]))

    dry, dry_errors = run("call-legs", str(path), partner=partner.name, dry_run=True)

    assert not CallLeg.objects.using(EU).exists()
    assert not AuditEvent.objects.filter(action="ingest.batch").exists()
    assert "dry run: nothing was stored." in dry
    real, real_errors = run("call-legs", str(path), partner=partner.name)
    counts = ["accepted: 2", "duplicates: 1", "rejected: 1 (listed above with their line numbers)"]
    assert dry.splitlines()[1:4] == real.splitlines()[1:4] == counts
    assert "line 4: " in dry_errors
    assert "line 4: " in real_errors
    assert CallLeg.objects.using(EU).count() == 2


@pytest.mark.postgresql
def test_a_dry_run_on_postgresql_counts_a_repeat_of_an_earlier_batch_as_a_duplicate(tmp_path, partner, customer):
    legs = sample_rows(customer.org_id)["call-legs"]
    path = tmp_path / "legs.ndjson"
    path.write_bytes(ndjson([*legs, legs[0]]))

    out, _ = run("call-legs", str(path), partner=partner.name, dry_run=True, batch_size=2)

    assert out.splitlines()[1:3] == ["accepted: 2", "duplicates: 1"]
    assert "dry run: nothing was stored." in out.splitlines()
    assert not CallLeg.objects.using(EU).exists()


def test_a_spreadsheets_semicolon_separated_csv_is_ingested(tmp_path, partner, customer):
    rows = sample_rows(customer.org_id)["call-legs"]
    path = tmp_path / "legs.csv"
    path.write_bytes(csv_body(rows, delimiter=";"))
    out, _ = run("call-legs", str(path), partner=partner.name)
    assert f"accepted: {len(rows)}" in out.splitlines()
    assert CallLeg.objects.using(EU).filter(org_id=customer.org_id).count() == len(rows)


def test_a_file_in_another_encoding_is_read_with_encoding(tmp_path, partner, customer):
    location = sample_rows(customer.org_id)["locations"][0] | {"name": "Zürich Büro"}
    path = tmp_path / "sites.csv"
    path.write_bytes(csv_body([location], delimiter=";").decode().encode("windows-1252"))
    out, _ = run("locations", str(path), partner=partner.name, encoding="windows-1252")
    assert "accepted: 1" in out.splitlines()
    assert Location.objects.using(EU).get(org_id=customer.org_id).name == "Zürich Büro"


@pytest.mark.parametrize("syntax", ["ndjson", "csv"])
def test_every_kind_is_ingested_from_a_file_for_a_partner(tmp_path, partner, customer, syntax):
    summaries = {}
    for kind, rows in sample_rows(customer.org_id).items():
        path = tmp_path / f"{kind}.{syntax}"
        path.write_bytes(ndjson(rows) if syntax == "ndjson" else csv_body(rows))
        out, _ = run(kind, str(path), partner=partner.name)
        summaries[kind] = out.splitlines()[1:]
    expected = {
        kind: [
            f"accepted: {len(rows)}",
            "duplicates: 0",
            "rejected: 0",
            "ignored columns: none",
        ]
        for kind, rows in sample_rows(customer.org_id).items()
    }
    assert summaries == expected
    assert CallLeg.objects.using(EU).filter(org_id=customer.org_id).count() == 2


def test_call_legs_are_read_from_the_process_standard_input(monkeypatch, partner, customer):
    # The real descriptor, not a stand-in: the process reading ahead closes sys.stdin.
    reading, writing = os.pipe()
    os.write(writing, ndjson(sample_rows(customer.org_id)["call-legs"]))
    os.close(writing)
    with open(reading) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        out, _ = run("call-legs", "-", partner=partner.name)
    assert "accepted: 2" in out.splitlines()
    assert CallLeg.objects.using(EU).filter(org_id=customer.org_id).count() == 2


def test_standard_input_is_read_with_a_dash(partner, customer):
    out, _ = run(
        "locations", "-", partner=partner.name, stdin=io.BytesIO(ndjson(sample_rows(customer.org_id)["locations"]))
    )
    assert out.startswith("locations from standard input: 1 rows in ")
    assert Location.objects.using(EU).count() == 1


@pytest.mark.parametrize("name", ["legs.ndjson.gz", "legs.csv.gz"])
def test_a_gzip_file_is_read_as_its_rows_by_the_name_inside(tmp_path, partner, customer, name):
    rows = sample_rows(customer.org_id)["call-legs"]
    path = tmp_path / name
    path.write_bytes(gzip.compress(csv_body(rows) if ".csv" in name else ndjson(rows)))
    out, _ = run("call-legs", str(path), partner=partner.name)
    assert "accepted: 2" in out.splitlines()
    assert CallLeg.objects.using(EU).filter(org_id=customer.org_id).count() == 2


def test_gzip_data_on_standard_input_is_told_by_its_first_bytes(partner, customer):
    body = gzip.compress(csv_body(sample_rows(customer.org_id)["locations"]))
    out, _ = run("locations", "-", partner=partner.name, stdin=io.BytesIO(body))
    assert "accepted: 1" in out.splitlines()
    assert Location.objects.using(EU).count() == 1


def test_gzip_data_cut_short_keeps_the_batches_before_and_says_so(tmp_path, partner, customer):
    row = sample_rows(customer.org_id)["locations"][0]
    rows = [row | {"location_id": str(uuid.uuid4()), "name": f"Site {n}"} for n in range(2000)]
    body = gzip.compress(ndjson(rows))
    path = tmp_path / "locations.ndjson.gz"
    path.write_bytes(body[: len(body) * 3 // 4])
    with pytest.raises(CommandError, match=r"the gzip data is damaged or cut short \(.*\); the 1,000 rows before it"):
        run("locations", str(path), partner=partner.name, batch_size=1000)
    assert Location.objects.using(EU).count() == 1000


def test_rejected_rows_are_listed_on_stderr_with_their_line_numbers_and_progress_shows_the_rate(
    tmp_path, partner, customer
):
    location = sample_rows(customer.org_id)["locations"][0]
    path = tmp_path / "sites.ndjson"
    path.write_bytes(ndjson([location]) + b"oops\n" + ndjson([{**location, "country": "Deutschland"}]))
    out, err = run("locations", str(path), partner=partner.name, batch_size=1)
    assert "line 2: is not valid JSON: Expecting value (column 1)" in err
    assert "line 3: country: 'Deutschland' is not a 2-letter country code (e.g. DE)" in err
    assert "rows/s - accepted" in err
    assert "rejected: 2 (listed above with their line numbers)" in out
    assert AuditEvent.objects.filter(action="ingest.batch").count() == 3


def test_an_admin_ingests_only_for_the_customers_it_may_see(tmp_path, partner, customer):
    pam = AdminFactory(partner=partner, role="partner_admin", email="pam@example.com")
    other = CustomerFactory(partner=partner, region="EU")
    CustomerAccess.objects.create(admin=pam, org_id=other.org_id, kind=AccessKind.ASSIGNED)
    path = tmp_path / "legs.csv"
    path.write_bytes(csv_body(sample_rows(customer.org_id)["call-legs"] + sample_rows(other.org_id)["call-legs"]))
    out, err = run("call-legs", str(path), email="PAM@example.com")
    assert "accepted: 2" in out
    assert f"line 2: org_id: {customer.org_id} is not a customer you may write for" in err
    assert set(CallLeg.objects.using(EU).values_list("org_id", flat=True)) == {other.org_id}


def test_webex_call_records_are_imported_and_unused_columns_named(tmp_path, partner, customer):
    path = tmp_path / "cdr.csv"
    path.write_bytes(body_of(call_records(customer.org_id)))
    out, _ = run("call-legs", str(path), partner=partner.name, format="webex-cdr")
    assert "accepted: 7" in out
    assert "ignored columns: Call type, Call outcome, Hold Duration, Report time" in out


def test_webex_records_naming_their_sites_roll_up_under_the_sites_as_recomputed_from_the_legs(
    tmp_path, partner, customer
):
    site = Location.objects.using(EU).create(
        org_id=customer.org_id, partner_id=partner.pk, name="Berlin HQ", country="DE"
    )
    records = call_records(customer.org_id)
    records[1]["Location"] = "berlin hq"
    records[2]["Location"] = "Atlantis"  # no such site: no location
    path = tmp_path / "cdr.csv"
    path.write_bytes(body_of(records))
    run("call-legs", str(path), partner=partner.name, format="webex-cdr")
    columns = [f.name for f in CallDailyRollup._meta.concrete_fields if f.name != "id"]
    imported = sorted(CallDailyRollup.objects.using(EU).values_list(*columns), key=repr)
    assert {row[columns.index("location_id")] for row in imported} == {site.location_id, NO_LOCATION}
    recompute_rollups(region="EU")
    assert imported == sorted(CallDailyRollup.objects.using(EU).values_list(*columns), key=repr)


def test_a_page_of_the_detailed_call_history_api_is_imported_from_its_json_file(tmp_path, partner, customer):
    path = tmp_path / "cdr_feed.json"
    path.write_text(json.dumps({"items": call_records(customer.org_id)}, indent=2))
    out, _ = run("call-legs", str(path), partner=partner.name, format="webex-cdr")
    assert "accepted: 7" in out.splitlines()
    assert "ignored columns: Call type, Call outcome, Hold Duration, Report time" in out


@pytest.mark.parametrize(
    ("body", "options"),
    [
        (ndjson, {}),  # a .json file of one object per line is still NDJSON
        (lambda rows: json.dumps(rows).encode(), {}),
        (lambda rows: json.dumps({"items": rows}).encode(), {"format": "json"}),
    ],
)
def test_a_json_file_is_read_as_ndjson_or_as_one_document_by_its_first_line(tmp_path, partner, customer, body, options):
    rows = sample_rows(customer.org_id)["locations"]
    path = tmp_path / "sites.json"
    path.write_bytes(body(rows))
    out, _ = run("locations", str(path), partner=partner.name, **options)
    assert f"accepted: {len(rows)}" in out.splitlines()


@pytest.mark.parametrize(
    "encode",
    [ndjson, csv_body, lambda rows: json.dumps(rows, indent=2).encode(), lambda rows: b"\n\n" + ndjson(rows)],
)
def test_standard_input_is_read_as_json_or_csv_by_its_first_line(partner, customer, encode):
    rows = sample_rows(customer.org_id)["locations"]
    out, _ = run("locations", "-", partner=partner.name, stdin=io.BytesIO(encode(rows)))
    assert f"accepted: {len(rows)}" in out.splitlines()


@pytest.mark.parametrize("page", [False, True])
def test_webex_records_on_standard_input_are_csv_or_a_json_page(partner, customer, page):
    records = call_records(customer.org_id)
    body = json.dumps({"items": records}).encode() if page else body_of(records)
    out, _ = run("call-legs", "-", partner=partner.name, format="webex-cdr", stdin=io.BytesIO(body))
    assert "accepted: 7" in out.splitlines()


def test_a_json_document_of_another_shape_stops_before_any_row(tmp_path, partner, customer):
    path = tmp_path / "sites.json"
    path.write_text('{\n  "sites": []\n}\n')
    with pytest.raises(CommandError, match="the JSON document has no `items` array of records"):
        run("locations", str(path), partner=partner.name)


def test_a_webex_record_of_a_customer_not_ours_is_refused_in_the_webex_column_name(tmp_path, partner, customer):
    stranger = uuid.uuid4()
    path = tmp_path / "cdr.csv"
    path.write_bytes(body_of(call_records(customer.org_id)[:1] + call_records(stranger)[:1]))
    out, err = run("call-legs", str(path), partner=partner.name, format="webex-cdr")
    assert f"line 3: Org UUID: {stranger} is not a customer you may write for" in err
    assert "accepted: 1" in out.splitlines()


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (("locations", "x.ndjson"), {"partner": "Nobody Inc"}, "no partner org named 'Nobody Inc'"),
        (("locations", "x.ndjson"), {"email": "ghost@example.com"}, "no active admin with e-mail ghost@example.com"),
        (("locations", "/no/such/file.ndjson"), {"partner": "{partner}"}, "cannot read /no/such/file.ndjson"),
        (("locations", "sites.txt"), {"partner": "{partner}"}, "cannot tell the format of sites.txt"),
        (("devices", "-"), {"partner": "{partner}", "format": "webex-cdr"}, "ingest it as call-legs, not devices"),
        (("locations", "-"), {"partner": "{partner}", "batch_size": "0"}, "0 is out of range"),
        (("locations", "-"), {"partner": "{partner}", "encoding": "utf-16"}, "--encoding: the utf-16 encoding"),
        (("widgets", "-"), {"partner": "{partner}"}, "invalid choice: 'widgets'"),
        (("locations", "-"), {}, "one of the arguments --partner --email is required"),
    ],
)
def test_bad_arguments_are_clear_command_errors(partner, args, options, message):
    options = {key: value.format(partner=partner.name) for key, value in options.items()}
    with pytest.raises(CommandError, match=message):
        run(*args, stdin=io.BytesIO(b""), **options)


def test_a_read_only_admin_may_not_ingest(partner):
    AdminFactory(partner=partner, role="read_only", email="reader@example.com")
    with pytest.raises(CommandError, match=r"reader@example\.com may not ingest data"):
        run("locations", "-", email="reader@example.com", stdin=io.BytesIO(b""))


def test_an_unreadable_csv_header_stops_before_any_row(tmp_path, partner):
    path = tmp_path / "bad.csv"
    path.write_bytes(b'org_id,"name\n')
    with pytest.raises(CommandError, match="the CSV header"):
        run("locations", str(path), partner=partner.name)


@pytest.mark.postgresql
def test_on_postgresql_call_legs_reach_the_writer_ready_for_copy_and_roll_up_alike(
    tmp_path, partner, customer, monkeypatch
):
    from ingest.management.commands import ingest as command

    ready = []
    ingest_batch = command.ingest_batch

    def spy(**options):
        ready.append(options["ready_legs"] is not None)
        return ingest_batch(**options)

    monkeypatch.setattr(command, "ingest_batch", spy)
    legs = [
        {**sample_rows(customer.org_id)["call-legs"][0], "leg_id": f"leg-{n}", "call_id": f"call-{n // 3}"}
        for n in range(12)
    ]
    path = tmp_path / "legs.ndjson"
    path.write_bytes(ndjson(legs))
    out, _ = run("call-legs", str(path), partner=partner.name, batch_size=5)
    assert "accepted: 12" in out.splitlines()
    assert ready == [True, True, True, True]  # 1, 2, 4 and 5 legs: calls split between them
    stored = sorted(CallDailyRollup.objects.using(EU).values_list("day", "legs", "calls"))
    recompute_rollups(region="EU")
    assert stored == sorted(CallDailyRollup.objects.using(EU).values_list("day", "legs", "calls"))


def test_a_files_progress_shows_a_bar_of_how_much_is_read(tmp_path, partner, customer):
    path = tmp_path / "sites.ndjson"
    path.write_bytes(ndjson(sample_rows(customer.org_id)["locations"]))

    _out, err = run("locations", str(path), partner=partner.name)

    assert re.search(r"^\[#{20}\] 100% read, 1 rows, [\d,]+ rows/s - accepted 1, ", err, re.MULTILINE)


def test_standard_inputs_progress_has_no_bar_its_size_being_unknown(partner, customer):
    body = io.BytesIO(ndjson(sample_rows(customer.org_id)["locations"]))

    _out, err = run("locations", "-", stdin=body, format="ndjson", partner=partner.name)

    assert re.search(r"^1 rows, [\d,]+ rows/s - accepted 1, ", err, re.MULTILINE)


def test_an_admin_of_a_partner_org_not_yet_set_up_may_not_ingest(tmp_path, partner, customer):
    partner.terms_accepted_at = None
    partner.save()
    AdminFactory(partner=partner, role="full_admin", email="new@example.com")
    path = tmp_path / "sites.ndjson"
    path.write_bytes(ndjson(sample_rows(customer.org_id)["locations"]))

    with pytest.raises(CommandError, match="the set-up of its partner org is not finished"):
        run("locations", str(path), email="new@example.com")
    assert not Location.objects.using(EU).exists()
