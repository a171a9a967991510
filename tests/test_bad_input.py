"""Bad input never answers 500 (SPEC 11): every page and form of the portal, as a signed-in full
admin, with unknown filter values, bad page numbers, huge and NUL-bearing strings, malformed or
unknown ids in paths, and missing or garbage form fields; plus the API's filter parameters, which
its OpenAPI document does not describe (so api/tests/test_schema_fuzz.py cannot generate them).

Run it on PostgreSQL too: SQLite stores a NUL character or an over-long value where PostgreSQL
refuses them, and only the refusal is a 500."""

import uuid
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from accounts.models import AccessKind, CustomerAccess
from accounts.scope import scope_for
from accounts.services import create_token
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.models import SavedView
from customers.services import CustomerRecord, create_tag, upsert_customer
from subscriptions.services import LicenseLineRecord, SubscriptionRecord, upsert_subscriptions

pytestmark = pytest.mark.django_db(databases="__all__")

# What a bad request may answer: the page with form errors, a redirect back with a message, or a
# client error. Never 500.
ALLOWED = {200, 302, 400, 403, 404, 405}

TRIAL_ID = "Trial-bad-1"
HUGE = "x" * 20_000
GARBAGE = {
    "unknown": "zz-unknown",
    "empty": "",
    "negative": "-1",
    "zero": "0",
    "letters": "abc",
    "decimal": "1.5",
    "huge-number": "9" * 40,
    "huge-string": HUGE,
    "nul": "a\x00b",
    "unicode": "漢字 é \u202e \U0001f600",
    "markup": "<script>alert(1)</script>",
    "sql": "' OR 1=1 --",
    "not-a-uuid": "not-a-uuid",
    "other-partners-uuid": "other",  # replaced by the other partner's customer id
}
# Every query parameter a page of the portal reads.
QUERY_PARAMS = (
    "q",
    "region",
    "status",
    "product",
    "tag",
    "admin",
    "subscription_type",
    "sort",
    "page",
    "tab",
    "customer",
    "plan",
    "limit",
    "offset",
    *(
        f"{section}_{what}"
        for section in ("new", "expiring", "renewing", "low_assignment", "over_limit")
        for what in ("sort", "page")
    ),
)


@pytest.fixture
def world():
    """Partner A (signed in as its full admin) with two customers, a trial, tags, a saved view,
    a partner admin and a token; partner B with a customer, a tag and an admin."""
    today = date.today()
    ours, theirs = PartnerFactory(name="Acme Partner"), PartnerFactory(name="Bolt Partner")
    admin = AdminFactory(partner=ours, role="full_admin", email="full@acme.example")
    colleague = AdminFactory(partner=ours, role="partner_admin", email="pam@acme.example")
    stranger = AdminFactory(partner=theirs, role="full_admin", email="full@bolt.example")
    scope = scope_for(admin)
    customer = upsert_customer(
        partner_id=ours.pk, record=CustomerRecord(org_id=uuid.uuid4(), name="Acme Customer", region="US")
    )
    upsert_customer(partner_id=ours.pk, record=CustomerRecord(org_id=uuid.uuid4(), name="Acme EU", region="EU"))
    upsert_subscriptions(
        customer=customer,
        records=[
            SubscriptionRecord(
                subscription_id=TRIAL_ID,
                kind="trial",
                state="active",
                start_on=today - timedelta(days=3),
                end_on=today + timedelta(days=27),
                trial_days=30,
                lines=(LicenseLineRecord(product="meetings", sku="MTG-TRIAL", quantity=10),),
            )
        ],
    )
    CustomerAccess.objects.create(admin=colleague, org_id=customer.org_id, kind=AccessKind.ASSIGNED)
    tag = create_tag(scope=scope, name="vip")
    view = SavedView.objects.create(admin=admin, name="Mine", query="region=US")
    other = upsert_customer(
        partner_id=theirs.pk, record=CustomerRecord(org_id=uuid.uuid4(), name="Bolt Customer", region="US")
    )
    other_tag = create_tag(scope=scope_for(stranger), name="theirs")
    _token, raw = create_token(admin=admin, scopes=["read", "write", "ingest"])
    return SimpleNamespace(
        admin=admin,
        colleague=colleague,
        stranger=stranger,
        customer=customer,
        other=other,
        tag=tag,
        other_tag=other_tag,
        view=view,
        bearer={"HTTP_AUTHORIZATION": f"Bearer {raw}"},
    )


