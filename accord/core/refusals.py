"""A refused request (403: a role without the capability, a key without the scope) is an expected
outcome, not a failure: it is logged once, at WARNING, as one line without a traceback."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.log import log_response

logger = logging.getLogger("accord.refused")


def log_refusal(request: HttpRequest, response: HttpResponse, message: str) -> None:
    """Log `response` as a refusal of `request`, naming who asked and what they were told. Django's
    own line for a 4xx answer is then not written (the response counts as logged)."""
    log_response(
        "refused %s %s for %s: %s",
        request.method,
        request.path,
        _who(request),
        message,
        response=response,
        request=request,
        logger=logger,
        level="warning",
    )


def _who(request: HttpRequest) -> str:
    user: Any = getattr(request, "auth", None) or getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "someone not signed in"
    key = getattr(request, "api_key", None)
    via = f" with key acc_{key.prefix}" if key is not None else ""
    return f"{user.email} ({user.role}){via}"
