"""Template helpers for customer statuses and products."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.statuses import CustomerStatus, Product

register = template.Library()

# Bootstrap badge colours by urgency: red needs action now, amber soon, grey is information.
_STATUS_STYLE: dict[str, str] = {
    CustomerStatus.SUSPENDED: "text-bg-danger",
    CustomerStatus.LICENSE_OVERAGE: "text-bg-danger",
    CustomerStatus.EXPIRING_SOON: "text-bg-warning",
    CustomerStatus.EXPIRED: "text-bg-secondary",
    CustomerStatus.READY_FOR_ORDER_SETUP: "text-bg-info",
    CustomerStatus.NO_RECENT_ACTIVITY: "text-bg-light border",
    CustomerStatus.TRIAL: "text-bg-primary",
    CustomerStatus.SUBSCRIPTION: "text-bg-success",
}


@register.filter
def status_style(status: str) -> str:
    return _STATUS_STYLE.get(status, "text-bg-light")


@register.filter
def status_label(status: str) -> str:
    try:
        return str(CustomerStatus(status).label)
    except ValueError:
        return status


@register.filter
def product_label(product: str) -> str:
    try:
        return str(Product(product).label)
    except ValueError:
        return product


@register.filter
def days_left(subscription: object, today: object) -> int | None:
    return subscription.days_left(today)  # type: ignore[attr-defined]


@register.filter
def days_ago(moment: datetime) -> str:
    """A short age for tables: "today", "yesterday", "12 days ago"."""
    days = (timezone.now() - moment).days
    if days <= 0:
        return str(_("today"))
    if days == 1:
        return str(_("yesterday"))
    return ngettext("%(n)d day ago", "%(n)d days ago", days) % {"n": days}
