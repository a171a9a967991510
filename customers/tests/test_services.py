import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from accounts.models import AuditEvent
from accounts.scope import NotAllowed, scope_for
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.models import Customer
from customers.services import (
    CustomerConflict,
    CustomerRecord,
    assign_admin,
    grant_external,
    record_admin_activity,
    refresh_statuses,
    revoke_access,
    upsert_customer,
)
from subscriptions.models import Subscription
from subscriptions.services import LicenseLineRecord, SubscriptionConflict, SubscriptionRecord, upsert_subscriptions

pytestmark = pytest.mark.django_db(databases="__all__")
TODAY = date(2026, 11, 25)


def new_customer(partner, region="EU", name="Acme"):
    return upsert_customer(partner_id=partner.pk, record=CustomerRecord(org_id=uuid.uuid4(), name=name, region=region))


def test_new_customer_is_in_the_directory_as_expired_and_audited():
    partner = PartnerFactory()
    customer = new_customer(partner)
    customer.refresh_from_db()
    assert customer.status_list == ["expired", "no_recent_activity"]
    assert AuditEvent.objects.filter(action="customer.create", org_id=customer.org_id).count() == 1


def test_customer_of_another_partner_cannot_be_taken_over():
    first, second = PartnerFactory(), PartnerFactory()
    customer = new_customer(first)
    with pytest.raises(CustomerConflict, match="another partner"):
        upsert_customer(partner_id=second.pk, record=CustomerRecord(org_id=customer.org_id, name="x", region="EU"))


def test_customer_cannot_move_region_by_update():
    partner = PartnerFactory()
    customer = new_customer(partner, region="EU")
    with pytest.raises(CustomerConflict, match="lives in region EU"):
        upsert_customer(partner_id=partner.pk, record=CustomerRecord(org_id=customer.org_id, name="x", region="US"))


def test_subscription_write_lands_in_the_customer_region_and_refreshes_statuses():
    partner = PartnerFactory()
    customer = new_customer(partner, region="CA")
    record_admin_activity(org_id=customer.org_id, at=datetime.now(UTC))
    upsert_subscriptions(
        customer=customer,
        records=[
            SubscriptionRecord(
                subscription_id="Sub-1",
                kind="paid",
                state="active",
                start_on=TODAY - timedelta(days=100),
                end_on=TODAY + timedelta(days=10),
                lines=(LicenseLineRecord(product="calling", sku="CALL-PRO", quantity=10, assigned=12, used=5),),
            )
        ],
    )
    customer.refresh_from_db()
    assert Subscription.objects.using("region_ca").filter(subscription_id="Sub-1").count() == 1
    assert Subscription.objects.using("region_us").count() == 0
    assert set(customer.status_list) == {"subscription", "expiring_soon", "license_overage"}
    assert customer.product_list == ["calling"]


def test_subscription_id_of_another_customer_is_refused_and_nothing_is_written():
    partner = PartnerFactory()
    first, second = new_customer(partner, name="A"), new_customer(partner, name="B")
    record = SubscriptionRecord(subscription_id="Sub-9", kind="paid", state="active", start_on=TODAY)
    upsert_subscriptions(customer=first, records=[record])
    other = SubscriptionRecord(subscription_id="Sub-10", kind="paid", state="active", start_on=TODAY)
    with pytest.raises(SubscriptionConflict, match="Sub-9 belongs to another customer"):
        upsert_subscriptions(customer=second, records=[other, record])
    assert not Subscription.objects.using("region_eu").filter(subscription_id="Sub-10").exists()


def test_admin_activity_keeps_the_latest_time():
    partner = PartnerFactory()
    customer = new_customer(partner)
    later, earlier = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    record_admin_activity(org_id=customer.org_id, at=later)
    record_admin_activity(org_id=customer.org_id, at=earlier)
    customer.refresh_from_db()
    assert customer.last_admin_activity_at == later


def test_statuses_move_with_the_date():
    partner = PartnerFactory()
    customer = new_customer(partner)
    upsert_subscriptions(
        customer=customer,
        records=[SubscriptionRecord("Sub-2", "trial", "active", TODAY, end_on=TODAY + timedelta(days=45))],
    )
    refresh_statuses(org_ids=[customer.org_id], today=TODAY + timedelta(days=20))
    assert "expiring_soon" in Customer.objects.get(pk=customer.pk).status_list


