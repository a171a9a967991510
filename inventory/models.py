"""Customer sites, devices and phone numbers (region databases)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from regions.models import RegionQuerySet, RegionRow


class Location(RegionRow):
    """A customer site."""

    location_id = models.UUIDField(unique=True, default=uuid.uuid4)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    address = models.CharField(max_length=300, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["org_id", "name"])]

    def __str__(self) -> str:
        return self.name


class Device(RegionRow):
    """A phone or room device registered to a customer, identified by its MAC address."""

    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="devices")
    product = models.CharField(max_length=80)
    mac = models.CharField(max_length=12, unique=True)
    firmware = models.CharField(max_length=80, blank=True)
    primary_number = models.CharField(max_length=20, blank=True)
    extension = models.CharField(max_length=10, blank=True)
    user_id = models.CharField(max_length=200, blank=True)
    user_uuid = models.UUIDField(null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["mac"]
        indexes = [models.Index(fields=["org_id", "location"])]

    def __str__(self) -> str:
        return self.mac


class OwnerType(models.TextChoices):
    PERSON = "person", _("Person")
    AUTO_ATTENDANT = "auto_attendant", _("Auto attendant")
    VIRTUAL_LINE = "virtual_line", _("Virtual line")
    HUNT_GROUP = "hunt_group", _("Hunt group")
    CALL_QUEUE = "call_queue", _("Call queue")
    PLACE = "place", _("Workspace")


class NumberType(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")


class PhoneNumber(RegionRow):
    """A PSTN number (E.164) and/or an extension at a customer location.

    An extension-only entry has an empty `number`; an unassigned number has no owner."""

    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="numbers")
    country = models.CharField(max_length=2)
    number = models.CharField(max_length=16, blank=True)
    extension = models.CharField(max_length=10, blank=True)
    pstn_provider = models.CharField(max_length=80, blank=True)
    active = models.BooleanField(default=True)
    owner_type = models.CharField(max_length=20, choices=OwnerType.choices, blank=True)
    number_type = models.CharField(max_length=10, choices=NumberType.choices, blank=True)
    user_id = models.CharField(max_length=200, blank=True)
    user_uuid = models.UUIDField(null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["number", "extension"]
        constraints = [
            models.UniqueConstraint(fields=["org_id", "number", "extension"], name="unique_number_per_customer"),
            models.CheckConstraint(condition=~models.Q(number="", extension=""), name="number_or_extension_present"),
        ]

    def __str__(self) -> str:
        return self.number or f"ext {self.extension}"
