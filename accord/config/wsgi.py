"""The WSGI entry point: POST /v1/* (event tracking) takes a lean path; the rest is Django."""

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")

django_application = get_wsgi_application()

from accord.core.wsgi import with_chunked_body  # noqa: E402
from accord.tracking import wsgi as tracking  # noqa: E402  (needs Django set up)

TOO_LARGE = b'{"detail": "the request body is larger than the limit (ACCORD_MAX_BODY_BYTES)"}'


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if tracking.wants(environ):
        return tracking.application(environ, start_response)
    if not with_chunked_body(environ, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0):
        start_response(
            "413 Payload Too Large", [("Content-Type", "application/json"), ("Content-Length", str(len(TOO_LARGE)))]
        )
        return [TOO_LARGE]
    return django_application(environ, start_response)
