"""A refused write is an expected outcome: the person is told who may do it, in words, and the
server logs one line about it, without a traceback, through the API and the pages alike."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accord.accounts.domain import Capability, refusal
from accord.contacts.models import Contact
from accord.playbook.models import PlaybookVersion

pytestmark = pytest.mark.django_db
DEFAULT = (Path(__file__).resolve().parents[2] / "accord" / "playbook" / "default.yaml").read_text()


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.INFO]


def _text(response: Any) -> str:
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


def test_a_refused_api_write_says_who_may_and_logs_one_line(api_as: Any, caplog: pytest.LogCaptureFixture) -> None:
    # given a viewer signed in
    caplog.set_level(logging.INFO)

    # when they try to start a draft of the playbook
    response = api_as("viewer").post("/playbook/versions", {"source": DEFAULT, "note": "Q3"})

    # then they are told who may, nothing is written, and one line without a traceback is logged
    assert response.status_code == 403
    assert response.data == {"detail": refusal(Capability.PLAYBOOK_DRAFT)}
    assert PlaybookVersion.objects.count() == 1
    [record] = _records(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == (
        f"refused POST /api/v1/playbook/versions for viewer@example.com (viewer): {refusal(Capability.PLAYBOOK_DRAFT)}"
    )


def test_a_key_without_the_scope_is_logged_once_with_the_key(api_key: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    client = api_key("read")

    response = client.post("/contacts", {"email": "cy@acme.io"})

    assert response.status_code == 403
    [record] = _records(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage().startswith("refused POST /api/v1/contacts for admin@example.com (admin) with key ")
    assert record.getMessage().endswith("this API key lacks the 'write' scope (it has: read)")
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "path", "form", "capability"),
    [
        ("viewer", "/playbook/versions/new/", {"source": DEFAULT, "note": "Q3"}, Capability.PLAYBOOK_DRAFT),
        ("marketing", "/admin/keys/new/", {"name": "CRM", "scopes": ["read"]}, Capability.USER_ADMIN),
        ("sales_rep", "/admin/users/new/", {"email": "x@example.com", "role": "viewer"}, Capability.USER_ADMIN),
    ],
)
def test_a_refused_page_write_says_who_may_and_logs_one_line(
    users: Any, caplog: pytest.LogCaptureFixture, role: str, path: str, form: dict[str, Any], capability: Capability
) -> None:
    # given someone signed in whose role lacks the capability
    client = Client()
    client.force_login(users[role])
    caplog.set_level(logging.INFO)

    # when they post the form
    response = client.post(path, form)

    # then the page says who may, and one line without a traceback is logged
    assert response.status_code == 403
    assert refusal(capability) in _text(response)
    [record] = _records(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == f"refused POST {path} for {role}@example.com ({role}): {refusal(capability)}"


def test_a_refusal_by_the_action_on_a_page_is_logged_once_without_a_traceback(
    users: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given a viewer on a contact's page (the view lets the action decide)
    contact = Contact.objects.create(email="ada@acme.com", forms_submitted=1)
    client = Client()
    client.force_login(users["viewer"])
    caplog.set_level(logging.INFO)

    # when they post a stage change
    response = client.post(f"/contacts/{contact.pk}/stage/", {"stage": "lead"})

    # then the page says who may, and one line without a traceback is logged
    assert response.status_code == 403
    assert refusal(Capability.STAGE_CHANGE) in _text(response)
    [record] = _records(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
