"""Template context every portal page needs: navigation, regions, the CSP nonce."""

from django.http import HttpRequest

from regions.registry import Region

NAVIGATION = (
    ("home", "Home"),
    ("customers:list", "Customers"),
    ("analytics:licenses", "Analytics"),
    ("calling:overview", "Calling"),
    ("reports:list", "Reports"),
    ("resources:help", "Help"),
)


def portal(request: HttpRequest) -> dict[str, object]:
    return {
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "all_regions": Region.choices,
        "scope": getattr(request, "scope", None),
    }
