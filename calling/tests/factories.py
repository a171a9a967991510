import datetime as dt
import uuid

import factory

from calling.rules import CallLegRecord

ORG = uuid.UUID("11111111-1111-4111-8111-111111111111")
PARTNER_ID = 7


class CallLegRecordFactory(factory.Factory):
    """A measured, good-quality audio desk-phone leg of customer ORG, one call per leg."""

    class Meta:
        model = CallLegRecord

    leg_id = factory.Sequence(lambda n: f"leg-{n:06d}")
    call_id = factory.Sequence(lambda n: f"call-{n:06d}")
    org_id = ORG
    partner_id = PARTNER_ID
    location_id = None
    user_id = "user-1"
    started_at = dt.datetime(2026, 1, 6, 9, 30, tzinfo=dt.UTC)
    duration_seconds = 60
    direction = "outbound"
    media = "audio"
    endpoint_type = "desk_phone"
    jitter_ms = 10.0
    latency_ms = 50.0
    loss_pct = 0.1
    feature = ""
    transferred = False
    queue_outcome = ""
    queue_wait_seconds = None
