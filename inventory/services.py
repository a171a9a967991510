"""Writes of locations, devices and phone numbers into the customer's region database."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from customers.models import Customer
from regions.context import region_atomic

from .models import Device, Location, PhoneNumber


class InventoryConflict(ValueError):
    """The write names a location or device that belongs to another customer or does not exist."""


@dataclass(frozen=True, slots=True)
class LocationRecord:
    location_id: uuid.UUID
    name: str
    country: str
    address: str = ""


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    mac: str
    product: str
    location_id: uuid.UUID | None = None
    firmware: str = ""
    primary_number: str = ""
    extension: str = ""
    user_id: str = ""
    user_uuid: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class NumberRecord:
    country: str
    number: str = ""
    extension: str = ""
    location_id: uuid.UUID | None = None
    pstn_provider: str = ""
    active: bool = True
    owner_type: str = ""
    number_type: str = ""
    user_id: str = ""
    user_uuid: uuid.UUID | None = None


def _location(customer: Customer, location_id: uuid.UUID | None, cache: dict[uuid.UUID, Location]) -> Location | None:
    if location_id is None:
        return None
    if location_id not in cache:
        found = Location.objects.filter(location_id=location_id, org_id=customer.org_id).first()
        if found is None:
            raise InventoryConflict(f"location {location_id} does not exist for customer {customer.org_id}")
        cache[location_id] = found
    return cache[location_id]


def upsert_locations(*, customer: Customer, records: Sequence[LocationRecord]) -> int:
    """Create or update the customer's sites by location id."""
    with region_atomic(customer.region):
        for record in records:
            existing = Location.objects.filter(location_id=record.location_id).first()
            if existing is not None and existing.org_id != customer.org_id:
                raise InventoryConflict(f"location {record.location_id} belongs to another customer")
            Location.objects.update_or_create(
                location_id=record.location_id,
                defaults={
                    "org_id": customer.org_id,
                    "partner_id": customer.partner_id,
                    "name": record.name,
                    "country": record.country.upper(),
                    "address": record.address,
                },
            )
    return len(records)


def upsert_devices(*, customer: Customer, records: Sequence[DeviceRecord]) -> int:
    """Create or update devices by MAC address (12 hex digits, stored upper-case)."""
    cache: dict[uuid.UUID, Location] = {}
    with region_atomic(customer.region):
        for record in records:
            mac = record.mac.replace(":", "").replace("-", "").upper()
            existing = Device.objects.filter(mac=mac).first()
            if existing is not None and existing.org_id != customer.org_id:
                raise InventoryConflict(f"device {mac} belongs to another customer")
            Device.objects.update_or_create(
                mac=mac,
                defaults={
                    "org_id": customer.org_id,
                    "partner_id": customer.partner_id,
                    "location": _location(customer, record.location_id, cache),
                    "product": record.product,
                    "firmware": record.firmware,
                    "primary_number": record.primary_number,
                    "extension": record.extension,
                    "user_id": record.user_id,
                    "user_uuid": record.user_uuid,
                },
            )
    return len(records)


def upsert_numbers(*, customer: Customer, records: Sequence[NumberRecord]) -> int:
    """Create or update numbers and extensions, keyed by (number, extension) within the customer."""
    cache: dict[uuid.UUID, Location] = {}
    with region_atomic(customer.region):
        for record in records:
            if not record.number and not record.extension:
                raise InventoryConflict("a phone number entry needs a number or an extension")
            PhoneNumber.objects.update_or_create(
                org_id=customer.org_id,
                number=record.number,
                extension=record.extension,
                defaults={
                    "partner_id": customer.partner_id,
                    "location": _location(customer, record.location_id, cache),
                    "country": record.country.upper(),
                    "pstn_provider": record.pstn_provider if record.number else "",
                    "active": record.active,
                    "owner_type": record.owner_type,
                    "number_type": record.number_type,
                    "user_id": record.user_id,
                    "user_uuid": record.user_uuid,
                },
            )
    return len(records)
