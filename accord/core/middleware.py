from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from accord.core import network


class RequestTooLargeMiddleware:
    """Answer HTTP 413 before any view reads a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
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
