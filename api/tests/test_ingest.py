import gzip
import json
import uuid

import pytest

from accounts.models import AccessKind, AuditEvent, CustomerAccess
from accounts.tests.factories import AdminFactory
from calling.models import CallDailyRollup, CallLeg
from customers.tests.factories import CustomerFactory
from ingest.tests.samples import csv_body, ndjson, sample_rows
from ingest.tests.test_webex import body_of, call_records
from ingest.validation import KINDS
from inventory.models import Location

pytestmark = pytest.mark.django_db(databases="__all__")

EU = "region_eu"
CONTENT_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv", "json": "application/json"}
ENCODERS = {"ndjson": ndjson, "csv": csv_body, "json": lambda rows: json.dumps(rows).encode()}


def post(client, headers, kind, body, content_type="application/x-ndjson", query="", **extra):
    return client.post(f"/api/v1/ingest/{kind}{query}", body, content_type=content_type, **headers, **extra)


def post_bytes(client, headers, kind, body, content_type):
    """POST the body's bytes as they are (`post` has the test client re-encode them to the charset)."""
    return client.generic("POST", f"/api/v1/ingest/{kind}", body, content_type=content_type, **headers)


@pytest.fixture
def customer(partner):
    return CustomerFactory(partner=partner, region="EU")


@pytest.fixture
def ingest_headers(bearer, full_admin):
    return bearer(full_admin, scopes=("ingest",))


@pytest.mark.parametrize("syntax", ["ndjson", "csv", "json"])
def test_every_kind_is_accepted_as_ndjson_csv_and_a_json_document(client, ingest_headers, customer, syntax):
    encode = ENCODERS[syntax]
    answers = {
        kind: post(client, ingest_headers, kind, encode(rows), CONTENT_TYPES[syntax]).json()
        for kind, rows in sample_rows(customer.org_id).items()
    }
    assert answers == {
        kind: {
            "accepted": 2 if kind == "call-legs" else 1,
            "duplicates": 0,
            "rejected": [],
            "rejected_unlisted": 0,
            "ignored_columns": [],
            "dry_run": False,
        }
        for kind in KINDS
    }
    assert CallLeg.objects.using(EU).filter(org_id=customer.org_id).count() == 2


def test_the_answer_accounts_for_every_row_with_line_numbers(client, ingest_headers, customer):
    location = sample_rows(customer.org_id)["locations"][0]
    body = ndjson([location, {**location, "location_id": "nope"}]) + b"\n" + ndjson([location, {"colour": "red"}])
    response = post(client, ingest_headers, "locations", body)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["accepted"], answer["duplicates"]) == (1, 1)
    assert [r["line"] for r in answer["rejected"]] == [2, 5]
    assert answer["rejected"][0]["error"].startswith("location_id: 'nope' is not a UUID")
    assert answer["rejected"][1]["error"].startswith("org_id: is required")
    assert answer["ignored_columns"] == ["colour"]
    assert answer["accepted"] + answer["duplicates"] + len(answer["rejected"]) == 4  # line 3 is blank


def test_a_token_without_the_ingest_scope_is_refused(client, bearer, full_admin, customer):
    headers = bearer(full_admin, scopes=("read", "write"))
    response = post(client, headers, "locations", ndjson(sample_rows(customer.org_id)["locations"]))
    assert response.status_code == 403
    assert response.json() == {
        "detail": "this token lacks the ingest scope; create one with the scopes read, write, ingest",
        "errors": [],
    }
    assert not Location.objects.using(EU).exists()


def test_no_token_is_a_401(client, customer):
    assert post(client, {}, "locations", ndjson(sample_rows(customer.org_id)["locations"])).status_code == 401


