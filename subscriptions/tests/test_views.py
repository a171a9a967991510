"""The trial pages: the start form shows every error where its field points, and the trial
actions on the customer page report what they did (and refuse what no button sends)."""

import re
import uuid
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.scope import scope_for
from customers.services import CustomerRecord, upsert_customer
from subscriptions.models import Subscription
from subscriptions.services import start_trial

pytestmark = pytest.mark.django_db(databases="__all__")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def error_text(response, field_id: str) -> str | None:
    """The text of the element a field's aria-describedby names, or None without one."""
    match = re.search(rf'<[a-z]+ [^>]*id="{field_id}_error"[^>]*>(.*?)</', response.content.decode(), re.S)
    return match.group(1).strip() if match else None


@pytest.fixture
def trial(full_admin):
    customer = upsert_customer(partner_id=full_admin.partner_id, record=CustomerRecord(uuid.uuid4(), "Acme", "US"))
    return start_trial(
        scope=scope_for(full_admin),
        customer=customer,
        products=["meetings"],
        licenses=5,
        days=60,
        today=date(2026, 11, 27),
    )


def test_a_trial_length_other_than_30_60_or_90_days_is_shown_next_to_the_field(client, full_admin):
    client.force_login(full_admin)
    form = {"name": "Nova", "admin_email": "it@nova.example", "region": "EU", "products": ["meetings"]}

    response = client.post(reverse("trials:start"), form | {"licenses": 5, "days": 45})

    assert response.status_code == 200
    assert 'aria-describedby="id_days_error"' in response.content.decode()
    assert error_text(response, "id_days") == "Select a valid choice. 45 is not one of the available choices."


@pytest.mark.parametrize("field", ["name", "admin_email", "region"])
def test_a_new_customer_without_its_details_is_told_which_one_is_missing(client, full_admin, field):
    client.force_login(full_admin)
    form = {"name": "Nova", "admin_email": "it@nova.example", "region": "EU", "products": ["meetings"]}

    response = client.post(reverse("trials:start"), form | {field: "", "licenses": 5, "days": 30})

    assert f'aria-describedby="id_{field}_error"' in response.content.decode()
    assert error_text(response, f"id_{field}") == "Required for a new customer."


def test_a_licence_count_below_one_is_shown_next_to_the_field(client, full_admin):
    client.force_login(full_admin)
    form = {"name": "Nova", "admin_email": "it@nova.example", "region": "EU", "products": ["meetings"]}

    response = client.post(reverse("trials:start"), form | {"licenses": 0, "days": 30})

    assert 'aria-describedby="id_licenses_error"' in response.content.decode()
    assert error_text(response, "id_licenses") == "Ensure this value is greater than or equal to 1."


def test_a_trial_without_products_says_so_next_to_the_products(client, full_admin):
    client.force_login(full_admin)
    form = {"name": "Nova", "admin_email": "it@nova.example", "region": "EU", "licenses": 5, "days": 30}

    response = client.post(reverse("trials:start"), form)

    assert error_text(response, "id_products") == "This field is required."


def test_extending_on_the_page_adds_30_days_to_the_end_and_says_so(client, full_admin, trial):
    client.force_login(full_admin)

    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("trials:change", args=[trial.org_id, trial.subscription_id]), {"action": "extend"}, follow=True
        )

    stored = Subscription.objects.using("region_us").get(pk=trial.pk)
    assert stored.end_on == date(2027, 2, 25)
    assert "Trial extended to 2027-02-25." in response.content.decode()


def test_an_unknown_trial_action_is_a_400_naming_it_and_changes_nothing(client, full_admin, trial):
    client.force_login(full_admin)

    response = client.post(reverse("trials:change", args=[trial.org_id, trial.subscription_id]), {"action": "bogus"})

    stored = Subscription.objects.using("region_us").get(pk=trial.pk)
    assert response.status_code == 400
    assert "Unknown action “bogus”" in response.content.decode()
    assert (stored.state, stored.end_on) == ("active", date(2027, 1, 26))
    assert not AuditEvent.objects.filter(action__startswith="trial.").exclude(action="trial.start").exists()


def test_end_trial_asks_for_confirmation_naming_the_trial_and_customer(client, full_admin, trial):
    client.force_login(full_admin)

    response = client.get(reverse("customers:detail", args=[trial.org_id]), {"tab": "trials"})

    page = response.content.decode()
    question = f"End trial {trial.subscription_id} of Acme now? An ended trial cannot be extended or converted."
    assert f'hx-confirm="{question}"' in page
    form = page[: page.index('value="end"')]
    assert 'hx-boost="true"' in form[form.rindex("<form") :]
