"""View decorators of the portal."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

View = Callable[..., HttpResponseBase]


def scoped_view(view: View) -> View:
    """Require a signed-in admin of a partner org, so that `request.scope` is set."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request, "scope", None) is None:
            raise PermissionDenied("this account does not belong to a partner organization")
        return view(request, *args, **kwargs)

    return login_required(wrapper)
