"""One JSON error shape for the whole API: {"detail": "...", "errors": [...]}."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from accounts.scope import NotAllowed
from customers.services import CustomerConflict


class ApiError(Exception):
    """Raised by API operations for a client error with a precise status and message."""

    def __init__(self, status: int, detail: str, errors: list[Any] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []


def _describe(error: dict[str, Any]) -> dict[str, Any]:
    # ninja's location starts with where it found the value (then, in a body, the parameter's name):
    # name the field as the client wrote it, `limit` or `new_customer.name`, as the operations'
    # own errors do.
    loc = [str(part) for part in error.get("loc", ())]
    written = loc[2:] if loc[:1] == ["body"] else loc[1:]
    return {"field": ".".join(written), "message": error.get("msg", "invalid value")}


def install(api: NinjaAPI) -> None:
    def reply(request: HttpRequest, status: int, detail: str, errors: list[Any] | None = None) -> HttpResponse:
        return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return reply(request, exc.status, exc.detail, exc.errors)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return reply(request, 422, "The request is not valid.", [_describe(e) for e in exc.errors])

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # Raised by ninja itself, e.g. 400 for a body that is not JSON: keep the one shape.
        return reply(request, exc.status_code, str(exc))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return reply(request, 401, "A valid bearer token is required.")

    @api.exception_handler(NotAllowed)
    def forbidden(request: HttpRequest, exc: NotAllowed) -> HttpResponse:
        return reply(request, 403, str(exc) or "Not allowed.")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return reply(request, 404, "Not found.")

    @api.exception_handler(ObjectDoesNotExist)
    def missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        return reply(request, 404, "Not found.")

    @api.exception_handler(CustomerConflict)
    def conflict(request: HttpRequest, exc: CustomerConflict) -> HttpResponse:
        return reply(request, 409, str(exc))
