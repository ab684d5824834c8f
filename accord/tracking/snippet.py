"""The browser tracking snippet, served at /t.js to any site that installs it.

The file is read once per process. Answers carry a strong ETag (304 on If-None-Match), a short
public cache lifetime so a new release reaches sites within minutes, and `Access-Control-Allow-Origin: *`
because the script is loaded from customers' own origins. See docs/snippet.md.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from django.views.decorators.http import require_safe

SNIPPET = Path(__file__).resolve().parent / "static" / "tracking" / "t.js"
CACHE_CONTROL = "public, max-age=300"


@functools.cache
def _snippet() -> tuple[bytes, str]:
    """The file's bytes and its ETag."""
    content = SNIPPET.read_bytes()
    return content, f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def _headers(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _matches(if_none_match: str, etag: str) -> bool:
    # If-None-Match uses the weak comparison: W/"x" matches "x".
    tags = parse_etags(if_none_match)
    return "*" in tags or etag in (tag.removeprefix("W/") for tag in tags)


@require_safe
def snippet(request: HttpRequest) -> HttpResponse:
    """GET /t.js: the snippet as JavaScript, or 304 when the browser's copy is current."""
    content, etag = _snippet()
    if _matches(request.headers.get("If-None-Match", ""), etag):
        return _headers(HttpResponseNotModified(), etag)
    return _headers(HttpResponse(content, content_type="application/javascript; charset=utf-8"), etag)
