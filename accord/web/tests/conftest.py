"""Fixtures for the web screens: an account with contacts, and test clients signed in per role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accord.contacts.models import Account, Contact


@pytest.fixture
def account(db: Any) -> Account:
    return Account.objects.create(name="Acme Corp", domain="acme.com", industry="Software", employees=500, country="US")


@pytest.fixture
def contact(account: Account, users: dict[str, Any]) -> Contact:
    return Contact.objects.create(
        email="ada@acme.com", first_name="Ada", last_name="Lovelace", title="VP Marketing", seniority="vp",
        account=account, owner=users["sales_rep"], consent=True, forms_submitted=1,
    )


@pytest.fixture
def client_as(users: dict[str, Any]) -> Callable[[str], Client]:
    """client_as("marketing") -> a test client signed in as that role's user."""

    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make
