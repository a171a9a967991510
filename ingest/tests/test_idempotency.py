import datetime as dt

import pytest

from ingest.idempotency import (
    RETENTION,
    STALE_AFTER,
    InvalidKey,
    KeyInProgress,
    KeyReused,
    claim_key,
    complete_key,
    release_key,
)
from ingest.models import IdempotentRequest

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def test_a_new_key_is_claimed_for_processing(full_admin):
    claim = claim_key(admin_id=full_admin.pk, key="k", request_hash="h", now=NOON)
    assert claim.answer is None
    assert IdempotentRequest.objects.get(key="k").completed_at is None


def test_a_completed_key_gives_back_its_answer(full_admin):
    complete_key(claim_key(admin_id=full_admin.pk, key="k", request_hash="h"), status_code=200, answer={"accepted": 3})
    assert claim_key(admin_id=full_admin.pk, key="k", request_hash="h").answer == (200, {"accepted": 3})


def test_the_same_key_for_another_request_is_refused(full_admin):
    claim_key(admin_id=full_admin.pk, key="k", request_hash="h1")
    with pytest.raises(KeyReused, match="different request"):
        claim_key(admin_id=full_admin.pk, key="k", request_hash="h2")


def test_a_key_whose_request_still_runs_is_busy(full_admin):
    claim_key(admin_id=full_admin.pk, key="k", request_hash="h", now=NOON)
    with pytest.raises(KeyInProgress, match="still being processed"):
        claim_key(admin_id=full_admin.pk, key="k", request_hash="h", now=NOON + dt.timedelta(minutes=1))


def test_a_key_whose_request_died_is_taken_over(full_admin):
    claim_key(admin_id=full_admin.pk, key="k", request_hash="h", now=NOON)
    later = NOON + STALE_AFTER + dt.timedelta(seconds=1)
    claim = claim_key(admin_id=full_admin.pk, key="k", request_hash="h", now=later)
    assert (claim.answer, IdempotentRequest.objects.get(key="k").created_at) == (None, later)


def test_a_released_key_can_be_claimed_again(full_admin):
    release_key(claim_key(admin_id=full_admin.pk, key="k", request_hash="h1"))
    assert claim_key(admin_id=full_admin.pk, key="k", request_hash="h2").answer is None


def test_keys_are_forgotten_after_the_retention(full_admin):
    complete_key(claim_key(admin_id=full_admin.pk, key="old", request_hash="h", now=NOON), status_code=200, answer={})
    claim_key(admin_id=full_admin.pk, key="new", request_hash="h", now=NOON + RETENTION + dt.timedelta(seconds=1))
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.parametrize("key", ["", "with space", "x" * 201, "caf\u00e9"])
def test_unusable_keys_are_refused(full_admin, key):
    with pytest.raises(InvalidKey):
        claim_key(admin_id=full_admin.pk, key=key, request_hash="h")
