import uuid
from datetime import date, timedelta

import pytest

from accounts.models import AuditEvent
from accounts.scope import NotAllowed, scope_for
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.models import Customer, Lifecycle
from customers.services import CustomerRecord, upsert_customer
from subscriptions.models import Subscription
from subscriptions.rules import extended_trial_end, trial_end_date
from subscriptions.services import NewCustomer, TrialRefused, change_trial, start_trial

pytestmark = pytest.mark.django_db(databases="__all__")
TODAY = date(2026, 11, 25)


def test_trial_end_date_counts_days_from_start():
    assert trial_end_date(date(2026, 3, 1), 30) == date(2026, 3, 31)


def test_trial_length_must_be_30_60_or_90_days():
    with pytest.raises(ValueError, match="not 45"):
        trial_end_date(TODAY, 45)


def test_extending_adds_30_days_to_the_trials_current_end():
    assert extended_trial_end(date(2027, 1, 26), today=date(2026, 11, 26)) == date(2027, 2, 25)


def test_extending_a_trial_ending_today_adds_30_days_to_today():
    assert extended_trial_end(date(2026, 11, 26), today=date(2026, 11, 26)) == date(2026, 12, 26)


def test_extending_a_trial_whose_end_has_passed_counts_from_today():
    assert extended_trial_end(date(2026, 11, 20), today=date(2026, 11, 26)) == date(2026, 12, 26)


def test_extending_a_trial_without_an_end_counts_from_today():
    assert extended_trial_end(None, today=date(2026, 11, 26)) == date(2026, 12, 26)


@pytest.fixture
def full():
    partner = PartnerFactory()
    return scope_for(AdminFactory(partner=partner, role="full_admin"))


def test_trial_for_a_new_customer_creates_directory_row_and_region_trial(full):
    trial = start_trial(
        scope=full,
        products=["meetings", "calling"],
        licenses=25,
        days=60,
        today=TODAY,
        new_customer=NewCustomer(name="Nova GmbH", admin_email="it@nova.example", region="EU"),
    )
    customer = Customer.objects.get(name="Nova GmbH")
    stored = Subscription.objects.using("region_eu").get(subscription_id=trial.subscription_id)
    assert (customer.region, customer.lifecycle) == ("EU", Lifecycle.ACTIVE)
    assert (stored.end_on, stored.contact_email) == (date(2027, 1, 24), "it@nova.example")
    assert sorted(stored.license_lines.values_list("product", "quantity")) == [("calling", 25), ("meetings", 25)]
    assert "trial" in customer.status_list


def test_partner_admin_who_creates_a_customer_can_see_it(full):
    pam = AdminFactory(partner_id=full.partner_id, role="partner_admin")
    start_trial(
        scope=scope_for(pam),
        products=["meetings"],
        licenses=5,
        days=30,
        today=TODAY,
        new_customer=NewCustomer(name="Mine", admin_email="a@b.example", region="US"),
    )
    assert Customer.objects.visible_to(scope_for(pam)).get().name == "Mine"


def test_second_running_trial_is_refused(full):
    customer = upsert_customer(partner_id=full.partner_id, record=CustomerRecord(uuid.uuid4(), "Acme", "US"))
    start_trial(scope=full, customer=customer, products=["meetings"], licenses=5, days=30, today=TODAY)
    with pytest.raises(TrialRefused, match="already has a trial running"):
        start_trial(scope=full, customer=customer, products=["calling"], licenses=5, days=30, today=TODAY)


def test_read_only_admin_cannot_start_a_trial(full):
    reader = scope_for(AdminFactory(partner_id=full.partner_id, role="read_only"))
    customer = upsert_customer(partner_id=full.partner_id, record=CustomerRecord(uuid.uuid4(), "Acme", "US"))
    with pytest.raises(NotAllowed):
        start_trial(scope=reader, customer=customer, products=["meetings"], licenses=5, days=30, today=TODAY)
    assert not Subscription.objects.using("region_us").exists()


def test_extend_adds_30_days_to_the_trials_end_and_is_audited(full):
    customer = upsert_customer(partner_id=full.partner_id, record=CustomerRecord(uuid.uuid4(), "Acme", "CA"))
    trial = start_trial(scope=full, customer=customer, products=["meetings"], licenses=5, days=30, today=TODAY)
    later = TODAY + timedelta(days=25)
    extended = change_trial(
        scope=full, customer=customer, subscription_id=trial.subscription_id, action="extend", today=later
    )
    assert extended.end_on == TODAY + timedelta(days=60)
    event = AuditEvent.objects.get(action="trial.extend")
    assert (event.before["end_on"], event.after["end_on"]) == (str(TODAY + timedelta(days=30)), str(extended.end_on))


def test_extending_a_trial_with_more_than_30_days_left_never_shortens_it(full):
    customer = upsert_customer(partner_id=full.partner_id, record=CustomerRecord(uuid.uuid4(), "Acme", "CA"))
    trial = start_trial(
        scope=full, customer=customer, products=["meetings"], licenses=5, days=60, today=date(2026, 11, 27)
    )
    extended = change_trial(
        scope=full, customer=customer, subscription_id=trial.subscription_id, action="extend", today=date(2026, 11, 27)
    )
    stored = Subscription.objects.using("region_ca").get(subscription_id=trial.subscription_id)
    assert (trial.end_on, extended.end_on, stored.end_on) == (date(2027, 1, 26), date(2027, 2, 25), date(2027, 2, 25))


def test_end_stops_the_trial_and_the_customer_becomes_expired(full):
    customer = upsert_customer(partner_id=full.partner_id, record=CustomerRecord(uuid.uuid4(), "Acme", "CA"))
    trial = start_trial(scope=full, customer=customer, products=["meetings"], licenses=5, days=30, today=TODAY)
    change_trial(scope=full, customer=customer, subscription_id=trial.subscription_id, action="end", today=TODAY)
    assert Customer.objects.get(pk=customer.pk).status_list == ["expired", "no_recent_activity"]


def test_convert_creates_an_auto_renewing_paid_subscription_with_the_trial_lines(full):
    customer = upsert_customer(partner_id=full.partner_id, record=CustomerRecord(uuid.uuid4(), "Acme", "UAE"))
    trial = start_trial(scope=full, customer=customer, products=["calling"], licenses=40, days=90, today=TODAY)
    paid = change_trial(
        scope=full, customer=customer, subscription_id=trial.subscription_id, action="convert", today=TODAY
    )
    assert (paid.kind, paid.state, paid.auto_renew, paid.end_on) == ("paid", "active", True, date(2027, 11, 25))
    assert list(paid.license_lines.values_list("product", "quantity")) == [("calling", 40)]
    assert "subscription" in Customer.objects.get(pk=customer.pk).status_list


def test_ended_trial_cannot_be_extended(full):
    customer = upsert_customer(partner_id=full.partner_id, record=CustomerRecord(uuid.uuid4(), "Acme", "CA"))
    trial = start_trial(scope=full, customer=customer, products=["meetings"], licenses=5, days=30, today=TODAY)
    change_trial(scope=full, customer=customer, subscription_id=trial.subscription_id, action="end", today=TODAY)
    with pytest.raises(TrialRefused, match="is not running"):
        change_trial(scope=full, customer=customer, subscription_id=trial.subscription_id, action="extend", today=TODAY)
