"""The customer statuses of SPEC 5.1, in order of severity (most urgent first)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerStatus(models.TextChoices):
    SUSPENDED = "suspended", _("Suspended")
    LICENSE_OVERAGE = "license_overage", _("License overage")
    EXPIRING_SOON = "expiring_soon", _("Expiring soon")
    EXPIRED = "expired", _("Expired")
    READY_FOR_ORDER_SETUP = "ready_for_order_setup", _("Ready for order setup")
    NO_RECENT_ACTIVITY = "no_recent_activity", _("No recent activity")
    TRIAL = "trial", _("Trial")
    SUBSCRIPTION = "subscription", _("Subscription")


SEVERITY_ORDER: tuple[str, ...] = tuple(CustomerStatus.values)


class Product(models.TextChoices):
    MEETINGS = "meetings", _("Meetings")
    CALLING = "calling", _("Calling")
    MESSAGING = "messaging", _("Messaging")
    TRANSLATION = "translation", _("Real-time translation")
    CONTACT_CENTER = "contact_center", _("Contact Center")
