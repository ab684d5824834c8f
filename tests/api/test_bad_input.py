"""Ordinary bad input to /api/v1 is a 4xx naming the field — never a 500 — and writes nothing."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from accord.contacts.models import Account, Contact
from accord.core.models import AuditEntry
from accord.lifecycle.models import StageChange

pytestmark = pytest.mark.django_db
HUGE = 2**63


@pytest.fixture
def rw(api_key):
    return api_key("read,write")


def counts() -> tuple[int, int, int, int]:
    return (Contact.objects.count(), Account.objects.count(), StageChange.objects.count(), AuditEntry.objects.count())


@pytest.mark.parametrize("path", ["/contacts", "/accounts"])
@pytest.mark.parametrize(
    ("query", "field"),
    [(f"limit={HUGE}", "limit"), (f"offset={HUGE}", "offset"), ("limit=0", "limit"), ("offset=-1", "offset")],
)
def test_paging_out_of_range_is_422_naming_the_parameter(rw, path, query, field):
    response = rw.get(f"{path}?{query}")
    assert response.status_code == 422, response.data
    assert response.data["field"] == field


def test_limit_has_a_maximum_and_a_default(rw):
    Contact.objects.bulk_create([Contact(email=f"p{n}@example.com") for n in range(120)])
    assert rw.get("/contacts?limit=1000000").status_code == 422
    assert rw.get("/contacts?limit=1000000").data["detail"] == "limit: Input should be less than or equal to 500"
    assert len(rw.get("/contacts").data["items"]) == 100
    assert len(rw.get("/contacts?limit=500").data["items"]) == 120


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/contacts?email=a%00b@x.com", "email"),
        ("/contacts?search=ab%00", "search"),
        ("/contacts?stage=le%00ad", "stage"),
        ("/accounts?industry=So%00ft", "industry"),
        ("/accounts?search=%00", "search"),
        (f"/contacts?owner_id={HUGE}", "owner_id"),
        (f"/contacts?account_id={HUGE}", "account_id"),
    ],
)
def test_a_bad_filter_is_422_naming_it(rw, path, field):
    response = rw.get(path)
    assert response.status_code == 422, response.data
    assert response.data["field"] == field


@pytest.mark.parametrize("path", [f"/contacts/{HUGE}", f"/contacts/{HUGE}/score", f"/accounts/{HUGE}", "/contacts/0"])
def test_an_id_out_of_range_is_422(rw, path):
    response = rw.get(path)
    assert response.status_code == 422 and response.data["field"] in ("contact_id", "account_id")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a\x00b@x.com"}, "email"),
        ({"first_name": "Ada\x00"}, "first_name"),
        ({"properties": {"k\x00": 1}}, "properties"),
        ({"properties": {"k": "v\x00"}}, "properties"),
        ({"owner_id": 0}, "owner_id"),
        ({"owner_id": HUGE}, "owner_id"),
        ({"account_id": HUGE}, "account_id"),
        ({"email": 5}, "email"),
        ({"emial": "typo@x.com"}, "emial"),
    ],
)
def test_a_bad_contact_is_422_naming_the_field_and_writes_nothing(rw, body, field):
    before = counts()
    response = rw.post("/contacts", body)
    assert response.status_code == 422, response.data
    assert response.data["field"] == field
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Acme", "employees": 2**31}, "employees"),
        ({"name": "Acme", "employees": -1}, "employees"),
        ({"name": "Acme", "annual_revenue": "1e20"}, "annual_revenue"),
        ({"name": "Acme", "annual_revenue": "NaN"}, "annual_revenue"),
        ({"name": "Ac\x00me"}, "name"),
        ({"name": "Acme", "industry": "So\x00ft"}, "industry"),
    ],
)
def test_a_bad_account_is_422_naming_the_field_and_writes_nothing(rw, body, field):
    before = counts()
    response = rw.post("/accounts", body)
    assert response.status_code == 422, response.data
    assert response.data["field"] == field
    assert counts() == before


def test_a_note_with_a_nul_is_422(rw):
    contact = Contact.objects.create(email="ada@acme.com", forms_submitted=1)
    response = rw.post(f"/contacts/{contact.pk}/stage", {"stage": "lead", "note": "hi\x00"})
    assert response.status_code == 422 and response.data["field"] == "note"
    assert StageChange.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        b'{"first_name": "\\ud800"}',  # a lone surrogate
        b'{"properties": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5000 + b"}",  # nesting no parser should follow
        b'{"first_name": NaN}',
        b'{"first_name": "\xff"}',
    ],
)
def test_a_body_no_one_could_store_is_4xx_not_500(rw, raw):
    before = counts()
    response = rw.client.post("/api/v1/contacts", data=raw, content_type="application/json", **rw.headers)
    assert 400 <= response.status_code < 500, response.content[:300]
    assert "detail" in response.json()
    assert counts() == before


def test_international_addresses_are_accepted_and_matched_by_their_ascii_form(rw):
    created = rw.post("/contacts", {"email": "José@Exämple.com"})
    assert created.status_code == 201, created.data
    assert created.data["email"] == "josé@xn--exmple-cua.com"
    found = rw.get("/contacts?email=jos%C3%A9@xn--exmple-cua.com").data["items"]
    assert [c["id"] for c in found] == [created.data["id"]]
    found = rw.get("/contacts?email=JOS%C3%89@ex%C3%A4mple.com").data["items"]
    assert [c["id"] for c in found] == [created.data["id"]]
    again = rw.post("/contacts", {"email": "josé@xn--exmple-cua.com"})
    assert again.status_code == 409 and again.data["field"] == "email"


def test_an_idn_company_domain_is_kept_in_its_ascii_form(rw):
    response = rw.post("/accounts", {"name": "Bäckerei", "domain": "https://www.Bäckerei-München.de/"})
    assert response.status_code == 201 and response.data["domain"] == "xn--bckerei-mnchen-5hb60b.de"


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(rw, monkeypatch, caplog):
    from accord.contacts import queries

    def broken(**kwargs):
        raise RuntimeError("SELECT secret FROM somewhere /srv/accord/secret.py")

    monkeypatch.setattr(queries, "contact_list", broken)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/contacts", **rw.headers)
    assert response.status_code == 500
    assert response.json() == {"detail": "the server failed to answer; the error has been logged"}
    assert b"Traceback" not in response.content and b"secret" not in response.content
    assert any("secret.py" in (r.exc_text or "") or r.exc_info for r in caplog.records)  # logged on the server


def test_a_refused_write_logs_one_line_without_a_traceback(rw, caplog):
    with caplog.at_level(logging.INFO):
        response = rw.post("/contacts", {"email": "not-an-email"})
    assert response.status_code == 422
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING and lines[0].exc_info is None


def test_an_oversized_body_is_413(rw, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = rw.post("/contacts", {"email": "a@b.co", "properties": {"x": "y" * 2000}})
    assert response.status_code == 413 and "limit" in response.data["detail"]
    assert Contact.objects.count() == 0


def test_the_schema_lists_every_status_each_operation_can_answer(client):
    spec = client.get("/api/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"401", "403", "422", "500"} <= statuses, (method, path, statuses)
            if method in ("post", "put", "patch"):
                assert "413" in statuses, (method, path)
            for status in statuses - {"200", "201", "204"}:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)


def test_the_schema_says_ids_start_at_one_and_limit_stops_at_500(client):
    spec = client.get("/api/openapi.json").json()
    contact_in = spec["components"]["schemas"]["ContactFieldsIn"]["properties"]
    owner = next(s for s in contact_in["owner_id"]["anyOf"] if s.get("type") == "integer")
    assert owner["minimum"] == 1 and owner["maximum"] == 2**63 - 1
    params = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/contacts"]["get"]["parameters"]}
    assert params["limit"]["maximum"] == 500 and params["offset"]["minimum"] == 0
    assert json.dumps(spec).count('"format": "email"') == 0  # no format the validators do not follow
