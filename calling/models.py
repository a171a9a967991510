"""Call legs and the rollups dashboards read (region databases)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from regions.models import RegionQuerySet, RegionRow

# Rollup rows need a non-null location in their unique key (NULLs never collide in a unique
# constraint), so legs without a location roll up under this id.
NO_LOCATION = uuid.UUID(int=0)


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Media(models.TextChoices):
    AUDIO = "audio", _("Audio")
    VIDEO = "video", _("Video")


class EndpointType(models.TextChoices):
    DESK_PHONE = "desk_phone", _("Desk phone")
    ROOM_DEVICE = "room_device", _("Room device")
    APP = "app", _("App")
    OTHER_DEVICE = "other_device", _("Other device")


class Feature(models.TextChoices):
    NONE = "", _("None")
    HUNT_GROUP = "hunt_group", _("Hunt group")
    AUTO_ATTENDANT = "auto_attendant", _("Auto attendant")
    CALL_QUEUE = "call_queue", _("Call queue")


class QueueOutcome(models.TextChoices):
    NONE = "", _("None")
    ANSWERED = "answered", _("Answered")
    TIMED_OUT = "timed_out", _("Timed out")
    OVERFLOWED = "overflowed", _("Overflowed")
    TRANSFERRED = "transferred", _("Transferred")
    ABANDONED = "abandoned", _("Abandoned")


class CallLeg(RegionRow):
    """One leg of a call as reported by the cloud platform; appended in bulk, unique on leg id."""

    leg_id = models.CharField(max_length=64)
    call_id = models.CharField(max_length=64)
    location_id = models.UUIDField(null=True, blank=True)
    user_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField()
    direction = models.CharField(max_length=8, choices=Direction.choices)
    media = models.CharField(max_length=5, choices=Media.choices, default=Media.AUDIO)
    endpoint_type = models.CharField(max_length=12, choices=EndpointType.choices)
    jitter_ms = models.FloatField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    loss_pct = models.FloatField(null=True, blank=True)
    feature = models.CharField(max_length=14, choices=Feature.choices, blank=True, default="")
    transferred = models.BooleanField(default=False)
    queue_outcome = models.CharField(max_length=11, choices=QueueOutcome.choices, blank=True, default="")
    queue_wait_seconds = models.PositiveIntegerField(null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        # A call's legs: where a call counts (its earliest leg) and which features it used are
        # read from them whenever more of its legs arrive. Nothing reads legs by time (pages
        # read the rollups), so this is the table's one index besides the leg id's. The row id
        # in it tells a call's earlier legs from a batch's own without reading the table
        # (PostgreSQL: a batch's probes 115 -> 75 ms per 50,000 legs).
        indexes = [models.Index(fields=["org_id", "call_id", "id"])]
        # A constraint rather than `unique=True`, which on PostgreSQL adds a second index on the
        # leg id for LIKE queries: nothing here searches leg ids by prefix, and every leg paid
        # for that index (the engine's own bulk load of 200,000 legs: about 15 % of its time).
        constraints = [models.UniqueConstraint(fields=["leg_id"], name="one_leg_per_leg_id")]

    def __str__(self) -> str:
        return self.leg_id


class CallDailyRollup(RegionRow):
    """Per customer, location, UTC day, endpoint type and media: what the dashboards and the
    calling report read, so their cost follows customers x days rather than call volume."""

    location_id = models.UUIDField(default=NO_LOCATION)
    day = models.DateField()
    endpoint_type = models.CharField(max_length=12, choices=EndpointType.choices)
    media = models.CharField(max_length=5, choices=Media.choices)
    legs = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    duration_seconds = models.PositiveBigIntegerField(default=0)
    measured_legs = models.PositiveIntegerField(default=0)
    poor_legs = models.PositiveIntegerField(default=0)
    hunt_group_calls = models.PositiveIntegerField(default=0)
    auto_attendant_calls = models.PositiveIntegerField(default=0)
    call_queue_calls = models.PositiveIntegerField(default=0)
    transfers = models.PositiveIntegerField(default=0)
    queue_answered = models.PositiveIntegerField(default=0)
    queue_timed_out = models.PositiveIntegerField(default=0)
    queue_overflowed = models.PositiveIntegerField(default=0)
    queue_transferred = models.PositiveIntegerField(default=0)
    queue_abandoned = models.PositiveIntegerField(default=0)
    queue_answered_wait_seconds = models.PositiveBigIntegerField(default=0)
    queue_abandoned_wait_seconds = models.PositiveBigIntegerField(default=0)

    objects = RegionQuerySet.as_manager()

    class Meta:
        constraints = [
            # Day second, so that a customer's days in a range are one stretch of the index
            # (what dashboards ask: every read is scoped to customers). There is no index by
            # partner: reads go by customer, and each index costs every ingested bucket a write.
            models.UniqueConstraint(
                fields=["org_id", "day", "location_id", "endpoint_type", "media"], name="one_rollup_per_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_id}@{self.day}"


class CallingUserWeek(RegionRow):
    """A user who made or took at least one call leg in a week (weeks start Sunday 00:00 UTC)."""

    week_on = models.DateField()
    user_id = models.CharField(max_length=64)

    objects = RegionQuerySet.as_manager()

    class Meta:
        # Reads go by customer, through this index; see CallDailyRollup.
        constraints = [models.UniqueConstraint(fields=["org_id", "week_on", "user_id"], name="one_user_week")]

    def __str__(self) -> str:
        return f"{self.org_id}/{self.user_id}@{self.week_on}"


class CallingWeek(RegionRow):
    """A customer's frozen figures for one complete week, written by the Sunday job."""

    week_on = models.DateField()
    calls = models.PositiveIntegerField(default=0)
    legs = models.PositiveIntegerField(default=0)
    duration_seconds = models.PositiveBigIntegerField(default=0)
    active_users = models.PositiveIntegerField(default=0)
    measured_legs = models.PositiveIntegerField(default=0)
    poor_legs = models.PositiveIntegerField(default=0)
    frozen_at = models.DateTimeField()

    objects = RegionQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org_id", "week_on"], name="one_calling_week")]
        indexes = [models.Index(fields=["partner_id", "week_on"])]

    def __str__(self) -> str:
        return f"{self.org_id}@{self.week_on}"