@pytest.fixture
def signed_in(client, world):
    client.force_login(world.admin)
    return client


def garbage(world, name: str) -> str:
    return str(world.other.org_id) if name == "other-partners-uuid" else GARBAGE[name]


def get_pages(world) -> list[str]:
    detail = f"/customers/{world.customer.org_id}/"
    return [
        "/",
        "/customers/",
        "/customers/export.csv",
        "/customers/tags/",
        detail,
        "/trials/new",
        "/admins/",
        "/profile/",
        "/setup/",
        "/analytics/",
        "/analytics/export/new.csv",
        "/analytics/export/over_limit.csv",
    ]


@pytest.mark.parametrize("value", GARBAGE)
def test_every_page_survives_garbage_in_every_query_parameter(signed_in, world, value):
    bad = garbage(world, value)
    query = {name: [bad, bad] for name in QUERY_PARAMS}
    for url in get_pages(world):
        response = signed_in.get(url, query)
        assert response.status_code in ALLOWED, (url, response.status_code)
        htmx = signed_in.get(url, query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="section-new")
        assert htmx.status_code in ALLOWED, (url, htmx.status_code)


@pytest.mark.parametrize("name", QUERY_PARAMS)
def test_every_page_survives_one_unknown_parameter_value_at_a_time(signed_in, world, name):
    for url in get_pages(world):
        for bad in ("zz-unknown", "-1", "a\x00b", "9" * 40):
            response = signed_in.get(url, {name: bad})
            assert response.status_code in ALLOWED, (url, name, bad, response.status_code)


@pytest.mark.parametrize("value", ["zz-unknown", "a\x00b", HUGE])
def test_anonymous_visitors_get_sign_in_and_its_pages_whatever_the_input(client, world, value):
    query = {name: value for name in (*QUERY_PARAMS, "next")}
    for url in [*get_pages(world), "/admin/", "/accounts/login/", "/accounts/password/reset/"]:
        response = client.get(url, query)
        assert response.status_code in ALLOWED, (url, response.status_code)
    for url in ("/accounts/password/reset/key/zz-set-password/", f"/accounts/password/reset/key/1-{value[:100]}/"):
        assert client.get(url).status_code in ALLOWED, url
    for url, data in [
        ("/accounts/login/", {"login": value, "password": value}),
        ("/accounts/login/", {}),
        ("/accounts/password/reset/", {"email": value}),
    ]:
        assert client.post(url, data).status_code in ALLOWED, url


def test_django_admin_sends_a_partner_admin_to_its_own_sign_in(signed_in, world):
    response = signed_in.get("/admin/", {"q": "a\x00b"})
    assert response.status_code == 302


@pytest.mark.parametrize("page", ["-1", "0", "abc", "1.5", "99999", "9" * 40, ""])
def test_customer_list_answers_a_page_for_any_page_number(signed_in, world, page):
    response = signed_in.get("/customers/", {"page": page})
    assert response.status_code == 200
    assert "Acme Customer" in response.content.decode()


def test_customer_list_ignores_unknown_filter_values_rather_than_failing(signed_in, world):
    response = signed_in.get(
        "/customers/", {"region": "ZZ", "status": "nope", "product": "nope", "tag": "999999", "sort": "nope"}
    )
    assert response.status_code == 200


def test_too_many_query_parameters_is_a_400(signed_in, world):
    response = signed_in.get("/customers/?" + "&".join(f"status=s{i}" for i in range(1_200)))
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/customers/not-a-uuid/",
        "/customers/00000000-0000-0000-0000-000000000000/",
        "/customers/{other}/",
        "/analytics/export/nope.csv",
        "/analytics/export/%00.csv",
    ],
)
def test_pages_of_unknown_malformed_or_foreign_ids_answer_404(signed_in, world, url):
    response = signed_in.get(url.format(other=world.other.org_id))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/customers/{other}/tags",
        "/customers/{other}/access",
        "/customers/not-a-uuid/tags",
        "/trials/{other}/" + TRIAL_ID,
        "/trials/not-a-uuid/" + TRIAL_ID,
        "/trials/{ours}/Trial-unknown",
        "/customers/views/999999999/delete",
        "/customers/views/99999999999999999999999/delete",
        "/admins/999999999/role",
        "/admins/99999999999999999999999/active",
        "/admins/{stranger}/role",
        "/admins/{stranger}/invite",
        "/profile/tokens/99999999999999999999999/revoke",
    ],
)
def test_forms_posted_to_unknown_malformed_or_foreign_ids_answer_404(signed_in, world, url):
    url = url.format(other=world.other.org_id, ours=world.customer.org_id, stranger=world.stranger.pk)
    response = signed_in.post(url, {"action": "end", "tag": world.tag.pk, "role": "read_only", "active": "0"})
    assert response.status_code == 404


