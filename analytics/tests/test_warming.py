"""The worker's warm-up of license overviews after license data changes (warming.py)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccessKind, CustomerAccess
from accounts.scope import scope_for
from accounts.tests.factories import AdminFactory
from analytics import queries, warming
from analytics.queries import license_overview
from analytics.tests.factories import TODAY, build_book
from subscriptions.models import LicenseLine

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def book():
    cache.clear()
    warming._warmed.clear()
    queries._MEMO.forget_here()
    return build_book()


def overview(scope, product="meetings"):
    return license_overview(scope, region="EU", product=product, today=TODAY)


def test_each_partner_and_product_of_a_changed_region_is_worked_out(book):
    done = warming.warm_license_overviews(today=TODAY)
    eu = {(partner, product) for region, partner, admin, product in done if region == "EU" and admin is None}
    assert eu == {(p.pk, product) for p in (book.partner, book.other) for product in ("meetings", "calling")}


def partner_admin(book, *, signed_in_days_ago, customers):
    admin = AdminFactory(partner=book.partner, role="partner_admin")
    admin.last_login = timezone.now() - timedelta(days=signed_in_days_ago)
    admin.save(update_fields=["last_login"])
    for customer in customers:
        CustomerAccess.objects.create(admin=admin, org_id=customer.org_id, kind=AccessKind.ASSIGNED)
    return admin


def test_partner_admins_who_signed_in_lately_have_their_own_view_worked_out(book):
    recent = partner_admin(book, signed_in_days_ago=2, customers=[book.customers["Elm"], book.customers["Ivy"]])
    partner_admin(book, signed_in_days_ago=45, customers=[book.customers["Elm"]])
    partner_admin(book, signed_in_days_ago=1, customers=[book.umber])  # no customer in EU
    done = warming.warm_license_overviews(today=TODAY)
    eu_admins = {admin for region, _partner, admin, _product in done if region == "EU" and admin is not None}
    assert eu_admins == {recent.pk}


def test_a_partner_admins_warmed_view_is_what_it_would_work_out(book):
    admin = partner_admin(book, signed_in_days_ago=2, customers=[book.customers["Elm"], book.customers["Ivy"]])
    warming.warm_license_overviews(today=TODAY)
    queries._MEMO.forget_here()
    with CaptureQueriesContext(connections["region_eu"]) as eu:
        warmed = overview(scope_for(admin))
    assert len(eu) == 3  # the change token, the partners of its customers' lines, the shown rows' snapshots
    cache.clear()
    queries._MEMO.forget_here()
    assert warmed == overview(scope_for(admin))


def test_after_the_warm_up_a_new_process_reads_only_the_token_and_the_shown_rows(book):
    warming.warm_license_overviews(today=TODAY)
    queries._MEMO.forget_here()  # a web process other than the worker
    with CaptureQueriesContext(connections["region_eu"]) as eu:
        warmed = overview(book.full)
    assert len(eu) == 2  # the change token, the shown rows' snapshots
    cache.clear()
    queries._MEMO.forget_here()
    assert warmed == overview(book.full)


def test_a_region_whose_data_has_not_changed_is_not_worked_out_again(book):
    warming.warm_license_overviews(today=TODAY)
    assert warming.warm_license_overviews(today=TODAY) == []


def test_a_write_after_the_warm_up_has_it_worked_out_again(book):
    warming.warm_license_overviews(today=TODAY)
    LicenseLine.objects.using("region_eu").filter(product="meetings").update(assigned=0)
    assert {done[0] for done in warming.warm_license_overviews(today=TODAY)} == {"EU"}
