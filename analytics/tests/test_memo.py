"""RegionMemo keeps a result only under the change token it was computed under."""

import pytest
from django.core.cache import cache

from analytics.memo import RegionMemo
from subscriptions.models import LicenseDataChange, LicenseLine
from subscriptions.tests.factories import customer_with_a_line

pytestmark = pytest.mark.django_db(databases="__all__")
EU = "region_eu"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def token():
    customer_with_a_line(region="EU")
    return LicenseDataChange.current(EU)


class Counter:
    def __init__(self, action=None):
        self.calls = 0
        self.action = action

    def __call__(self):
        self.calls += 1
        if self.action:
            self.action()
        return self.calls


def test_a_result_is_kept_under_its_token(token):
    memo, compute = RegionMemo(), Counter()
    assert [memo.remember(EU, token, "k", compute) for _ in range(3)] == [1, 1, 1]


def test_a_new_token_computes_again(token):
    memo, compute = RegionMemo(), Counter()
    memo.remember(EU, token, "k", compute)
    LicenseLine.objects.using(EU).update(assigned=6)
    assert memo.remember(EU, LicenseDataChange.current(EU), "k", compute) == 2


def test_a_result_computed_while_the_data_changed_is_not_kept(token):
    memo = RegionMemo()
    compute = Counter(lambda: LicenseLine.objects.using(EU).update(used=4))
    memo.remember(EU, token, "k", compute)
    assert memo.remember(EU, token, "k", compute) == 2


def test_without_a_token_nothing_is_kept():
    memo, compute = RegionMemo(), Counter()
    memo.remember(EU, None, "k", compute)
    assert memo.remember(EU, None, "k", compute) == 2


def test_the_least_recently_used_entry_goes_first(token):
    memo = RegionMemo(size=2)
    first, second, third = Counter(), Counter(), Counter()
    memo.remember(EU, token, "first", first)
    memo.remember(EU, token, "second", second)
    memo.remember(EU, token, "first", first)  # first is now the most recent
    memo.remember(EU, token, "third", third)  # second goes
    cache.clear()  # only what this process kept is left
    memo.remember(EU, token, "first", first)
    memo.remember(EU, token, "second", second)
    assert (first.calls, second.calls, third.calls) == (1, 2, 1)


def test_another_process_takes_the_result_from_the_shared_cache(token):
    here, there, compute = RegionMemo(), RegionMemo(), Counter()
    here.remember(EU, token, "k", compute)
    assert there.remember(EU, token, "k", compute) == 1
    assert compute.calls == 1


def test_a_result_not_kept_here_is_not_shared_either(token):
    here, there = RegionMemo(), RegionMemo()
    compute = Counter(lambda: LicenseLine.objects.using(EU).update(used=4))
    here.remember(EU, token, "k", compute)
    assert there.remember(EU, token, "k", compute) == 2


class BrokenCache:
    def get(self, key):
        raise ConnectionError("cache down")

    def set(self, key, value, timeout):
        raise ConnectionError("cache down")


def test_an_unreachable_shared_cache_only_costs_the_work(token, monkeypatch):
    monkeypatch.setattr("analytics.memo.cache", BrokenCache())
    memo, compute = RegionMemo(), Counter()
    assert [memo.remember(EU, token, "k", compute) for _ in range(2)] == [1, 1]
