"""Data the browser tests start from. Each test signs in through the real login form."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps

from accord.contacts.models import Account, Contact


@pytest.fixture(autouse=True)
def default_playbook(transactional_db: Any) -> None:
    """Browser tests commit for real, and each one empties the tables after itself; put back what the
    migrations install (the default playbook, active) so every test starts from a new workspace."""
    migration = importlib.import_module("accord.playbook.migrations.0002_default_playbook")
    migration.install(apps, None)


@pytest.fixture
def acme(users: dict[str, Any]) -> Account:
    return Account.objects.create(name="Acme Corp", domain="acme.com", industry="Software", employees=500, country="US")


@pytest.fixture
def ada(acme: Account, users: dict[str, Any]) -> Contact:
    return Contact.objects.create(
        email="ada@acme.com", first_name="Ada", last_name="Lovelace", title="VP Marketing", seniority="vp",
        account=acme, owner=users["sales_rep"], consent=True,
    )


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")
