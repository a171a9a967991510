"""The worker's warm-up of license overviews after license data changes (warming.py)."""

import pytest
from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext

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
    eu = {(partner, product) for region, partner, product in done if region == "EU"}
    assert eu == {(p.pk, product) for p in (book.partner, book.other) for product in ("meetings", "calling")}


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
    assert {region for region, _p, _product in warming.warm_license_overviews(today=TODAY)} == {"EU"}
