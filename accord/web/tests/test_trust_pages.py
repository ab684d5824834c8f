"""The audit log page and its CSV; a person's data downloaded and erased from their page."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from accord.contacts.actions import contact_update
from accord.contacts.models import Contact
from accord.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_audit_log_shows_who_changed_what_before_and_after(client_as, contact, users):
    contact_update(contact=contact, data={"title": "CMO"}, acting_user=users["marketing"])
    page = text(client_as("admin").get("/admin/audit/"))
    assert "marketing@example.com" in page and "contact_update" in page
    assert "title VP Marketing → CMO" in page


def test_the_audit_log_filters_by_user_action_object_and_date(client_as, contact, users):
    contact_update(contact=contact, data={"title": "CMO"}, acting_user=users["marketing"])
    contact_update(contact=contact, data={"title": "CEO"}, acting_user=users["admin"])
    client = client_as("admin")
    only = text(client.get(f"/admin/audit/?actor={users['marketing'].pk}&action=contact_update"))
    assert "1 entry" in only and "CMO" in only and "CEO" not in only
    assert "1 entry" in text(
        client.get(f"/admin/audit/?object_type=contacts.contact&object_id={contact.pk}&actor={users['admin'].pk}")
    )
    assert "Nothing matches" in text(client.get("/admin/audit/?since=2099-01-01"))


def test_the_audit_log_downloads_as_csv(client_as, contact, users):
    contact_update(contact=contact, data={"title": "CMO"}, acting_user=users["marketing"])
    response = client_as("admin").get("/admin/audit/download.csv?action=contact_update")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["at", "actor", "api_key", "action"]
    assert rows[1][1:4] == ["marketing@example.com", "", "contact_update"]
    assert json.loads(rows[1][6]) == {"title": "VP Marketing"} and json.loads(rows[1][7]) == {"title": "CMO"}


@pytest.mark.parametrize("role", ["marketing", "sales_manager", "sales_rep", "viewer"])
def test_only_admins_read_the_audit_log_or_handle_personal_data(client_as, contact, role):
    client = client_as(role)
    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/audit/download.csv").status_code == 403
    assert client.get(f"/contacts/{contact.pk}/export.json").status_code == 403
    assert client.post(f"/contacts/{contact.pk}/erase/", {"reason": "x"}).status_code == 403
    assert "Personal data" not in text(client.get(f"/contacts/{contact.pk}/"))
    contact.refresh_from_db()
    assert contact.erased_at is None and not AuditEntry.objects.filter(action="contact_erase").exists()


def test_an_admin_downloads_and_erases_a_person_from_their_page(client_as, contact):
    client = client_as("admin")
    page = text(client.get(f"/contacts/{contact.pk}/"))
    assert "Personal data" in page and "Erase this person" in page
    download = client.get(f"/contacts/{contact.pk}/export.json")
    assert download["Content-Disposition"] == f'attachment; filename="accord-contact-{contact.pk}.json"'
    assert json.loads(download.content)["contact"]["email"] == "ada@acme.com"

    refused = client.post(f"/contacts/{contact.pk}/erase/", {"reason": ""})
    assert refused.status_code == 422 and Contact.objects.get(pk=contact.pk).email == "ada@acme.com"
    done = client.post(f"/contacts/{contact.pk}/erase/", {"reason": "request of 2 Dec"})
    assert done.status_code == 303
    after = text(client.get(f"/contacts/{contact.pk}/"))
    assert f"Erased contact {contact.pk}" in after and "request of 2 Dec" in after
    assert "ada@acme.com" not in after and "Lovelace" not in after
