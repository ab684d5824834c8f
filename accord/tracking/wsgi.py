"""A lean WSGI path for POST /v1/*: the tracking endpoints without Django's request machinery.

`accord.config.wsgi.application` sends those requests here; everything else goes to Django.
It does what Django would around a request that matters here: database connections are
checked before and after, and the body size is capped before it is read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from django.conf import settings
from django.db import close_old_connections, reset_queries

from accord.core.network import client_ip
from accord.core.wsgi import read_body
from accord.tracking.ingest import Answer, IngestRequest, cors, handle

StartResponse = Callable[..., Any]
logger = logging.getLogger("accord.tracking")
_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large", 415: "Unsupported Media Type",
            429: "Too Many Requests", 500: "Internal Server Error"}  # fmt: skip


def wants(environ: dict[str, Any]) -> bool:
    return environ.get("PATH_INFO", "").startswith("/v1/") and environ.get("REQUEST_METHOD") in ("POST", "OPTIONS")


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    origin = environ.get("HTTP_ORIGIN", "")
    if environ.get("REQUEST_METHOD") == "OPTIONS":
        return _respond(start_response, Answer(204, {}, cors(origin)))
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    raw = read_body(environ, limit)
    if raw is None:
        body = {"success": False, "code": "too_large", "message": f"the request body is larger than {limit} bytes"}
        return _respond(start_response, Answer(413, body, cors(origin)))
    close_old_connections()
    if settings.DEBUG:
        reset_queries()
    try:
        answer = _handle_safely(
            IngestRequest(
                endpoint=environ["PATH_INFO"][4:].strip("/"),
                body=raw,
                authorization=environ.get("HTTP_AUTHORIZATION", ""),
                content_encoding=environ.get("HTTP_CONTENT_ENCODING", ""),
                client_ip=client_ip(
                    environ.get("REMOTE_ADDR", ""), environ.get("HTTP_X_FORWARDED_FOR", ""), settings.TRUSTED_PROXIES
                ),
                origin=origin,
            )
        )
    finally:
        close_old_connections()
    return _respond(start_response, answer)


def _handle_safely(request: IngestRequest) -> Answer:
    """Like Django would, log an unexpected error and answer 500 — in JSON, so that clients (which
    retry 5xx) can read it."""
    try:
        return handle(request)
    except Exception:
        logger.exception("tracking request failed")
        body = {"success": False, "code": "server_error", "message": "the events were not stored; retry"}
        return Answer(500, body, cors(request.origin))


def _respond(start_response: StartResponse, answer: Answer) -> Iterable[bytes]:
    body = orjson.dumps(answer.body) if answer.status != 204 else b""
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *answer.headers.items()]
    start_response(f"{answer.status} {_REASONS.get(answer.status, 'Error')}", headers)
    return [body]