def test_a_partner_admins_token_cannot_ingest_for_an_unassigned_customer(client, bearer, partner, customer):
    pam = AdminFactory(partner=partner, role="partner_admin")
    CustomerAccess.objects.create(admin=pam, org_id=CustomerFactory(partner=partner).org_id, kind=AccessKind.ASSIGNED)
    response = post(
        client, bearer(pam, scopes=("ingest",)), "call-legs", ndjson(sample_rows(customer.org_id)["call-legs"])
    )
    assert response.status_code == 200
    assert response.json()["accepted"] == 0
    assert [r["line"] for r in response.json()["rejected"]] == [1, 2]
    assert not CallLeg.objects.using(EU).exists()
    assert not CallDailyRollup.objects.using(EU).exists()


def test_a_body_over_the_limit_is_a_413_before_anything_is_read(client, ingest_headers, customer, settings):
    settings.PARTNERHUB_INGEST_MAX_BYTES = 100
    response = post(client, ingest_headers, "locations", ndjson(sample_rows(customer.org_id)["locations"]))
    assert response.status_code == 413
    assert "at most 100 are taken per request" in response.json()["detail"]
    assert not Location.objects.using(EU).exists()


def test_a_dry_run_answers_as_the_real_request_would_and_stores_nothing(client, ingest_headers, customer):
    legs = sample_rows(customer.org_id)["call-legs"]
    body = ndjson([*legs, legs[0], {"leg_id": "broken"}])

    dry = post(client, ingest_headers, "call-legs", body, query="?dry_run=true").json()

    assert (dry["accepted"], dry["duplicates"], len(dry["rejected"]), dry["dry_run"]) == (2, 1, 1, True)
    assert not CallLeg.objects.using(EU).exists()
    assert not CallDailyRollup.objects.using(EU).exists()
    assert not AuditEvent.objects.filter(action="ingest.batch").exists()
    real = post(client, ingest_headers, "call-legs", body).json()
    assert {**dry, "dry_run": False} == real
    assert CallLeg.objects.using(EU).count() == 2


def test_a_dry_run_sees_what_is_stored(client, ingest_headers, customer):
    body = ndjson(sample_rows(customer.org_id)["call-legs"])
    post(client, ingest_headers, "call-legs", body)

    dry = post(client, ingest_headers, "call-legs", body, query="?dry_run=true").json()

    assert (dry["accepted"], dry["duplicates"]) == (0, 2)


def test_a_body_sent_in_chunks_is_a_411_not_an_empty_batch(client, ingest_headers, customer):
    body = ndjson(sample_rows(customer.org_id)["locations"])
    response = client.generic(
        "POST",
        "/api/v1/ingest/locations",
        body,
        content_type="application/x-ndjson",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
        **ingest_headers,
    )
    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]


@pytest.mark.parametrize("content_type", ["application/xml", "text/plain"])
def test_other_content_types_are_a_415(client, ingest_headers, customer, content_type):
    response = post(client, ingest_headers, "locations", b"{}", content_type)
    assert response.status_code == 415
    assert "application/x-ndjson, text/csv or application/json, not" in response.json()["detail"]


@pytest.mark.parametrize(
    ("charset", "why"),
    [("klingon", "'klingon' is not a known text encoding"), ("utf-16", "the utf-16 encoding is not read")],
)
def test_a_charset_that_cannot_be_read_is_a_415(client, ingest_headers, customer, charset, why):
    response = post_bytes(client, ingest_headers, "locations", b"org_id\n", f"text/csv; charset={charset}")
    assert response.status_code == 415
    assert why in response.json()["detail"]


def test_a_body_in_another_charset_is_read_in_it(client, ingest_headers, customer):
    location = sample_rows(customer.org_id)["locations"][0] | {"name": "Zürich Büro"}
    body = csv_body([location]).decode().encode("windows-1252")
    answer = post_bytes(client, ingest_headers, "locations", body, "text/csv; charset=windows-1252").json()
    assert answer["accepted"] == 1
    assert Location.objects.using(EU).get(org_id=customer.org_id).name == "Zürich Büro"


