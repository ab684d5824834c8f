"""Download CSV from the contacts and accounts lists: the list's filters, the format, who may, the
audit row, a streamed response."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.http import StreamingHttpResponse

from accord.contacts.models import Contact
from accord.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def bob(db: Any) -> Contact:
    return Contact.objects.create(email="bob@gmail.com", first_name="Bob", last_name="Stone")


def test_the_download_is_streamed_with_the_lists_filters(client_as, contact, bob, users):
    response = client_as("marketing").get("/contacts/export.csv?q=ada&stage=&format=hubspot&page=3&sort=fit")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="accord-contacts-hubspot-\d{4}-\d{2}-\d{2}\.csv"',
                        response["Content-Disposition"])  # fmt: skip
    assert response["Cache-Control"] == "no-store"
    found = rows(response)
    assert found[0][:4] == ["Record ID", "First Name", "Last Name", "Email"]
    assert [row[3] for row in found[1:]] == ["ada@acme.com"]
    entry = AuditEntry.objects.get(action="contacts_export")
    assert entry.actor == users["marketing"]
    assert entry.details == {"format": "hubspot", "filters": {"search": "ada"}, "rows": 1}


def test_every_filter_of_the_list_is_carried(client_as, contact, bob, users, account):
    client = client_as("admin")
    owned = rows(client.get(f"/contacts/export.csv?owner={users['sales_rep'].pk}"))
    assert [row[0] for row in owned[1:]] == ["ada@acme.com"]
    assert [row[0] for row in rows(client.get("/contacts/export.csv?unowned=1"))[1:]] == ["bob@gmail.com"]
    assert [row[0] for row in rows(client.get(f"/contacts/export.csv?account={account.pk}"))[1:]] == ["ada@acme.com"]
    assert [row[0] for row in rows(client.get("/contacts/export.csv?stage=none&q=stone"))[1:]] == ["bob@gmail.com"]
    # A bad value drops only its own filter, as on the list.
    assert len(rows(client.get("/contacts/export.csv?owner=nobody&quadrant=nowhere"))) == 3


def test_the_salesforce_and_accord_formats(client_as, contact):
    client = client_as("sales_manager")
    assert rows(client.get("/contacts/export.csv?format=salesforce"))[0][:3] == [
        "Id",
        "ConvertedContactId",
        "FirstName",
    ]
    assert rows(client.get("/contacts/export.csv"))[0][:3] == ["email", "first_name", "last_name"]


def test_an_unknown_format_is_refused_and_not_audited(client_as, contact):
    response = client_as("admin").get("/contacts/export.csv?format=excel")
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action="contacts_export").exists()


def test_accounts_download_with_the_search(client_as, account):
    response = client_as("marketing").get("/accounts/export.csv?q=acme&format=hubspot")
    assert isinstance(response, StreamingHttpResponse)
    assert rows(response) == [
        ["Record ID", "Company name", "Company Domain Name", "Industry", "Number of Employees", "Annual Revenue",
         "Country/Region", "Company owner", "Create Date"],
        ["", "Acme Corp", "acme.com", "Software", "500", "", "US", "", rows_created(account)],
    ]  # fmt: skip
    assert AuditEntry.objects.get(action="accounts_export").details == {
        "format": "hubspot",
        "filters": {"search": "acme"},
        "rows": 1,
    }


def rows_created(account: Any) -> str:
    return account.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("role", ["sales_rep", "viewer"])
def test_reps_and_viewers_may_not_download(client_as, contact, role):
    client = client_as(role)
    assert client.get("/contacts/export.csv").status_code == 403
    assert client.get("/accounts/export.csv").status_code == 403
    assert not AuditEntry.objects.filter(action__in=["contacts_export", "accounts_export"]).exists()
    assert "Download CSV" not in client.get("/contacts/").content.decode()
    assert "Download CSV" not in client.get("/accounts/").content.decode()


def test_the_lists_link_to_the_download_with_their_filters(client_as, contact):
    client = client_as("marketing")
    page = client.get("/contacts/?q=ada&page=1").content.decode()
    assert 'href="/contacts/export.csv?q=ada&amp;format=hubspot"' in page
    assert 'href="/contacts/export.csv?q=ada&amp;format=salesforce"' in page
    # The results part htmx swaps in when a filter changes carries the new filters.
    partial = client.get("/contacts/?q=lovelace&owner=", headers={"HX-Request": "true", "HX-Target": "results"})
    assert 'href="/contacts/export.csv?q=lovelace&amp;owner=&amp;format=accord"' in partial.content.decode()
    accounts = client.get("/accounts/?q=acme").content.decode()
    assert 'href="/accounts/export.csv?q=acme&amp;format=accord"' in accounts
