"""/api/docs lets a signed-in person try writes: Swagger UI sends the session's CSRF token."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_docs_page_hands_swagger_the_csrf_token_and_a_write_with_it_passes(users):
    # given a marketing user signed in, on the docs page
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["marketing"])
    page = client.get("/api/docs").content.decode()
    # then the page tells Swagger UI to send the CSRF token (it did not, so "Try it out" got 403)
    assert 'data-api-csrf="true"' in page
    token = re.search(r'data-csrf-token="([^"]+)"', page).group(1)
    # and a write sent the way Swagger UI sends it passes the check
    answer = client.post(
        "/api/v1/contacts", {"email": "cy@acme.io"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert answer.status_code == 201, answer.content
    refused = client.post("/api/v1/contacts", {"email": "di@acme.io"}, content_type="application/json")
    assert refused.status_code == 403
