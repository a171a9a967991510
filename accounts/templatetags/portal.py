"""Small template helpers of the portal frame: Bootstrap form widgets and query-string links."""

from django import forms, template
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from regions.registry import Region

register = template.Library()

# How urgent each customer status looks (a Bootstrap colour name); see customers.statuses.
_STATUS_TONES = {
    "suspended": "danger",
    "license_overage": "danger",
    "expiring_soon": "warning",
    "expired": "secondary",
    "ready_for_order_setup": "info",
    "no_recent_activity": "warning",
    "trial": "primary",
    "subscription": "success",
}

# Pagination belongs to one result set: a link that changes another parameter starts at page 1.
_RESET_ON_CHANGE = ("page",)


@register.filter
def bootstrap_widget(field: forms.BoundField) -> SafeString:
    """Render a form field's widget with the Bootstrap class that fits its kind."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})


@register.simple_tag
def field_errors(field: forms.BoundField) -> SafeString:
    """A field's errors under it, with the id (`<field id>_error`) that Django's widget names in
    its `aria-describedby` once the field has errors; nothing for a valid field."""
    if not field.errors:
        return SafeString("")
    messages = " ".join(str(error) for error in field.errors)
    return format_html('<div class="invalid-feedback d-block" id="{}_error">{}</div>', field.auto_id, messages)


@register.simple_tag(takes_context=True)
def url_with(context: template.Context, **params: object) -> str:
    """The current path with `params` set in its query string and every other parameter kept,
    e.g. `{% url_with region="EU" %}` on `/analytics/?product=calling&page=3` gives
    `/analytics/?product=calling&region=EU`."""
    request: HttpRequest = context["request"]
    query = request.GET.copy()
    for name in _RESET_ON_CHANGE:
        if name not in params:
            query.pop(name, None)
    for name, value in params.items():
        query[name] = str(value)
    return f"{request.path}?{query.urlencode()}"


@register.filter
def region_name(code: str) -> str:
    """The display name of a region code ("EU" -> "Europe"); unknown codes are shown as they are."""
    try:
        return str(Region(code).label)
    except ValueError:
        return code


@register.filter
def status_tone(status: str) -> str:
    """The Bootstrap colour name of a customer status ("suspended" -> "danger")."""
    return _STATUS_TONES.get(status, "secondary")
