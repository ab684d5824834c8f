"""The JSON API: /api/v1, OpenAPI at /api/openapi.json, docs at /api/docs."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from accord import __version__
from accord.accounts.api import router as accounts_router
from accord.accounts.api_auth import KeyOrSession
from accord.contacts.api import router as contacts_router
from accord.core.errors import AccordError, InvalidInput
from accord.lifecycle.api import router as lifecycle_router
from accord.playbook.api import router as playbook_router
from accord.scoring.api import router as scoring_router

api = NinjaAPI(
    title="Accord API",
    version=__version__,
    description=(
        "Marketing and sales on one system. Authenticate with `Authorization: Bearer <API key>` "
        "(create one with `accord apikey create`) or a browser session."
    ),
    auth=KeyOrSession(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


@api.exception_handler(AccordError)
def accord_error(request: HttpRequest, exc: AccordError) -> HttpResponse:
    body: dict[str, Any] = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    if isinstance(exc, InvalidInput) and exc.errors:
        body["errors"] = [{"field": path, "message": message} for path, message in exc.errors]
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = (
        str(exc)
        if str(exc) != "Unauthorized"
        else ("authentication required: send 'Authorization: Bearer <API key>' or sign in")
    )
    return api.create_response(request, {"detail": message}, status=401)


_SKIPPED_LOCATIONS = {"body", "query", "path", "payload", "data", "form"}


def _field(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if str(p) not in _SKIPPED_LOCATIONS]
    text = ""
    for part in parts:
        text += f"[{part}]" if part.isdigit() else (f".{part}" if text else part)
    return text or "body"


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        field = _field(list(error.get("loc", [])))
        message = str(error.get("msg", "is not valid"))
        if error.get("type") == "extra_forbidden":
            message = f"unknown field {field.rsplit('.', 1)[-1]!r}"
        elif error.get("type") == "missing":
            message = "is required"
        errors.append({"field": field, "message": message})
    first = errors[0] if errors else {"field": "body", "message": "is not valid"}
    status = 400 if first["message"] == "Cannot parse request body" else 422
    if status == 400:
        return api.create_response(request, {"detail": "the request body is not valid JSON"}, status=400)
    return api.create_response(
        request,
        {"detail": f"{first['field']}: {first['message']}", "field": first["field"], "errors": errors},
        status=status,
    )


api.add_router("/v1", accounts_router)
api.add_router("/v1", contacts_router)
api.add_router("/v1", lifecycle_router)
api.add_router("/v1", playbook_router)
api.add_router("/v1", scoring_router)
