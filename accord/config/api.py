"""The JSON API: /api/v1, OpenAPI at /api/openapi.json, docs at /api/docs."""

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from accord import __version__
from accord.accounts.api import router as accounts_router
from accord.accounts.api_auth import KeyOrSession
from accord.contacts.api import router as contacts_router
from accord.core.errors import AccordError, Conflict, InvalidInput, PermissionDenied
from accord.core.refusals import log_refusal
from accord.core.schemas import OrjsonParser
from accord.deals.api import router as deals_router
from accord.lifecycle.api import router as lifecycle_router
from accord.lifecycle.handoff_api import router as handoff_router
from accord.notify.api import router as notify_router
from accord.playbook.api import router as playbook_router
from accord.reporting.api import router as reporting_router
from accord.scoring.api import router as scoring_router
from accord.sla.api import router as sla_router
from accord.trust.api import router as trust_router

logger = logging.getLogger("accord.api")
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
# What every operation can answer, besides what it declares itself.
UNIVERSAL = {
    "401": "Not signed in, or the API key is unknown or revoked",
    "403": "The key lacks the scope, or the role does not allow it; `detail` says who may",
    "422": "A parameter or field is not valid; `field` names it",
    "500": "The server failed; the error is logged there, never sent",
}
WITH_BODY = {
    "400": "The body is not valid JSON",
    "413": "The body is larger than the limit (ACCORD_MAX_BODY_BYTES)",
}
WITH_PATH = {"404": "Nothing with that id"}


class AccordAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI schema lists, for every operation, every status it can answer,
    each with the one error shape (`ErrorOut`)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                extra = dict(UNIVERSAL)
                if method in ("post", "put", "patch"):
                    extra.update(WITH_BODY)
                if "{" in path:
                    extra.update(WITH_PATH)
                responses = {str(status): answer for status, answer in operation.get("responses", {}).items()}
                for status, description in extra.items():
                    responses.setdefault(
                        status, {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}
                    )
                operation["responses"] = dict(sorted(responses.items()))
        return schema


api = AccordAPI(
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
    parser=OrjsonParser(),
)


@api.exception_handler(AccordError)
def accord_error(request: HttpRequest, exc: AccordError) -> HttpResponse:
    body: dict[str, Any] = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    if isinstance(exc, InvalidInput) and exc.errors:
        body["errors"] = [{"field": path, "message": message} for path, message in exc.errors]
    if isinstance(exc, Conflict) and exc.current is not None:
        body["current"] = exc.current
    response = api.create_response(request, body, status=exc.status)
    if isinstance(exc, PermissionDenied):
        log_refusal(request, response, exc.message)
    return response


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = (
        str(exc)
        if str(exc) != "Unauthorized"
        else ("authentication required: send 'Authorization: Bearer <API key>' or sign in")
    )
    return api.create_response(request, {"detail": message}, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = "the request body is not valid JSON"
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "nothing with that id"}, status=404)


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """An unexpected failure: logged here with its traceback; the client learns only that it happened."""
    logger.exception("API request failed: %s %s", request.method, request.path)
    return api.create_response(
        request, {"detail": "the server failed to answer; the error has been logged"}, status=500
    )


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
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
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
api.add_router("/v1", handoff_router)
api.add_router("/v1", deals_router)
api.add_router("/v1", playbook_router)
api.add_router("/v1", scoring_router)
api.add_router("/v1", trust_router)
api.add_router("/v1", sla_router)
api.add_router("/v1", notify_router)
api.add_router("/v1", reporting_router)
