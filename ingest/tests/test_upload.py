"""A file uploaded on the data feeds page: ingested as an API body would be, its answer shown."""

import gzip
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.tests.factories import AdminFactory
from calling.models import CallDailyRollup, CallLeg
from customers.tests.factories import CustomerFactory

from .samples import ndjson, sample_rows
from .test_webex import body_of, call_records

pytestmark = pytest.mark.django_db(databases="__all__")
URL = reverse("ingest:upload")
EU = "region_eu"


@pytest.fixture
def customer(partner):
    return CustomerFactory(partner=partner, region="EU")


def upload(client, name: str, content: bytes, **fields: str):
    return client.post(
        URL, {"kind": "call-legs", "encoding": "utf-8", **fields, "file": SimpleUploadedFile(name, content)}
    )


def test_an_uploaded_file_is_ingested_and_what_became_of_its_rows_is_shown(client, full_admin, customer):
    legs = sample_rows(customer.org_id)["call-legs"]
    stranger = CustomerFactory(region="EU")  # another partner's
    rows = [*legs, {**legs[0], "leg_id": "x", "org_id": str(stranger.org_id)}, {**legs[0], "duration_seconds": "-1"}]
    client.force_login(full_admin)
    response = upload(client, "legs.ndjson", ndjson(rows))
    assert response.status_code == 200
    result = response.context["uploaded"].result
    assert (result.accepted, result.duplicates, [r.line for r in result.rejected]) == (2, 0, [3, 4])
    page = response.content.decode()
    assert "4 rows: 2 accepted, 0 duplicates" in page
    assert f"line 3: org_id: {stranger.org_id} is not a customer you may write for" in page
    assert set(CallLeg.objects.using(EU).values_list("org_id", flat=True)) == {customer.org_id}
    event = AuditEvent.objects.get(action="ingest.batch")
    assert (event.actor_id, event.after["source"]) == (full_admin.pk, "web")


def test_a_webex_report_uploaded_gzip_compressed_lands_in_the_rollups(client, full_admin, customer):
    client.force_login(full_admin)
    body = gzip.compress(body_of(call_records(customer.org_id)))
    response = upload(client, "cdr_report.csv.gz", body, format="webex-cdr")
    assert response.status_code == 200
    assert response.context["uploaded"].result.accepted == 7
    assert "Columns nothing reads: Call type, Call outcome, Hold Duration, Report time" in response.content.decode()
    assert sum(CallDailyRollup.objects.using(EU).values_list("legs", flat=True)) == 7


def test_a_json_document_is_told_from_its_first_line(client, full_admin, customer):
    client.force_login(full_admin)
    response = upload(client, "page.json", json.dumps({"items": sample_rows(customer.org_id)["call-legs"]}).encode())
    assert response.context["uploaded"].result.accepted == 2


def test_a_file_whose_name_does_not_tell_its_format_is_refused_until_one_is_chosen(client, full_admin, customer):
    client.force_login(full_admin)
    body = ndjson(sample_rows(customer.org_id)["call-legs"])
    response = upload(client, "export.txt", body)
    assert response.status_code == 400
    assert response.context["upload"].errors["format"] == [
        "The name export.txt does not tell the file's format: choose it here."
    ]
    assert not CallLeg.objects.using(EU).exists()
    assert upload(client, "export.txt", body, format="ndjson").context["uploaded"].result.accepted == 2


def test_a_file_over_the_size_limit_is_refused_with_nothing_stored(client, full_admin, customer, settings):
    settings.PARTNERHUB_INGEST_MAX_BYTES = 100
    client.force_login(full_admin)
    response = upload(client, "legs.ndjson", ndjson(sample_rows(customer.org_id)["call-legs"]))
    assert response.status_code == 400
    [error] = response.context["upload"].errors["file"]
    assert error.startswith("The file is ") and "at most 100 are taken at once" in error
    assert not CallLeg.objects.using(EU).exists()


def test_a_body_declared_far_over_the_limit_is_refused_before_it_is_read(client, full_admin, customer, settings):
    settings.PARTNERHUB_INGEST_MAX_BYTES = 1024
    client.force_login(full_admin)
    body = ndjson(sample_rows(customer.org_id)["call-legs"]) + b" " * 100_000
    response = upload(client, "legs.ndjson", body)
    assert response.status_code == 413
    assert "The file is larger than 1,024 bytes, the most taken at once." in response.content.decode()
    assert not CallLeg.objects.using(EU).exists()


def test_gzip_data_that_expands_past_the_limit_or_is_damaged_is_refused_with_nothing_stored(
    client, full_admin, customer, settings
):
    client.force_login(full_admin)
    body = gzip.compress(ndjson(sample_rows(customer.org_id)["call-legs"]))
    settings.PARTNERHUB_INGEST_MAX_BYTES = len(body) + 10
    [expanded] = upload(client, "legs.ndjson.gz", body).context["upload"].errors["file"]
    assert expanded.startswith(f"the file decompresses to more than {len(body) + 10:,} bytes")
    settings.PARTNERHUB_INGEST_MAX_BYTES = 50 * 1024 * 1024
    [cut] = upload(client, "legs.ndjson.gz", body[:-12]).context["upload"].errors["file"]
    assert cut == "the gzip data is cut short: it ends inside its compressed data"
    assert not CallLeg.objects.using(EU).exists()


def test_a_webex_report_is_only_taken_as_call_legs(client, full_admin, customer):
    client.force_login(full_admin)
    response = upload(client, "cdr.csv", body_of(call_records(customer.org_id)), kind="devices", format="webex-cdr")
    assert response.context["upload"].errors["kind"] == ["A Webex Calling report holds call legs: choose call-legs."]


def test_a_read_only_admin_is_not_offered_the_upload_and_may_not_post_one(client, partner, customer):
    client.force_login(AdminFactory(partner=partner, role="read_only"))
    assert 'data-testid="upload"' not in client.get(reverse("ingest:activity")).content.decode()
    response = upload(client, "legs.ndjson", ndjson(sample_rows(customer.org_id)["call-legs"]))
    assert response.status_code == 403
    assert not CallLeg.objects.using(EU).exists()


def test_a_partner_admin_uploads_only_for_the_customers_assigned_to_it(client, partner, customer):
    client.force_login(AdminFactory(partner=partner, role="partner_admin"))
    response = upload(client, "legs.ndjson", ndjson(sample_rows(customer.org_id)["call-legs"]))
    result = response.context["uploaded"].result
    assert (result.accepted, len(result.rejected)) == (0, 2)
    assert not CallLeg.objects.using(EU).exists()


def test_visiting_the_upload_address_leads_to_the_data_feeds_page(client, full_admin):
    # The language switch on an upload's answer comes back to its address with a GET.
    client.force_login(full_admin)

    response = client.get(URL)

    assert (response.status_code, response["Location"]) == (302, reverse("ingest:activity"))


def test_many_rejected_rows_are_counted_with_thousands_grouped_and_the_first_50_listed(client, full_admin):
    client.force_login(full_admin)

    page = upload(client, "legs.ndjson", b"oops\n" * 1200).content.decode()

    assert '<span data-testid="upload-rejected">1,200 rejected</span>' in page
    assert page.count("is not valid JSON") == 50
    assert "Only the first 50 rejected rows are listed here" in page
