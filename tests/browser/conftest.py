"""Data the browser tests start from. Each test signs in through the real login form."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from accord.contacts.models import Account, Contact
from accord.tracking.domain import message_key
from accord.tracking.models import Event


@pytest.fixture
def acme(users: dict[str, Any]) -> Account:
    return Account.objects.create(name="Acme Corp", domain="acme.com", industry="Software", employees=500, country="US")


@pytest.fixture
def ada(acme: Account, users: dict[str, Any]) -> Contact:
    return Contact.objects.create(
        email="ada@acme.com", first_name="Ada", last_name="Lovelace", title="VP Marketing", seniority="vp",
        account=acme, owner=users["sales_rep"], consent=True, forms_submitted=1,
    )


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")


def make_event(
    kind: str = "page", *, at: dt.datetime, contact: Contact | None = None, path: str = "/", title: str = "",
    anonymous_id: str = "0f0e0d0c-1111-4222-8333-444455556666", **fields: Any,
) -> Event:
    """An event as ingest stores it (page views carry their title and address in `properties`)."""
    message_id = str(uuid.uuid4())
    url = "https://www.acme-site.test" + path
    properties = fields.pop("properties", {"path": path, "title": title, "url": url} if kind == "page" else {})
    return Event.objects.create(
        message_id=message_id, message_key=message_key(message_id), type=kind, anonymous_id=anonymous_id,
        contact=contact, timestamp=at, received_at=at, url=url, path=path, properties=properties, **fields,
    )
