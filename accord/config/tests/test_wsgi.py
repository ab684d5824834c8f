"""The WSGI entry point reads chunked bodies (no Content-Length) for Django too, under the size limit."""

from __future__ import annotations

import io
import json

import pytest

from accord.accounts.actions import apikey_create
from accord.config.wsgi import application
from accord.contacts.models import Contact

pytestmark = pytest.mark.django_db(transaction=True)  # the handler closes the connection after a request


def call(body: bytes, key: str) -> tuple[str, bytes]:
    seen: dict[str, str] = {}
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/contacts", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1", "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.input_terminated": True,
        "HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_TYPE": "application/json", "HTTP_AUTHORIZATION": f"Bearer {key}",
        "REMOTE_ADDR": "127.0.0.1", "wsgi.errors": io.StringIO(), "SERVER_PROTOCOL": "HTTP/1.1",
    }  # fmt: skip
    answer = b"".join(application(environ, lambda status, headers: seen.update(status=status)))
    return seen["status"], answer


def test_a_chunked_api_request_is_read(users):
    _, key = apikey_create(name="crm", scopes="read,write", acting_user=users["admin"])
    status, answer = call(json.dumps({"email": "chunked@acme.io"}).encode(), key)
    assert status.startswith("201"), answer
    assert Contact.objects.filter(email="chunked@acme.io").exists()


def test_a_chunked_body_over_the_limit_is_413(users, settings):
    _, key = apikey_create(name="crm", scopes="read,write", acting_user=users["admin"])
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    status, _ = call(json.dumps({"email": "big@acme.io", "title": "x" * 200}).encode(), key)
    assert status.startswith("413") and not Contact.objects.exists()