def post_forms(world) -> list[tuple[str, dict]]:
    """Every POST form of the portal, each with missing and with garbage fields."""
    detail = f"/customers/{world.customer.org_id}"
    trial = f"/trials/{world.customer.org_id}/{TRIAL_ID}"
    admin = f"/admins/{world.colleague.pk}"
    foreign_tag, unknown_org = str(world.other_tag.pk), str(world.other.org_id)
    return [
        ("/customers/tags/bulk", {}),
        ("/customers/tags/bulk", {"tag": "abc", "action": "zz", "org_ids": ["not-a-uuid", "9" * 40]}),
        ("/customers/tags/bulk", {"tag": foreign_tag, "action": "add", "org_ids": [unknown_org]}),
        ("/customers/tags/bulk", {"tag": "9" * 40, "action": "remove", "org_ids": ["a\x00b"], "return_query": HUGE}),
        ("/customers/views/save", {}),
        ("/customers/views/save", {"name": "a\x00b", "query": "q=a\x00b"}),
        ("/customers/views/save", {"name": "x" * 81, "query": HUGE}),
        # 1,500 characters as sent, 9,000 once the view's query is re-encoded.
        ("/customers/views/save", {"name": "Long", "query": "q=" + "漢" * 1_500}),
        (f"/customers/views/{world.view.pk}/delete", {"anything": "zz"}),
        (f"{detail}/tags", {}),
        (f"{detail}/tags", {"tag": "abc", "action": "zz"}),
        (f"{detail}/tags", {"tag": "-1"}),
        (f"{detail}/tags", {"tag": "1.5", "action": "remove"}),
        (f"{detail}/tags", {"tag": "9" * 40}),
        (f"{detail}/tags", {"tag": "a\x00b"}),
        (f"{detail}/tags", {"tag": foreign_tag}),
        (f"{detail}/access", {}),
        (f"{detail}/access", {"email": "a\x00b@example.com", "action": "zz"}),
        (f"{detail}/access", {"email": HUGE, "action": "assign"}),
        (f"{detail}/access", {"email": world.stranger.email, "action": "assign"}),
        (f"{detail}/access", {"email": world.colleague.email, "action": "grant"}),
        (f"{detail}/access", {"email": world.colleague.email, "action": "zz"}),
        ("/customers/tags/", {}),
        ("/customers/tags/", {"action": "create"}),
        ("/customers/tags/", {"action": "create", "name": "a\x00b", "color": "#123456"}),
        ("/customers/tags/", {"action": "create", "name": HUGE, "color": "red"}),
        ("/customers/tags/", {"action": "create", "name": "ok", "color": "#12345\x00"}),
        ("/customers/tags/", {"action": "create", "name": "newline", "color": "#123456\n"}),
        ("/customers/tags/", {"action": "rename", "tag": "abc", "name": "x"}),
        ("/customers/tags/", {"action": "rename", "tag": "9" * 40, "name": "x"}),
        ("/customers/tags/", {"action": "rename", "tag": str(world.tag.pk), "name": "a\x00b", "color": "zz"}),
        ("/customers/tags/", {"action": "delete", "tag": "-1"}),
        ("/customers/tags/", {"action": "delete", "tag": foreign_tag}),
        ("/trials/new", {}),
        ("/trials/new", {"customer": "not-a-uuid", "products": ["zz"], "licenses": "abc", "days": "7"}),
        ("/trials/new", {"customer": unknown_org, "products": ["meetings"], "licenses": "5", "days": "30"}),
        (
            "/trials/new",
            {"name": "a\x00b", "admin_email": "x", "region": "ZZ", "products": "meetings", "licenses": "9" * 40},
        ),
        (
            "/trials/new",
            {"name": HUGE, "admin_email": "a@b.example", "region": "US", "products": "calling", "days": "30"},
        ),
        (trial, {}),
        (trial, {"action": "zz"}),
        (trial, {"action": "a\x00b"}),
        (f"/trials/{world.customer.org_id}/a%00b", {"action": "end"}),
        (f"/trials/{world.customer.org_id}/{'x' * 5_000}", {"action": "extend"}),
        ("/admins/invite", {}),
        ("/admins/invite", {"email": "not-an-email", "role": "zz", "display_name": HUGE}),
        ("/admins/invite", {"email": "a\x00b@example.com", "role": "full_admin"}),
        ("/admins/invite", {"email": world.stranger.email, "role": "read_only"}),
        (f"{admin}/invite", {}),
        (f"{admin}/role", {}),
        (f"{admin}/role", {"role": "zz"}),
        (f"{admin}/role", {"role": "a\x00b"}),
        (f"/admins/{world.admin.pk}/role", {"role": "read_only"}),
        (f"{admin}/active", {}),
        (f"{admin}/active", {"active": "maybe"}),
        (f"/admins/{world.admin.pk}/active", {"active": "0"}),
        (f"/admins/{world.stranger.pk}/role", {"role": "read_only"}),
        ("/profile/tokens", {}),
        ("/profile/tokens", {"scopes": ["zz"], "name": HUGE}),
        ("/profile/tokens", {"scopes": ["read"], "name": "a\x00b"}),
        ("/profile/tokens/abc/revoke", {}),
        ("/setup/", {}),
        ("/setup/", {"plan": "zz", "accept_terms": "maybe"}),
        ("/i18n/setlang/", {"language": "zz", "next": HUGE}),
        ("/customers/", {"q": "x"}),
        ("/customers/export.csv", {}),
        ("/analytics/", {}),
        ("/data-feeds/upload/", {}),
        ("/data-feeds/upload/", {"kind": "zz", "format": "zz", "encoding": "a\x00b", "file": "not a file"}),
    ]


