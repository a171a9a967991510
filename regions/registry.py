"""The region registry: which regions exist and which database alias holds each one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    US = "US", _("United States")
    CA = "CA", _("Canada")
    EU = "EU", _("Europe")
    UAE = "UAE", _("United Arab Emirates")


CONTROL_ALIAS = "default"
REGION_ALIASES: dict[str, str] = {region.value: f"region_{region.value.lower()}" for region in Region}
ALIAS_REGIONS: dict[str, str] = {alias: code for code, alias in REGION_ALIASES.items()}


class UnknownRegion(ValueError):
    """A region code that is not one of Region."""


def db_for(region: str) -> str:
    """The database alias of a region code (`"EU"` -> `"region_eu"`)."""
    try:
        return REGION_ALIASES[str(region).upper()]
    except KeyError:
        raise UnknownRegion(f"unknown region {region!r}; expected one of {', '.join(REGION_ALIASES)}") from None


def region_of_alias(alias: str) -> str | None:
    return ALIAS_REGIONS.get(alias)


def is_region_alias(alias: str) -> bool:
    return alias in ALIAS_REGIONS
