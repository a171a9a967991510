"""Ingestion requests made with an Idempotency-Key (control database)."""

from django.db import models
from django.utils import timezone

from accounts.models import Admin


class IdempotentRequest(models.Model):
    """One Idempotency-Key of one admin: which request it named (a hash of kind, format and body)
    and the answer that request got, returned again when the request is replayed."""

    admin = models.ForeignKey(Admin, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["admin", "key"], name="one_request_per_idempotency_key")]
        indexes = [models.Index(fields=["admin", "created_at"])]

    def __str__(self) -> str:
        return f"{self.admin_id}:{self.key}"