def test_every_post_form_survives_missing_and_garbage_fields(signed_in, world):
    failures = []
    for url, data in post_forms(world):
        response = signed_in.post(url, data)
        if response.status_code not in ALLOWED:
            failures.append((url, data, response.status_code))
    assert failures == []


def test_every_post_form_survives_a_body_that_is_not_a_form(signed_in, world):
    for url, _data in post_forms(world):
        response = signed_in.post(url, b"\xff\xfe\x00garbage", content_type="application/octet-stream")
        assert response.status_code in ALLOWED, (url, response.status_code)


def test_saving_a_view_whose_query_grows_past_its_column_is_refused_with_a_message(signed_in, world):
    response = signed_in.post("/customers/views/save", {"name": "Long", "query": "q=" + "漢" * 1_500}, follow=True)
    assert response.status_code == 200
    assert not SavedView.objects.filter(admin=world.admin, name="Long").exists()


@pytest.mark.parametrize("value", ["zz-unknown", "-1", "abc", "9" * 40, "a\x00b", HUGE, "漢字"])
def test_api_customer_list_answers_422_or_200_for_garbage_filters(client, world, value):
    query = {name: [value, value] for name in ("q", "status", "product", "tag", "admin", "subscription_type")}
    query |= {"region": value, "sort": value}
    response = client.get("/api/v1/customers", query, **world.bearer)
    assert response.status_code in {200, 422}
    assert set(response.json()) in ({"count", "items"}, {"detail", "errors"})


@pytest.mark.parametrize(
    ("query", "status"),
    [("offset=9223372036854775807", 200), ("offset=9223372036854775808", 422), ("limit=0", 422), ("limit=x", 422)],
)
def test_api_customer_list_bounds_its_paging(client, world, query, status):
    response = client.get(f"/api/v1/customers?{query}", **world.bearer)
    assert response.status_code == status


