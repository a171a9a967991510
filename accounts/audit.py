"""Recording audit events: every service that changes something calls `record`."""

import uuid
from typing import Any

from .models import AuditEvent
from .scope import Scope


def record(
    *,
    scope: Scope | None,
    action: str,
    obj_type: str,
    obj_id: object,
    org_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    partner_id: int | None = None,
    actor_id: int | None = None,
) -> AuditEvent:
    """Write one audit event. The actor is the scope's admin, or `actor_id` for an admin acting
    on its own account outside a scope; with neither it is the system (ingestion, demo, tasks)."""
    return AuditEvent.objects.create(
        actor_id=scope.admin_id if scope else actor_id,
        partner_id=scope.partner_id if scope else partner_id,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        org_id=org_id,
        before=before,
        after=after,
    )
