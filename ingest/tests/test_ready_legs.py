"""Call legs the command's reading process made ready for COPY (ingest.fast_legs.ReadyLegs) are
stored as they are when every customer they name is the scope's partner's and in one region;
otherwise they are decoded and ingested like any others, with the same answer."""

import uuid

import pytest

from accounts.models import AccessKind, CustomerAccess
from accounts.scope import partner_wide, scope_for
from accounts.tests.factories import AdminFactory
from calling.batch_figures import count_batch
from calling.copy_rows import copy_text
from calling.models import CallDailyRollup, CallLeg
from calling.services import recompute_rollups
from customers.tests.factories import CustomerFactory
from ingest.fast_legs import CheckedLeg, ReadyLegs
from ingest.services import BatchResult, checked_call_legs, ingest_batch

from .samples import sample_rows
from .test_services import rollups_in, rows_of

pytestmark = pytest.mark.django_db(databases="__all__")

EU = "region_eu"


class Decoded:
    """Counts how often the legs were decoded."""

    def __init__(self, legs: list[CheckedLeg]) -> None:
        self.legs = legs
        self.times = 0

    def __call__(self) -> list[CheckedLeg]:
        self.times += 1
        return self.legs


def ready_legs(legs: list[dict[str, object]], partner_id: int) -> tuple[ReadyLegs, Decoded]:
    """The legs as the reading process sends them for a scope of `partner_id`."""
    checked = [item for item in checked_call_legs(rows_of(legs), partner_id) if isinstance(item, CheckedLeg)]
    assert len(checked) == len(legs)
    text = copy_text(leg.row for leg in sorted(checked, key=lambda leg: str(leg.row[2])))
    decoded = Decoded(checked)
    orgs = sorted({leg.org_hex for leg in checked})
    return ReadyLegs(text, orgs, partner_id, len(checked), decoded), decoded


def ingest_ready(scope, legs: list[dict[str, object]]) -> tuple[BatchResult, Decoded]:
    ready, decoded = ready_legs(legs, scope.partner_id)
    figures = count_batch(leg.row for leg in decoded.legs)
    assert figures is not None
    result = ingest_batch(scope=scope, kind="call-legs", rows=[], counted=lambda: figures, ready_legs=ready)
    return result, decoded


def legs_of(*customers) -> list[dict[str, object]]:
    return [leg for customer in customers for leg in sample_rows(customer.org_id)["call-legs"]]


@pytest.mark.postgresql
def test_legs_of_the_partners_customers_in_one_region_are_stored_without_being_decoded(partner):
    customers = CustomerFactory(partner=partner, region="EU"), CustomerFactory(partner=partner, region="EU")
    result, decoded = ingest_ready(partner_wide(partner.pk), legs_of(*customers))
    assert (result.accepted, result.duplicates, result.rejected) == (4, 0, [])
    assert decoded.times == 0
    assert set(CallLeg.objects.using(EU).values_list("partner_id", flat=True)) == {partner.pk}
    stored = rollups_in(EU)
    recompute_rollups(region="EU")
    assert stored == rollups_in(EU)


def test_a_leg_of_a_customer_not_yours_is_rejected_with_its_line_and_the_others_are_stored(partner):
    yours, theirs = CustomerFactory(partner=partner, region="EU"), CustomerFactory(region="EU")
    result, decoded = ingest_ready(partner_wide(partner.pk), legs_of(yours, theirs))
    assert decoded.times == 1
    assert result.accepted == 2
    assert [rejection.line for rejection in result.rejected] == [3, 4]
    assert all("is not a customer you may write for" in rejection.error for rejection in result.rejected)
    assert set(CallLeg.objects.using(EU).values_list("org_id", flat=True)) == {yours.org_id}
    stored = rollups_in(EU)
    recompute_rollups(region="EU")
    assert stored == rollups_in(EU)


def test_legs_of_another_partners_customer_seen_through_a_grant_are_stored_as_that_partners(partner):
    theirs = CustomerFactory(region="EU")
    pam = AdminFactory(partner=partner, role="partner_admin")
    CustomerAccess.objects.create(admin=pam, org_id=theirs.org_id, kind=AccessKind.GRANTED)
    result, decoded = ingest_ready(scope_for(pam), legs_of(theirs))
    assert result.accepted == 2
    assert decoded.times == 1
    assert set(CallLeg.objects.using(EU).values_list("partner_id", flat=True)) == {theirs.partner_id}
    assert set(CallDailyRollup.objects.using(EU).values_list("partner_id", flat=True)) == {theirs.partner_id}


def test_legs_of_customers_in_two_regions_land_in_their_own_regions(partner):
    eu, us = CustomerFactory(partner=partner, region="EU"), CustomerFactory(partner=partner, region="US")
    result, _ = ingest_ready(partner_wide(partner.pk), legs_of(eu, us))
    assert result.accepted == 4
    assert set(CallLeg.objects.using("region_eu").values_list("org_id", flat=True)) == {eu.org_id}
    assert set(CallLeg.objects.using("region_us").values_list("org_id", flat=True)) == {us.org_id}
    assert set(CallDailyRollup.objects.using("region_us").values_list("org_id", flat=True)) == {us.org_id}


def test_ready_legs_resent_are_duplicates_and_the_rollups_do_not_change(partner):
    customer = CustomerFactory(partner=partner, region="EU")
    ingest_ready(partner_wide(partner.pk), legs_of(customer))
    before = rollups_in(EU)
    result, _ = ingest_ready(partner_wide(partner.pk), legs_of(customer))
    assert (result.accepted, result.duplicates) == (0, 2)
    assert rollups_in(EU) == before


def test_the_batchs_other_lines_are_answered_beside_the_ready_legs(partner):
    customer = CustomerFactory(partner=partner, region="EU")
    ready, decoded = ready_legs(legs_of(customer), partner.pk)
    figures = count_batch(leg.row for leg in decoded.legs)
    result = ingest_batch(
        scope=partner_wide(partner.pk),
        kind="call-legs",
        rows=rows_of([{"org_id": str(uuid.uuid4())}]),
        counted=lambda: figures,
        ready_legs=ready,
    )
    assert result.accepted == 2
    assert [rejection.line for rejection in result.rejected] == [1]
    assert result.rejected[0].error.startswith("leg_id: is required")


def test_ready_legs_are_call_legs_only(partner):
    customer = CustomerFactory(partner=partner, region="EU")
    ready, _ = ready_legs(legs_of(customer), partner.pk)
    with pytest.raises(ValueError, match="call legs"):
        ingest_batch(scope=partner_wide(partner.pk), kind="devices", rows=[], ready_legs=ready)
