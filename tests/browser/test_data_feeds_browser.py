"""The data feeds page in a real browser: a full admin opens it from the admin menu, reads the
batches its feeds sent, and narrows them to one kind without reloading the page."""

import io
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from accounts.scope import partner_wide, scope_for
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.services import CustomerRecord, upsert_customer
from ingest.services import ingest_batch
from ingest.sources import open_rows
from ingest.tests.samples import ndjson, sample_rows
from tests.browser.session import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]


def send(scope, kind, rows, source):
    batch = open_rows(io.BytesIO(ndjson(rows)), kind=kind, syntax="ndjson")
    ingest_batch(scope=scope, kind=kind, rows=batch, source=source)


@pytest.fixture
def admin():
    partner = PartnerFactory(name="Hanbit Networks")
    admin = AdminFactory(partner=partner, role="full_admin", email="jiwoo@hanbit.example")
    customer = upsert_customer(partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), "Alder Health", "EU"))
    rows = sample_rows(customer.org_id)
    send(scope_for(admin), "locations", rows["locations"], "api")
    send(partner_wide(partner.pk), "call-legs", [*rows["call-legs"], {"leg_id": "no-call"}], "cli")
    return admin


def test_an_admin_reads_the_batches_its_feeds_sent_and_narrows_them_to_one_kind(page: Page, admin):
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    sign_in(page, admin.email)

    page.get_by_role("button", name=re.compile("jiwoo@hanbit.example")).click()
    page.get_by_role("link", name="Data feeds").click()

    expect(page.get_by_role("heading", name="Data feeds", level=1)).to_be_visible()
    batches = page.get_by_test_id("batches").locator("tbody tr")
    expect(batches).to_have_count(2)
    call_legs = page.locator('tr[data-batch-kind="call-legs"]')
    expect(call_legs).to_contain_text("Command line")
    expect(call_legs).to_contain_text("Operator (command line)")
    expect(call_legs.get_by_test_id("rejected")).to_have_text("1")
    expect(page.locator('tr[data-batch-kind="locations"]')).to_contain_text("jiwoo@hanbit.example")
    expect(page.get_by_test_id("kinds").locator("tbody tr")).to_have_count(2)
    page.evaluate("window.phNoReload = true")

    page.get_by_label("Kind", exact=True).select_option("locations")

    expect(batches).to_have_count(1)
    expect(batches.first).to_have_attribute("data-batch-kind", "locations")
    expect(page).to_have_url(re.compile(r"[?&]kind=locations"))
    assert page.evaluate("window.phNoReload") is True
    assert failed == []


def test_an_admin_uploads_a_webex_report_and_reads_what_became_of_its_rows(page: Page, admin, tmp_path):
    from customers.models import Customer
    from ingest.tests.test_webex import body_of, call_records

    customer = Customer.objects.get(partner=admin.partner)
    report = tmp_path / "cdr_report.csv"
    report.write_bytes(body_of([*call_records(customer.org_id), *call_records(uuid.uuid4())[:1]]))
    sign_in(page, admin.email, then="/data-feeds/")

    page.get_by_label("Kind of rows").select_option("call-legs")
    page.get_by_label("Format").select_option("webex-cdr")
    page.get_by_label("File", exact=True).set_input_files(report)
    page.get_by_role("button", name="Upload and ingest").click()

    result = page.get_by_test_id("upload-result")
    expect(result).to_contain_text("cdr_report.csv (call-legs)")
    expect(result).to_contain_text("8 rows: 7 accepted, 0 duplicates")
    expect(result.get_by_test_id("upload-rejected")).to_have_text("1 rejected")
    expect(result).to_contain_text("line 9: Org UUID:")
    expect(page.locator('tr[data-batch-kind="call-legs"]').first).to_contain_text("Upload")
