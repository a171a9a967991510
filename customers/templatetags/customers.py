"""Template helpers of the customer pages: labels for the codes they show (statuses, products,
subscription states, invoice statuses, order kinds, roles, audit actions) and short ages. The
customer page shows the customer's subscriptions, invoices and orders (customers.queries), hence
the labels of subscriptions' choices here."""

from datetime import datetime

from django import template
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.roles import Role
from customers.statuses import CustomerStatus, Product
from subscriptions.models import InvoiceStatus, OrderKind, SubscriptionState

register = template.Library()

# What the customer page's "Recent changes" list says for each audit action recorded with the
# customer's org id; an action missing here is shown as its code.
_AUDIT_ACTIONS: dict[str, Promise] = {
    "customer.create": gettext_lazy("Customer created"),
    "customer.update": gettext_lazy("Customer details updated"),
    "customer.assign_admin": gettext_lazy("Partner admin assigned"),
    "customer.grant_external": gettext_lazy("Granted to an external admin"),
    "customer.revoke_access": gettext_lazy("Admin access removed"),
    "customer.tag": gettext_lazy("Tag added"),
    "customer.untag": gettext_lazy("Tag removed"),
    "trial.start": gettext_lazy("Trial started"),
    "trial.extend": gettext_lazy("Trial extended"),
    "trial.end": gettext_lazy("Trial ended"),
    "trial.convert": gettext_lazy("Trial converted to paid"),
}


def _label(choices: type[models.TextChoices], value: str) -> str:
    """The display label of a stored code; a code the choices do not know (data from a newer
    feed) is shown as it is rather than failing the page."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


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
    return _label(CustomerStatus, status)


@register.filter
def product_label(product: str) -> str:
    return _label(Product, product)


@register.filter
def subscription_state_label(state: str) -> str:
    return _label(SubscriptionState, state)


@register.filter
def invoice_status_label(status: str) -> str:
    return _label(InvoiceStatus, status)


@register.filter
def order_kind_label(kind: str) -> str:
    return _label(OrderKind, kind)


@register.filter
def role_label(role: str) -> str:
    return _label(Role, role)


@register.filter
def audit_action_label(action: str) -> str:
    label = _AUDIT_ACTIONS.get(action)
    return action if label is None else str(label)


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
