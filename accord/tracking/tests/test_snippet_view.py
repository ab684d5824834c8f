"""The /t.js view: JavaScript, cacheable, revalidated by ETag, loadable from any origin, small."""

from __future__ import annotations

import re

from django.test import RequestFactory

from accord.tracking.snippet import SNIPPET, snippet

factory = RequestFactory()


def test_it_serves_the_snippet_as_javascript_from_any_origin() -> None:
    response = snippet(factory.get("/t.js"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.content == SNIPPET.read_bytes()
    assert b"/v1/batch" in response.content and b"Form Submitted" in response.content


def test_it_may_be_cached_for_five_minutes_and_has_a_strong_etag() -> None:
    response = snippet(factory.get("/t.js"))

    assert response["Cache-Control"] == "public, max-age=300"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"])
    assert snippet(factory.get("/t.js"))["ETag"] == response["ETag"]  # the same content, the same tag


def test_a_current_copy_is_answered_304_without_a_body() -> None:
    etag = snippet(factory.get("/t.js"))["ETag"]

    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = snippet(factory.get("/t.js", HTTP_IF_NONE_MATCH=header))
        assert response.status_code == 304, header
        assert response.content == b""
        assert response["ETag"] == etag
        assert response["Cache-Control"] == "public, max-age=300"
        assert response["Access-Control-Allow-Origin"] == "*"


def test_a_stale_copy_gets_the_file() -> None:
    response = snippet(factory.get("/t.js", HTTP_IF_NONE_MATCH='"0123456789abcdef0123456789abcdef"'))

    assert response.status_code == 200
    assert response.content == SNIPPET.read_bytes()


def test_only_get_and_head_are_allowed() -> None:
    assert snippet(factory.head("/t.js")).status_code == 200
    assert snippet(factory.post("/t.js")).status_code == 405


def test_the_snippet_is_small_and_self_contained() -> None:
    content = snippet(factory.get("/t.js")).content

    assert len(content) < 6 * 1024
    text = content.decode()
    assert "import " not in text and "require(" not in text  # one plain script: no modules, no dependencies
    assert "http://" not in text and "https://" not in text  # sends only to the origin it was loaded from
