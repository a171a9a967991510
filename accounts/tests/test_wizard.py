"""The set-up wizard: a partner org that has not accepted the terms reaches nothing else."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, PartnerOrg
from accounts.tests.factories import AdminFactory, PartnerFactory

pytestmark = pytest.mark.django_db(databases="__all__")

SETUP_URL = reverse("accounts:setup")


@pytest.fixture
def new_partner():
    return PartnerFactory(terms_accepted_at=None, plan="standard")


@pytest.fixture
def new_full_admin(new_partner):
    return AdminFactory(partner=new_partner, role="full_admin")


@pytest.mark.parametrize("path", ["/", "/customers/", "/analytics/licenses/", "/reports/"])
def test_an_admin_of_an_org_that_is_not_live_is_sent_to_the_wizard(client, new_full_admin, path):
    client.force_login(new_full_admin)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == SETUP_URL


def test_the_wizard_still_lets_the_admin_reach_two_factor_settings(client, new_full_admin):
    client.force_login(new_full_admin)

    assert client.get(reverse("mfa_index")).status_code == 200


def test_step_one_reviews_the_ordered_plan(client, new_full_admin):
    client.force_login(new_full_admin)

    response = client.get(SETUP_URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["step"] == 1
    assert 'value="standard" id="id_plan_0" checked' in page
    assert 'name="accept_terms"' not in page


def test_step_two_shows_the_chosen_plan_and_the_terms(client, new_full_admin):
    client.force_login(new_full_admin)

    response = client.get(SETUP_URL, {"plan": "premium"})

    page = response.content.decode()
    assert response.context["step"] == 2
    assert '<strong data-testid="chosen-plan">Premium</strong>' in page
    assert 'name="accept_terms"' in page
    assert 'type="hidden" name="plan" value="premium"' in page


def test_an_unknown_plan_stays_on_step_one(client, new_full_admin):
    client.force_login(new_full_admin)

    response = client.get(SETUP_URL, {"plan": "platinum"})

    assert response.context["step"] == 1
    assert response.context["plan_form"].errors["plan"]


def test_accepting_the_terms_makes_the_org_live_and_is_audited(client, new_partner, new_full_admin):
    client.force_login(new_full_admin)

    response = client.post(SETUP_URL, {"plan": "premium", "accept_terms": "on"})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    new_partner.refresh_from_db()
    assert new_partner.is_live
    assert new_partner.plan == "premium"
    assert new_partner.terms_accepted_by == new_full_admin
    event = AuditEvent.objects.get(action="partner.accept_terms")
    assert event.actor == new_full_admin
    assert event.partner == new_partner
    assert event.after["plan"] == "premium"
    assert client.get(reverse("home")).status_code == 200


def test_the_terms_must_be_ticked(client, new_partner, new_full_admin):
    client.force_login(new_full_admin)

    response = client.post(SETUP_URL, {"plan": "premium"})

    assert response.status_code == 200
    assert response.context["form"].errors["accept_terms"]
    assert not PartnerOrg.objects.get(pk=new_partner.pk).is_live
    assert not AuditEvent.objects.filter(action="partner.accept_terms").exists()


@pytest.mark.parametrize("role", ["partner_admin", "read_only", "external_admin"])
def test_an_admin_who_is_not_full_admin_sees_a_waiting_message(client, new_partner, role):
    client.force_login(AdminFactory(partner=new_partner, role=role))

    response = client.get(SETUP_URL)

    assert response.status_code == 200
    assert 'data-testid="setup-waiting"' in response.content.decode()
    assert "has to review the plan and accept the terms" in response.content.decode()


@pytest.mark.parametrize("role", ["partner_admin", "read_only", "external_admin"])
def test_an_admin_who_is_not_full_admin_cannot_complete_the_wizard(client, new_partner, role):
    client.force_login(AdminFactory(partner=new_partner, role=role))

    response = client.post(SETUP_URL, {"plan": "premium", "accept_terms": "on"})

    assert response.status_code == 403
    new_partner.refresh_from_db()
    assert not new_partner.is_live
    assert new_partner.plan == "standard"


def test_the_wizard_of_a_live_org_goes_home(client, full_admin):
    client.force_login(full_admin)

    response = client.get(SETUP_URL)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
