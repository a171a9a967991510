"""Template context every portal page needs: navigation, regions, the CSP nonce."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from regions.registry import Region

# The top navigation in display order. A section appears once its app registers the URL name, so
# the frame never links to a page that does not exist yet.
NAVIGATION: tuple[tuple[str, Promise, Promise], ...] = (
    ("home", _("Home"), _("Your partner organization at a glance.")),
    ("customers:list", _("Customers"), _("Every customer you manage, with statuses, tags and trials.")),
    ("analytics:licenses", _("Analytics"), _("License distribution, renewals and customers over their limits.")),
    ("calling:overview", _("Calling"), _("Call usage, call quality and call queue insights.")),
    ("reports:list", _("Reports"), _("CSV reports, generated now or on a schedule.")),
    ("resources:help", _("Help"), _("Quick links, resources and the partner helpdesk.")),
)


@dataclass(frozen=True, slots=True)
class NavItem:
    """One link of the top navigation."""

    url_name: str
    label: Promise
    description: Promise
    url: str
    active: bool


def navigation(request: HttpRequest) -> list[NavItem]:
    """The navigation items whose URL name resolves, marking the section of the current page."""
    match = getattr(request, "resolver_match", None)
    items = []
    for url_name, label, description in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        namespace, _sep, _name = url_name.rpartition(":")
        if match is None:
            active = False
        elif namespace:
            active = match.namespace == namespace
        else:
            active = match.view_name == url_name
        items.append(NavItem(url_name=url_name, label=label, description=description, url=url, active=active))
    return items


def portal(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "all_regions": Region.choices,
        "scope": getattr(request, "scope", None),
        "nav_items": navigation(request) if signed_in else [],
    }
