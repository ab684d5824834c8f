"""What every view shares: who is acting, capability checks and refusals, the redirect after a write,
partial rendering, the health check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render, resolve_url
from django_htmx.middleware import HtmxDetails

from accord.accounts.domain import Capability, refusal
from accord.accounts.models import User
from accord.core.errors import AccordError, InvalidInput
from accord.core.refusals import log_refusal
from accord.web.forms import OwnerForm, changed, first_error, refusal_text

PAGE_SIZE = 50

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def acting(request: HttpRequest) -> User:
    """The signed-in user. The login middleware lets no anonymous request reach a view."""
    user = request.user
    if not isinstance(user, User):
        raise Forbidden("sign in first")
    return user


def refused(request: HttpRequest, message: str) -> HttpResponse:
    """The "Not allowed" page (403) saying who may, logged once as a refusal."""
    response = render(request, "403.html", {"refusal": message}, status=403)
    log_refusal(request, response, message)
    return response


def capability_required(capability: Capability) -> Callable[[View], View]:
    """Answer 403 to users whose role lacks `capability`, saying who may (the actions check it again)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not acting(request).can(capability):
                return refused(request, refusal(capability))
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def htmx(request: HttpRequest) -> HtmxDetails | None:
    """htmx's headers when htmx made the request, else None."""
    details: HtmxDetails | None = getattr(request, "htmx", None)
    return details if details else None


def partial_wanted(request: HttpRequest, target: str) -> bool:
    """Whether htmx asked to swap only the element `target` (and not to restore a whole page)."""
    details = htmx(request)
    return details is not None and not details.history_restore_request and details.target == target


def see_other(to: str, *args: Any, **kwargs: Any) -> HttpResponseRedirect:
    """303 See Other to the named page (POST/redirect/GET: reloading the page does not post again)."""
    response = HttpResponseRedirect(resolve_url(to, *args, **kwargs))
    response.status_code = 303
    return response


def paginate(request: HttpRequest, items: QuerySet[Any], page_number: int | None) -> Page[Any]:
    return Paginator(items, PAGE_SIZE).get_page(page_number or 1)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def owner_reassigned(
    request: HttpRequest,
    *,
    record: Any,
    update: Callable[[dict[str, Any]], object],
    reload: Callable[[], Any],
    refused: Callable[[str, int], HttpResponse],
    page: str,
) -> HttpResponse:
    """The owner control on a contact's or an account's page: save the owner chosen through the
    record's update action (`update(changed fields)`), say whom it belongs to now, and go back to
    the page; a refusal is shown on the page by `refused(message, status)`."""
    form = OwnerForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(first_error(form), field="owner_id")
        data = changed(record, form.to_data())
        update(data)
    except AccordError as exc:
        return refused(refusal_text(exc), exc.status)
    record = reload()
    who = f"belongs to {record.owner.display_name}" if record.owner else "has no owner"
    if data:
        messages.success(request, f"{record} now {who}.")
    else:
        messages.info(request, f"{record} already {who}.")
    return see_other(page, pk=record.pk)
