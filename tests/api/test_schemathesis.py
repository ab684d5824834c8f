"""Schemathesis against /api/openapi.json, inside the suite: every operation, valid and invalid
input drawn from the schema itself (a fixed seed, a bounded number of examples), with an admin's
key. No answer may be a 5xx, and every answer must be one the schema lists, in its shape."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accord.accounts.actions import apikey_create
from accord.contacts.models import Account, Contact

config = schemathesis.Config(seed=20261203)
config.projects.default.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE], database="none"
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application(), config=config)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """The WSGI handler closes connections when a request finishes; the test's transaction must
    survive (Django's test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def admin_key(users: dict[str, Any]) -> str:
    _, secret = apikey_create(name="schemathesis", scopes="read,write,admin", acting_user=users["admin"])
    # Something to find: ids 1 and up exist, so generated ids sometimes hit.
    account = Account.objects.create(name="Acme", domain="acme.com")
    for n in range(3):
        Contact.objects.create(email=f"p{n}@acme.com", account=account)
    return secret


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_input_within_its_schema(case: Any, admin_key: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_key}"}, checks=CHECKS)
