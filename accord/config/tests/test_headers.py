"""Security headers with the production settings the suite runs under (debug off)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}


def directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_over_https_hsts_and_secure_cookies(settings):
    response = Client().get("/login/", **HTTPS)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert response.cookies["csrftoken"]["secure"] is True


def test_over_plain_http_no_hsts_and_cookies_that_work_on_http():
    response = Client().get("/login/")
    assert "Strict-Transport-Security" not in response
    assert response.cookies["csrftoken"]["secure"] == ""


def test_every_answer_carries_the_policy_and_the_usual_headers():
    for path in ("/login/", "/api/v1/contacts", "/healthz"):
        response = Client().get(path, **HTTPS)
        policy = directives(response["Content-Security-Policy"])
        assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'", path
        assert policy["style-src-attr"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_a_session_cookie_is_secure_over_https(users):
    client = Client()
    response = client.post("/login/", {"username": users["admin"].email, "password": "accord-test-password-1"}, **HTTPS)
    assert response.status_code == 303
    assert response.cookies["sessionid"]["secure"] is True and response.cookies["sessionid"]["httponly"] is True


def test_the_client_address_is_read_through_trusted_proxies_only(settings):
    from accord.core.middleware import ClientAddressMiddleware

    seen = {}

    def view(request):
        seen["ip"] = request.META["REMOTE_ADDR"]
        return None

    middleware = ClientAddressMiddleware(view)
    from django.test import RequestFactory

    rf = RequestFactory()
    middleware(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"))
    assert seen["ip"] == "203.0.113.9"  # the proxy on loopback is trusted; the client can't fake the right end
    middleware(rf.get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="203.0.113.9"))
    assert seen["ip"] == "198.51.100.4"  # not a trusted proxy: its X-Forwarded-For is not believed
