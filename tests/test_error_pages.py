"""The error pages (DEBUG is off in the test settings): 403 and 404 inside the portal frame, 400,
500 and a CSRF failure on a standalone page that needs no request, context processor or
database. Each says what happened in the page's language and links home."""

import uuid

import pytest
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path

from accounts.tests.factories import AdminFactory
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(databases="__all__")


def _fails(request):
    raise RuntimeError("a bug")


def _suspicious(request):
    raise SuspiciousOperation("a forged request")


# Used by the tests marked `urls(__name__)`: views that fail on purpose.
urlpatterns = [path("fails", _fails), path("suspicious", _suspicious)]


def template_names(response) -> list[str]:
    return [template.name for template in response.templates]


def test_a_missing_page_renders_the_404_page_in_the_portal_frame(client, full_admin):
    client.force_login(full_admin)

    response = client.get(f"/customers/{uuid.uuid4()}/")

    assert response.status_code == 404
    assert "404.html" in template_names(response)
    assert "base.html" in template_names(response)
    assert "Page not found" in response.content.decode()
    assert '<a class="btn btn-primary ph-error-home" href="/">' in response.content.decode()


def test_the_404_page_is_korean_on_a_korean_request(client, full_admin):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    client.force_login(full_admin)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "페이지를 찾을 수 없습니다" in response.content.decode()


def test_a_read_only_admin_posting_a_change_gets_the_403_page(client, partner):
    customer = CustomerFactory(partner=partner)
    colleague = AdminFactory(partner=partner, role="partner_admin")
    client.force_login(AdminFactory(partner=partner, role="read_only"))

    response = client.post(f"/customers/{customer.org_id}/access", {"email": colleague.email, "action": "assign"})

    assert response.status_code == 403
    assert "403.html" in template_names(response)
    assert "Your role does not allow this." in response.content.decode()


def test_the_500_page_renders_without_a_request_or_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = render_to_string("500.html")

    assert "Something went wrong" in html
    assert 'href="/"' in html


@pytest.mark.urls(__name__)
def test_an_unhandled_error_renders_the_500_page():
    response = Client(raise_request_exception=False).get("/fails")

    assert response.status_code == 500
    assert "Partner Hub could not complete this request." in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_bad_request_renders_the_400_page():
    response = Client().get("/suspicious")

    assert response.status_code == 400
    assert "The request could not be read" in response.content.decode()


def test_a_form_without_its_csrf_token_renders_the_expired_form_page(full_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(full_admin)

    response = client.post("/customers/tags/", {"action": "create", "name": "vip", "color": "#112233"})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
