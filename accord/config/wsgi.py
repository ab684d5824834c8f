"""The WSGI entry point: POST /v1/* (event tracking) takes a lean path; the rest is Django."""

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")

django_application = get_wsgi_application()

from accord.tracking import wsgi as tracking  # noqa: E402  (needs Django set up)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if tracking.wants(environ):
        return tracking.application(environ, start_response)
    return django_application(environ, start_response)