def test_partner_admin_is_assigned_and_revoked_with_audit():
    partner = PartnerFactory()
    customer = new_customer(partner)
    full = scope_for(AdminFactory(partner=partner, role="full_admin"))
    pam = AdminFactory(partner=partner, role="partner_admin")
    assign_admin(scope=full, org_id=customer.org_id, admin=pam)
    assert scope_for(pam).customer_ids == {customer.org_id}
    assert revoke_access(scope=full, org_id=customer.org_id, admin=pam) is True
    assert scope_for(pam).customer_ids == frozenset()
    assert list(AuditEvent.objects.filter(org_id=customer.org_id).values_list("action", flat=True)) == [
        "customer.revoke_access",
        "customer.assign_admin",
        "customer.create",
    ]


def test_read_only_admin_cannot_assign():
    partner = PartnerFactory()
    customer = new_customer(partner)
    reader = scope_for(AdminFactory(partner=partner, role="read_only"))
    with pytest.raises(NotAllowed):
        assign_admin(scope=reader, org_id=customer.org_id, admin=AdminFactory(partner=partner, role="partner_admin"))


def test_grant_to_external_admin_of_other_partner_gives_access():
    ours, theirs = PartnerFactory(), PartnerFactory()
    customer = new_customer(ours)
    full = scope_for(AdminFactory(partner=ours, role="full_admin"))
    external = AdminFactory(partner=theirs, role="external_admin")
    grant_external(scope=full, org_id=customer.org_id, admin=external)
    assert scope_for(external).may_see(customer.org_id, customer.partner_id) is True


def test_customer_out_of_scope_cannot_be_assigned():
    ours, theirs = PartnerFactory(), PartnerFactory()
    foreign = new_customer(theirs)
    full = scope_for(AdminFactory(partner=ours, role="full_admin"))
    with pytest.raises(Customer.DoesNotExist):
        assign_admin(scope=full, org_id=foreign.org_id, admin=AdminFactory(partner=ours, role="partner_admin"))


def granted_to_external(managing, external_partner):
    """A customer of `managing` granted to an external admin of `external_partner`, with the
    scopes of a full admin of `managing` and of that external admin."""
    customer = new_customer(managing)
    full = scope_for(AdminFactory(partner=managing, role="full_admin"))
    external = AdminFactory(partner=external_partner, role="external_admin")
    grant_external(scope=full, org_id=customer.org_id, admin=external)
    return customer, full, scope_for(external)


def test_external_admin_cannot_assign_an_admin_of_the_managing_partner():
    managing, theirs = PartnerFactory(), PartnerFactory()
    customer, _full, external = granted_to_external(managing, theirs)
    staff = AdminFactory(partner=managing, role="partner_admin")
    with pytest.raises(NotAllowed, match="Only the managing partner assigns admins"):
        assign_admin(scope=external, org_id=customer.org_id, admin=staff)
    assert scope_for(staff).customer_ids == frozenset()
    assert not AuditEvent.objects.filter(action="customer.assign_admin").exists()


def test_external_admin_cannot_remove_an_admin_of_the_managing_partner():
    managing, theirs = PartnerFactory(), PartnerFactory()
    customer, full, external = granted_to_external(managing, theirs)
    staff = AdminFactory(partner=managing, role="partner_admin")
    assign_admin(scope=full, org_id=customer.org_id, admin=staff)
    with pytest.raises(NotAllowed, match="its own partner's admins"):
        revoke_access(scope=external, org_id=customer.org_id, admin=staff)
    assert scope_for(staff).customer_ids == {customer.org_id}


def test_external_admin_cannot_remove_the_grant_of_another_partners_admin():
    managing, theirs, third = PartnerFactory(), PartnerFactory(), PartnerFactory()
    customer, full, external = granted_to_external(managing, theirs)
    other = AdminFactory(partner=third, role="external_admin")
    grant_external(scope=full, org_id=customer.org_id, admin=other)
    with pytest.raises(NotAllowed, match="its own partner's admins"):
        revoke_access(scope=external, org_id=customer.org_id, admin=other)
    assert scope_for(other).customer_ids == {customer.org_id}


def test_external_admin_removes_the_grant_of_a_colleague_with_audit():
    managing, theirs = PartnerFactory(), PartnerFactory()
    customer, full, external = granted_to_external(managing, theirs)
    colleague = AdminFactory(partner=theirs, role="external_admin")
    grant_external(scope=full, org_id=customer.org_id, admin=colleague)
    assert revoke_access(scope=external, org_id=customer.org_id, admin=colleague) is True
    assert scope_for(colleague).customer_ids == frozenset()
    assert AuditEvent.objects.filter(action="customer.revoke_access", actor_id=external.admin_id).count() == 1