NEW_CUSTOMER_WITH_NUL = {
    "new_customer": {"name": "a\x00b", "admin_email": "a@b.example", "region": "US"},
    "products": ["meetings"],
    "licenses": 5,
    "days": 30,
}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/api/v1/tags", {"name": "a\x00b"}, 422),
        ("post", "/api/v1/tags", {"name": "newline", "color": "#123456\n"}, 422),
        ("patch", "/api/v1/tags/vip", {"name": "a\x00b"}, 422),
        ("patch", "/api/v1/tags/a%00b", {"color": "#123456"}, 404),
        ("delete", "/api/v1/tags/a%00b", None, 404),
        ("delete", "/api/v1/tags/²", None, 404),
        ("delete", "/api/v1/tags/" + "9" * 40, None, 404),
        ("post", "/api/v1/customers/{org}/tags", {"tag": "a\x00b"}, 404),
        ("post", "/api/v1/customers/{org}/tags", {"tag": "²"}, 404),
        ("post", "/api/v1/customers/{org}/tags", {"tag": "9" * 40}, 404),
        ("delete", "/api/v1/customers/{org}/tags/a%00b", None, 404),
        ("post", "/api/v1/customers/{org}/trials/a%00b/end", None, 404),
        ("post", "/api/v1/trials", NEW_CUSTOMER_WITH_NUL, 422),
        ("get", "/api/v1/analytics/licenses?region=a%00b&product=a%00b", None, 422),
    ],
)
def test_api_answers_a_client_error_for_nul_characters_and_odd_digits(client, world, method, path, body, status):
    path = path.format(org=world.customer.org_id)
    send = getattr(client, method)
    response = send(path, body, content_type="application/json", **world.bearer) if body else send(path, **world.bearer)
    assert response.status_code == status
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("body", [b"\x00", b"{not json", b"\xff\xfe"])
def test_api_answers_400_in_the_one_error_shape_for_a_body_that_is_not_json(client, world, body):
    response = client.post("/api/v1/tags", body, content_type="application/json", **world.bearer)
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body", "errors": []}


def test_ingest_refuses_a_csv_header_holding_nul_even_when_the_answer_is_kept_for_replays(client, world):
    response = client.post(
        "/api/v1/ingest/customers",
        b"org_id,name,region,note\x00\n",
        content_type="text/csv",
        HTTP_IDEMPOTENCY_KEY="nul-header",
        **world.bearer,
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "the CSV header (line 1) contains a NUL character"


@pytest.mark.parametrize("tag", ["abc", "1.5", "²", ""])
def test_tagging_a_customer_with_a_tag_that_is_not_an_id_answers_404(signed_in, world, tag):
    response = signed_in.post(f"/customers/{world.customer.org_id}/tags", {"tag": tag})
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["rename", "delete"])
def test_changing_a_tag_that_is_not_an_id_answers_404(signed_in, world, action):
    response = signed_in.post("/customers/tags/", {"action": action, "tag": "abc", "name": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "color"), [("a\x00b", "#123456"), ("newline", "#123456\n")])
def test_a_tag_with_a_nul_name_or_a_colour_with_a_newline_is_refused_with_a_message(signed_in, world, name, color):
    response = signed_in.post("/customers/tags/", {"action": "create", "name": name, "color": color}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert list(world.admin.partner.tags.values_list("name", flat=True)) == ["vip"]


def test_granting_access_to_an_e_mail_with_nul_says_no_such_admin(signed_in, world):
    response = signed_in.post(
        f"/customers/{world.customer.org_id}/access", {"email": "pam@acme.example\x00", "action": "assign"}, follow=True
    )
    assert response.status_code == 200
    assert "No active admin with e-mail" in response.content.decode()


def test_changing_a_trial_whose_id_holds_nul_answers_404(signed_in, world):
    response = signed_in.post(f"/trials/{world.customer.org_id}/Trial%00", {"action": "end"})
    assert response.status_code == 404


@pytest.mark.parametrize("tag", ["9" * 40, "-" + "9" * 40])
def test_a_tag_filter_beyond_any_id_is_an_invalid_choice(client, signed_in, world, tag):
    page = signed_in.get("/customers/", {"tag": tag})
    assert page.status_code == 200
    assert "tag" in page.context["filters"].form.errors
    api = client.get("/api/v1/customers", {"tag": tag}, **world.bearer)
    assert api.status_code == 422
    assert [e["field"] for e in api.json()["errors"]] == ["tag"]
