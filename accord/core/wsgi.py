"""Reading a request body at the WSGI level, for the tracking path and for Django alike."""

from __future__ import annotations

import io
from typing import Any


def read_body(environ: dict[str, Any], limit: int) -> bytes | None:
    """The request body, or None when it is larger than `limit` bytes (0: no limit).

    With a Content-Length, that many bytes. Without one, a chunked body (which the server has
    de-chunked: `wsgi.input_terminated`) is read to its end, never more than `limit` + 1 bytes.
    """
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    if length:
        if limit and length > limit:
            return None
        return stream.read(length)
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not (chunked or environ.get("wsgi.input_terminated")):
        return b""
    raw = stream.read(limit + 1) if limit else stream.read()
    return None if limit and len(raw) > limit else raw


def with_chunked_body(environ: dict[str, Any], limit: int) -> bool:
    """Make a chunked request (no Content-Length) readable by Django, which reads only as many
    bytes as Content-Length says: the body is read here, under `limit`, and given a length.
    False when it is larger than `limit`."""
    if environ.get("CONTENT_LENGTH") or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    body = read_body(environ, limit)
    if body is None:
        return False
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
    return True