def locations(org_id, count):
    row = sample_rows(org_id)["locations"][0]
    return [row | {"location_id": str(uuid.uuid4()), "name": f"Site {n}"} for n in range(count)]


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip"])
def test_a_gzip_body_is_read_as_its_rows(client, ingest_headers, customer, encoding):
    body = gzip.compress(ndjson(locations(customer.org_id, 3)))
    response = post(client, ingest_headers, "locations", body, HTTP_CONTENT_ENCODING=encoding)
    assert response.status_code == 200
    assert response.json()["accepted"] == 3
    assert Location.objects.using(EU).filter(org_id=customer.org_id).count() == 3


def test_gzip_members_one_after_another_are_one_body(client, ingest_headers, customer):
    rows = locations(customer.org_id, 4)
    body = gzip.compress(ndjson(rows[:2])) + gzip.compress(ndjson(rows[2:]))
    response = post(client, ingest_headers, "locations", body, HTTP_CONTENT_ENCODING="gzip")
    assert response.json()["accepted"] == 4


def test_another_compression_is_a_415_not_rows_of_garbage(client, ingest_headers, customer):
    body = gzip.compress(ndjson(locations(customer.org_id, 1)))
    response = post(client, ingest_headers, "locations", body, HTTP_CONTENT_ENCODING="br")
    assert response.status_code == 415
    assert response.json()["detail"] == (
        "Send the body uncompressed or gzip-compressed; Content-Encoding br is not taken."
    )
    assert not Location.objects.using(EU).exists()


