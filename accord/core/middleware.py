from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from accord.core import network

View = TypeVar("View", bound=Callable[..., Any])


def body_limit(limit: int) -> Callable[[View], View]:
    """Let a view take request bodies up to `limit` bytes instead of DATA_UPLOAD_MAX_MEMORY_SIZE (a
    file upload); the view checks the file's own size. Put it outermost, above the other decorators."""

    def mark(view: View) -> View:
        view.max_body_bytes = limit  # type: ignore[attr-defined]
        return view

    return mark


def _view_limit(request: HttpRequest, default: int) -> int:
    """The limit of the view the request goes to: its own (body_limit), else `default`."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return default
    return int(getattr(match.func, "max_body_bytes", default))


class RequestTooLargeMiddleware:
    """Answer HTTP 413 before any view reads a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE, or than
    the larger limit a view declares with `body_limit` (a file upload)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            limit = _view_limit(request, limit)  # resolved only for a large body
        if limit is not None and length > limit:
            return JsonResponse({"detail": f"request body is {length} bytes; the limit is {limit} bytes"}, status=413)
        return self.get_response(request)


class ClientAddressMiddleware:
    """REMOTE_ADDR becomes the client's address when the request came through a trusted proxy
    (ACCORD_TRUSTED_PROXIES), so sign-in throttling, rate limits and the audit log see the client,
    not the proxy. The proxy's own address stays in ACCORD_PEER_ADDR."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.get("REMOTE_ADDR", "")
        request.META["ACCORD_PEER_ADDR"] = peer
        request.META["REMOTE_ADDR"] = network.client_ip(
            peer, request.META.get("HTTP_X_FORWARDED_FOR", ""), settings.TRUSTED_PROXIES
        )
        return self.get_response(request)


class SecureCookiesMiddleware:
    """Cookies set on a request that came over HTTPS are marked Secure, whatever the settings say:
    one installation can answer on http://127.0.0.1 and, behind its TLS proxy, on https://."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response
