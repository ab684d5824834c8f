"""How the API knows who is calling: a scoped API key (Bearer) or the browser session.

With an `Authorization` header only the key counts (a bad key is 401, never a fallback to the
session). Without one, the session counts, with Django's CSRF check on unsafe methods.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from accord.accounts.actions import apikey_authenticate
from accord.accounts.domain import Scope
from accord.accounts.models import ApiKey, User
from accord.core.errors import PermissionDenied

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class KeyOrSession(HttpBearer):
    # A session's writes need the CSRF token (checked below); saying so makes /api/docs send the
    # token with "Try it out", so a signed-in person can write from the docs page.
    csrf = True

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthenticationError(401, "the Authorization header must be 'Bearer <API key>'")
            return self.authenticate(request, token.strip())
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        unsafe = request.method not in _SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False)
        if unsafe and check_csrf(request):
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header with the csrftoken cookie")
        request.api_key = None  # type: ignore[attr-defined]
        return user

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        key = apikey_authenticate(token)
        if key is None:
            raise AuthenticationError(401, "the API key is unknown or revoked")
        request.api_key = key  # type: ignore[attr-defined]
        user = key.created_by
        user._accord_api_key_prefix = key.prefix  # type: ignore[attr-defined]
        return user


def acting_user(request: HttpRequest, scope: Scope) -> User:
    """The user a request acts as, once its key (if any) is known to hold `scope`."""
    key: ApiKey | None = getattr(request, "api_key", None)
    user: User = request.auth  # type: ignore[attr-defined]
    implied = scope in (Scope.READ, Scope.WRITE) and key is not None and key.has_scope(Scope.ADMIN)
    if key is not None and not (key.has_scope(scope) or implied):
        raise PermissionDenied(f"this API key lacks the {scope.value!r} scope (it has: {', '.join(key.scopes)})")
    return user


def person(request: HttpRequest, what: str) -> User:
    """Some acts are personal (signing the playbook): they need a session, not a key."""
    if getattr(request, "api_key", None) is not None:
        raise PermissionDenied(f"{what} must be done by a person signed in, not with an API key")
    return request.auth  # type: ignore[attr-defined]