def test_a_gzip_body_that_expands_beyond_the_limit_is_a_413_with_nothing_stored(
    client, ingest_headers, customer, settings
):
    rows = ndjson(locations(customer.org_id, 40))
    body = gzip.compress(rows)
    settings.PARTNERHUB_INGEST_MAX_BYTES = len(rows) - 1
    assert len(body) < settings.PARTNERHUB_INGEST_MAX_BYTES  # the compressed size alone passes
    response = post(client, ingest_headers, "locations", body, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    assert response.json()["detail"] == (
        f"The body decompresses to more than {len(rows) - 1:,} bytes, the most taken per request. "
        "Send it in several batches."
    )
    assert not Location.objects.using(EU).exists()


def test_a_damaged_gzip_body_is_a_400_with_nothing_stored(client, ingest_headers, customer):
    body = bytearray(gzip.compress(ndjson(locations(customer.org_id, 2))))
    body[12] ^= 0xFF  # inside the deflate stream
    response = post(client, ingest_headers, "locations", bytes(body), HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body is not valid gzip (")
    assert not Location.objects.using(EU).exists()


def test_a_gzip_body_cut_short_is_a_400_with_nothing_stored(client, ingest_headers, customer):
    body = gzip.compress(ndjson(locations(customer.org_id, 2)))
    response = post(client, ingest_headers, "locations", body[: len(body) // 2], HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert response.json()["detail"] == "The gzip body is cut short: it ends inside its compressed data."
    assert not Location.objects.using(EU).exists()


def test_the_same_rows_gzipped_replay_the_answer_of_their_key(client, ingest_headers, customer):
    rows = ndjson(locations(customer.org_id, 2))
    first = post(client, ingest_headers, "locations", rows, HTTP_IDEMPOTENCY_KEY="gz-1")
    replay = post(
        client,
        ingest_headers,
        "locations",
        gzip.compress(rows),
        HTTP_IDEMPOTENCY_KEY="gz-1",
        HTTP_CONTENT_ENCODING="gzip",
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()


def test_a_keyed_gzip_body_is_set_aside_once_and_its_rows_stored(client, ingest_headers, customer, monkeypatch):
    import tempfile

    from api import ingest as api_ingest

    spools = []
    spooled_file = tempfile.SpooledTemporaryFile

    def counted_spool(*args: object, **kwargs: object) -> object:
        spool = spooled_file(*args, **kwargs)  # type: ignore[call-overload]
        spools.append(spool)
        return spool

    monkeypatch.setattr(api_ingest.tempfile, "SpooledTemporaryFile", counted_spool)
    body = gzip.compress(ndjson(locations(customer.org_id, 2)))
    response = post(
        client, ingest_headers, "locations", body, HTTP_IDEMPOTENCY_KEY="gz-2", HTTP_CONTENT_ENCODING="gzip"
    )
    assert response.json()["accepted"] == 2
    assert len(spools) == 1  # the decompressed rows, hashed and read where they are
    assert Location.objects.using(EU).filter(org_id=customer.org_id).count() == 2


def test_an_unknown_kind_is_a_422_naming_the_kinds(client, ingest_headers):
    response = post(client, ingest_headers, "widgets", b"{}\n")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("kind")
    assert "'call-legs'" in response.json()["errors"][0]["message"]


def test_an_unreadable_csv_header_is_a_422(client, ingest_headers):
    response = post(client, ingest_headers, "locations", b"org_id,org_id\n1,2\n", "text/csv")
    assert response.status_code == 422
    assert response.json()["detail"] == "the CSV header names the column 'org_id' twice"


def test_an_empty_body_accepts_nothing(client, ingest_headers):
    assert post(client, ingest_headers, "locations", b"\n").json() == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": [],
        "rejected_unlisted": 0,
        "ignored_columns": [],
        "dry_run": False,
    }


def test_a_replay_with_the_same_idempotency_key_returns_the_stored_answer(client, ingest_headers, customer):
    body = ndjson(sample_rows(customer.org_id)["call-legs"])
    first = post(client, ingest_headers, "call-legs", body, HTTP_IDEMPOTENCY_KEY="batch-0001")
    CallLeg.objects.using(EU).all().delete()  # a replay must not write again, so this stays empty
    replay = post(client, ingest_headers, "call-legs", body, HTTP_IDEMPOTENCY_KEY="batch-0001")
    assert first.json()["accepted"] == 2
    assert (replay.status_code, replay.json()) == (200, first.json())
    assert replay["Idempotent-Replayed"] == "true"
    assert not CallLeg.objects.using(EU).exists()
    assert AuditEvent.objects.filter(action="ingest.batch").count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_422(client, ingest_headers, customer):
    legs = sample_rows(customer.org_id)["call-legs"]
    post(client, ingest_headers, "call-legs", ndjson(legs[:1]), HTTP_IDEMPOTENCY_KEY="k-1")
    response = post(client, ingest_headers, "call-legs", ndjson(legs), HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert "already used for a different request" in response.json()["detail"]
    assert CallLeg.objects.using(EU).count() == 1


def test_the_same_idempotency_key_for_another_kind_is_a_422(client, ingest_headers, customer):
    post(client, ingest_headers, "locations", b"\n", HTTP_IDEMPOTENCY_KEY="k-2")
    assert post(client, ingest_headers, "devices", b"\n", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 422


def test_the_same_idempotency_key_for_the_same_bytes_in_another_charset_is_a_422(client, ingest_headers, customer):
    body = csv_body([sample_rows(customer.org_id)["locations"][0] | {"name": "Zürich"}]).decode().encode("latin-1")
    key = {"HTTP_IDEMPOTENCY_KEY": "k-3", **ingest_headers}
    assert post_bytes(client, key, "locations", body, "text/csv; charset=latin-1").status_code == 200
    assert post_bytes(client, key, "locations", body, "text/csv; charset=windows-1252").status_code == 422


def test_idempotency_keys_belong_to_the_tokens_admin(client, bearer, ingest_headers, partner, customer):
    body = ndjson(sample_rows(customer.org_id)["locations"])
    post(client, ingest_headers, "locations", body, HTTP_IDEMPOTENCY_KEY="shared")
    other = bearer(AdminFactory(partner=partner, role="full_admin"), scopes=("ingest",))
    response = post(client, other, "locations", body, HTTP_IDEMPOTENCY_KEY="shared")
    assert "Idempotent-Replayed" not in response
    assert AuditEvent.objects.filter(action="ingest.batch").count() == 2


def test_an_unusable_idempotency_key_is_a_422(client, ingest_headers):
    response = post(client, ingest_headers, "locations", b"\n", HTTP_IDEMPOTENCY_KEY="x" * 201)
    assert response.status_code == 422
    assert "1 to 200 printable ASCII characters" in response.json()["detail"]


def test_a_request_that_failed_does_not_keep_its_key(client, ingest_headers):
    assert (
        post(client, ingest_headers, "locations", b"a,a\n", "text/csv", HTTP_IDEMPOTENCY_KEY="k-3").status_code == 422
    )
    assert post(client, ingest_headers, "locations", b"\n", HTTP_IDEMPOTENCY_KEY="k-3").status_code == 200


@pytest.mark.parametrize(
    ("encode", "content_type"),
    [
        (body_of, "text/csv"),
        # A page of the Detailed Call History API, as it was downloaded.
        (lambda records: json.dumps({"items": records}).encode(), "application/json"),
    ],
)
def test_webex_call_records_are_imported_with_format_webex_cdr(client, ingest_headers, customer, encode, content_type):
    body = encode(call_records(customer.org_id))
    response = post(client, ingest_headers, "call-legs", body, content_type, query="?format=webex-cdr")
    assert response.json() == {
        "accepted": 7,
        "duplicates": 0,
        "rejected": [],
        "rejected_unlisted": 0,
        "ignored_columns": ["Call type", "Call outcome", "Hold Duration", "Report time"],
        "dry_run": False,
    }
    assert CallLeg.objects.using(EU).filter(org_id=customer.org_id).count() == 7


def test_a_json_document_rejects_records_by_their_position(client, ingest_headers, customer):
    location = sample_rows(customer.org_id)["locations"][0]
    body = json.dumps({"items": [location, "text", {**location, "location_id": "nope"}]}).encode()
    answer = post(client, ingest_headers, "locations", body, "application/json").json()
    assert answer["accepted"] == 1
    assert [(r["line"], r["error"].split(":")[0]) for r in answer["rejected"]] == [
        (2, "is a string, not a JSON object with one row's fields"),
        (3, "location_id"),
    ]


def test_a_json_document_of_another_shape_is_a_422(client, ingest_headers):
    response = post(client, ingest_headers, "locations", b'{"org_id": "x"}', "application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == "the JSON document has no `items` array of records"


def test_webex_call_records_are_for_call_legs_only(client, ingest_headers):
    response = post(client, ingest_headers, "devices", b"\n", "text/csv", query="?format=webex-cdr")
    assert response.status_code == 422
    assert "ingest it as call-legs" in response.json()["detail"]


def test_the_openapi_document_describes_the_bodies(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/ingest/{kind}"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/x-ndjson", "text/csv", "application/json"}
    assert {"411", "413", "415", "422"} <= set(operation["responses"])


def test_rows_of_an_unknown_org_id_are_rejected_not_errors(client, ingest_headers):
    response = post(client, ingest_headers, "locations", ndjson(sample_rows(uuid.uuid4())["locations"]))
    assert response.status_code == 200
    assert "is not a customer you may write for" in response.json()["rejected"][0]["error"]


def test_a_read_only_admins_ingest_token_is_refused_for_its_role(client, bearer, partner, customer):
    # Made while the admin was a full admin: a demoted admin keeps its tokens.
    admin = AdminFactory(partner=partner, role="full_admin")
    headers = bearer(admin, scopes=("read", "ingest"))
    admin.role = "read_only"
    admin.save()
    response = post(client, headers, "locations", ndjson(sample_rows(customer.org_id)["locations"]))
    assert (response.status_code, response.json()["detail"]) == (403, "your role does not allow ingest")


def test_a_body_without_a_content_type_is_a_415_saying_the_header_is_missing(client, ingest_headers, customer):
    response = post(client, ingest_headers, "locations", ndjson(sample_rows(customer.org_id)["locations"]), "")

    assert response.status_code == 415
    assert response.json()["detail"] == (
        "The Content-Type header is missing: send the rows as application/x-ndjson, text/csv or application/json."
    )
