"""Idempotency-Key bookkeeping for ingestion requests: the first request with a key is processed
and its answer stored; a replay (same key, same request) gets that answer again without being
processed; the same key with a different request is refused.

Keys belong to the token's admin, so two admins never collide, and are kept for RETENTION."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import IdempotentRequest

RETENTION = timedelta(days=7)
# A request still marked in progress after this long died with its process; a retry takes over.
STALE_AFTER = timedelta(minutes=15)
MAX_KEY_LENGTH = 200
_KEY = re.compile(r"^[\x21-\x7e]+$")


class InvalidKey(ValueError):
    """The Idempotency-Key header is empty, too long or not printable ASCII."""


class KeyReused(ValueError):
    """The key was used before for a different request (another kind, format or body)."""


class KeyInProgress(RuntimeError):
    """The first request with this key is still being processed."""


@dataclass(frozen=True, slots=True)
class Claim:
    """A key claimed for processing (`answer` None), or the stored answer of its first request."""

    request: IdempotentRequest
    answer: tuple[int, dict[str, Any]] | None  # Any: the stored JSON answer


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not _KEY.match(key):
        raise InvalidKey(f"the Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters without spaces")
    return key


def claim_key(*, admin_id: int, key: str, request_hash: str, now: datetime | None = None) -> Claim:
    """Claim `key` for a request whose fingerprint is `request_hash`.

    Returns a Claim to process (then `complete_key` or `release_key`), or the stored answer of
    the same request made before. Raises InvalidKey, KeyReused for a different request, and
    KeyInProgress while the first request runs. Forgets this admin's keys older than RETENTION."""
    check_key(key)
    now = now or timezone.now()
    IdempotentRequest.objects.filter(admin_id=admin_id, created_at__lt=now - RETENTION).delete()
    try:
        with transaction.atomic():
            created = IdempotentRequest.objects.create(
                admin_id=admin_id, key=key, request_hash=request_hash, created_at=now
            )
        return Claim(created, None)
    except IntegrityError:
        existing = IdempotentRequest.objects.get(admin_id=admin_id, key=key)
    if existing.request_hash != request_hash:
        raise KeyReused("this Idempotency-Key was already used for a different request (kind, format or body)")
    if existing.completed_at is not None and existing.status_code is not None:
        return Claim(existing, (existing.status_code, existing.response or {}))
    taken_over = (
        existing.created_at <= now - STALE_AFTER
        and IdempotentRequest.objects.filter(
            pk=existing.pk, completed_at__isnull=True, created_at=existing.created_at
        ).update(created_at=now)
        == 1
    )
    if not taken_over:
        raise KeyInProgress("a request with this Idempotency-Key is still being processed; retry in a moment")
    existing.created_at = now
    return Claim(existing, None)


def complete_key(claim: Claim, *, status_code: int, answer: dict[str, Any]) -> None:
    """Store the answer the claimed request got, for replays."""
    IdempotentRequest.objects.filter(pk=claim.request.pk).update(
        status_code=status_code, response=answer, completed_at=timezone.now()
    )


def release_key(claim: Claim) -> None:
    """Forget a claim whose request failed before it had an answer, so it may be retried."""
    IdempotentRequest.objects.filter(pk=claim.request.pk, completed_at__isnull=True).delete()


def forget_expired_keys(*, now: datetime | None = None) -> int:
    """Delete every admin's keys older than RETENTION (the periodic clean-up); returns how many."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=(now or timezone.now()) - RETENTION).delete()
    return deleted
