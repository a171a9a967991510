import pytest

from accounts.models import AccessKind, AuditEvent, CustomerAccess
from accounts.scope import NotAllowed, scope_for
from accounts.services import InvalidInput
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.models import Customer, Tag
from customers.services import create_tag, tag_customers
from customers.tests.factories import CustomerFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_full_admin_creates_a_tag_of_its_partner_and_it_is_audited(full_admin):
    tag = create_tag(scope=scope_for(full_admin), name="  Renewal   risk ", color="#DC3545")

    assert (tag.partner_id, tag.name, tag.color) == (full_admin.partner_id, "Renewal risk", "#dc3545")
    assert AuditEvent.objects.filter(action="tag.create", object_id=str(tag.pk), actor=full_admin).exists()


def test_read_only_admin_may_not_create_tags(partner):
    reader = AdminFactory(partner=partner, role="read_only")

    with pytest.raises(NotAllowed, match="edit tags"):
        create_tag(scope=scope_for(reader), name="Strategic")
    assert not Tag.objects.exists()


def test_a_tag_name_is_used_once_per_partner_whatever_its_case(full_admin):
    TagFactory(partner=full_admin.partner, name="Strategic")
    TagFactory(name="Healthcare")  # another partner's tag does not clash

    with pytest.raises(InvalidInput, match="already exists"):
        create_tag(scope=scope_for(full_admin), name="strategic")
    assert create_tag(scope=scope_for(full_admin), name="Healthcare").partner_id == full_admin.partner_id


@pytest.mark.parametrize(
    ("name", "color", "message"),
    [(" ", "#112233", "needs a name"), ("x" * 51, "#112233", "at most 50"), ("Ok", "red", "#rrggbb")],
)
def test_a_tag_needs_a_short_name_and_a_hex_colour(full_admin, name, color, message):
    with pytest.raises(InvalidInput, match=message):
        create_tag(scope=scope_for(full_admin), name=name, color=color)


def test_tagging_adds_the_tag_once_and_audits_each_newly_tagged_customer(full_admin):
    tag = TagFactory(partner=full_admin.partner)
    first, second = CustomerFactory(partner=full_admin.partner), CustomerFactory(partner=full_admin.partner)
    scope = scope_for(full_admin)

    assert tag_customers(scope=scope, tag=tag, org_ids=[first.org_id]) == 1
    assert tag_customers(scope=scope, tag=tag, org_ids=[first.org_id, second.org_id]) == 1

    assert set(Customer.objects.filter(tags=tag).values_list("org_id", flat=True)) == {first.org_id, second.org_id}
    assert AuditEvent.objects.filter(action="customer.tag").count() == 2


def test_a_partner_admin_tags_only_its_assigned_customers(partner):
    pam = AdminFactory(partner=partner, role="partner_admin")
    mine, other = CustomerFactory(partner=partner), CustomerFactory(partner=partner)
    CustomerAccess.objects.create(admin=pam, org_id=mine.org_id, kind=AccessKind.ASSIGNED)
    tag = TagFactory(partner=partner)

    with pytest.raises(InvalidInput, match=str(other.org_id)):
        tag_customers(scope=scope_for(pam), tag=tag, org_ids=[mine.org_id, other.org_id])
    assert not Customer.objects.filter(tags=tag).exists()


def test_another_partners_tag_cannot_be_used(full_admin):
    foreign = TagFactory(partner=PartnerFactory())
    customer = CustomerFactory(partner=full_admin.partner)

    with pytest.raises(Tag.DoesNotExist):
        tag_customers(scope=scope_for(full_admin), tag=foreign, org_ids=[customer.org_id])
