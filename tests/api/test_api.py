"""The JSON API: authentication, scopes, roles, bad input, and that refused input writes nothing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from django.test import Client

from accord.contacts.models import Account, Contact, ContactMerge
from accord.lifecycle.models import StageChange
from accord.playbook.models import PlaybookVersion

pytestmark = pytest.mark.django_db
DEFAULT = (Path(__file__).resolve().parents[2] / "accord" / "playbook" / "default.yaml").read_text()


@pytest.fixture
def rw(api_key):
    return api_key("read,write")


def test_openapi_and_docs_are_served(client):
    spec = client.get("/api/openapi.json").json()
    assert spec["info"]["title"] == "Accord API"
    paths = set(spec["paths"])
    assert {
        "/api/v1/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/contacts/{contact_id}/stage",
        "/api/v1/contacts/{contact_id}/stage-history",
        "/api/v1/contacts/{contact_id}/merge",
        "/api/v1/accounts",
        "/api/v1/playbook",
        "/api/v1/playbook/versions",
        "/api/v1/playbook/versions/{number}/sign",
        "/api/v1/playbook/versions/{number}/activate",
        "/api/v1/playbook/validate",
    } <= paths
    assert "ContactOut" in spec["components"]["schemas"]
    assert client.get("/api/docs").status_code == 200


@pytest.mark.parametrize("path", ["/contacts", "/contacts/1", "/accounts", "/playbook", "/users/me"])
def test_no_credentials_is_401(client, path):
    response = client.get(f"/api/v1{path}")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("authentication required")


@pytest.mark.parametrize("header", ["Bearer acc_nope_nope", "Basic Zm9vOmJhcg==", "Bearer "])
def test_bad_credentials_are_401_and_write_nothing(client, header):
    response = client.post(
        "/api/v1/contacts", data={"email": "a@acme.io"}, content_type="application/json", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 401
    assert Contact.objects.count() == 0


def test_a_revoked_key_is_401(users, api_key):
    from accord.accounts.actions import apikey_revoke
    from accord.accounts.models import ApiKey

    api = api_key("read")
    assert api.get("/contacts").status_code == 200
    apikey_revoke(key=ApiKey.objects.get(), acting_user=users["admin"])
    assert api.get("/contacts").status_code == 401


def test_scopes(api_key):
    read = api_key("read")
    assert read.get("/contacts").status_code == 200
    response = read.post("/contacts", {"email": "a@acme.io"})
    assert response.status_code == 403
    assert response.data["detail"] == "this API key lacks the 'write' scope (it has: read)"
    track = api_key("track")
    assert track.get("/contacts").status_code == 403
    admin = api_key("admin")
    assert admin.get("/contacts").status_code == 200
    assert admin.post("/contacts", {"email": "a@acme.io"}).status_code == 201
    assert Contact.objects.count() == 1


def test_a_key_acts_with_its_owners_role(users, api_key):
    key = api_key("read,write")
    users["admin"].role = "viewer"
    users["admin"].save()
    response = key.post("/contacts", {"email": "a@acme.io"})
    assert response.status_code == 403 and Contact.objects.count() == 0


def test_create_get_update_list_contact(rw, users):
    account = rw.post("/accounts", {"name": "Acme", "domain": "acme.io", "employees": 120, "country": "us"})
    assert account.status_code == 201 and account.data["country"] == "US"
    created = rw.post("/contacts", {"email": "Ana@Acme.io", "first_name": "Ana", "owner_id": users["sales_rep"].pk})
    assert created.status_code == 201
    body = created.data
    assert (body["email"], body["account"]["name"], body["owner"]["email"], body["stage"]) == (
        "ana@acme.io",
        "Acme",
        "sales_rep@example.com",
        "",
    )
    contact_id = body["id"]
    assert rw.get(f"/contacts/{contact_id}").data["first_name"] == "Ana"
    patched = rw.patch(f"/contacts/{contact_id}", {"title": "VP Marketing", "properties": {"plan": "pro"}})
    assert (
        patched.status_code == 200
        and patched.data["title"] == "VP Marketing"
        and patched.data["properties"] == {"plan": "pro"}
    )
    rw.post("/contacts", {"email": "bo@other.io", "first_name": "Bo"})
    listing = rw.get("/contacts?email=ANA@acme.io")
    assert listing.data["count"] == 1 and listing.data["items"][0]["id"] == contact_id
    assert rw.get("/contacts?search=bo").data["count"] == 1
    assert rw.get(f"/contacts?account_id={account.data['id']}").data["count"] == 1
    assert rw.get(f"/contacts?owner_id={users['sales_rep'].pk}").data["count"] == 1
    assert rw.get("/contacts?limit=1&offset=1").data["count"] == 2
    assert len(rw.get("/contacts?limit=1&offset=1").data["items"]) == 1
    assert rw.get("/contacts/999999").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field", "message"),
    [
        ({"email": "not-an-email"}, 422, "email", "'not-an-email' is not a valid email address"),
        ({"email": 12}, 422, "email", "Input should be a valid string"),
        ({"first_name": ["a"]}, 422, "first_name", "Input should be a valid string"),
        ({"consent": "yes"}, 422, "consent", "Input should be a valid boolean"),
        ({"account_id": "7"}, 422, "account_id", "Input should be a valid integer"),
        ({"emial": "a@b.co"}, 422, "emial", "unknown field 'emial'"),
        ({"email": "a@b.co", "stage": "mql"}, 422, "stage", "unknown field 'stage'"),
        ({"properties": {"x": {"nested": 1}}}, 422, "properties.x.str", "Input should be a valid string"),
        ({"country": "Germany"}, 422, "country", "must be a two-letter ISO country code such as US or DE"),
        ({"seniority": "boss"}, 422, "seniority", "must be one of individual, manager, director, vp, c_level"),
    ],
)
def test_bad_contact_input_names_the_field_and_writes_nothing(rw, body, status, field, message):
    response = rw.post("/contacts", body)
    assert response.status_code == status, response.data
    errors = {e["field"]: e["message"] for e in response.data["errors"]}
    assert errors[field] == message
    assert Contact.objects.count() == 0


def test_malformed_json_is_400(rw):
    response = rw.post("/contacts", "{not json")
    assert response.status_code == 400
    assert Contact.objects.count() == 0


def test_a_body_that_is_not_an_object_is_refused(rw):
    response = rw.post("/contacts", "[1, 2]")
    assert response.status_code in (400, 422)
    assert Contact.objects.count() == 0


def test_oversized_body_is_413(rw, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = rw.post("/contacts", {"email": "a@acme.io", "title": "x" * 2000})
    assert response.status_code == 413
    assert response.data["detail"].startswith("request body is")
    assert Contact.objects.count() == 0


def test_duplicate_email_is_409(rw):
    assert rw.post("/contacts", {"email": "a@acme.io"}).status_code == 201
    response = rw.post("/contacts", {"email": "A@acme.io"})
    assert response.status_code == 409 and response.data["field"] == "email"
    assert Contact.objects.count() == 1


def test_stage_change_and_history(rw, api_as):
    contact_id = rw.post("/contacts", {"email": "a@acme.io"}).data["id"]
    no_form = rw.post(f"/contacts/{contact_id}/stage", {"stage": "lead"})
    assert no_form.status_code == 409 and "contact.forms_submitted ≥ 1 (is 0)" in no_form.data["detail"]
    Contact.objects.filter(pk=contact_id).update(forms_submitted=1)
    moved = rw.post(f"/contacts/{contact_id}/stage", {"stage": "lead"})
    assert moved.status_code == 201
    assert (moved.data["from_stage"], moved.data["to_stage"], moved.data["kind"], moved.data["by_user"]) == (
        "",
        "lead",
        "advance",
        "admin@example.com",
    )
    rep = api_as("sales_rep")
    illegal = rep.post(f"/contacts/{contact_id}/stage", {"stage": "mql"})
    assert illegal.status_code == 409 and illegal.data["detail"] == "moving a contact to MQL here is for marketing"
    unmet = rw.post(f"/contacts/{contact_id}/stage", {"stage": "mql"})
    assert unmet.status_code == 409
    assert unmet.data["detail"].startswith("the contact does not meet the entry criteria of MQL: score.grade")
    back = rw.post(f"/contacts/{contact_id}/stage", {"stage": "visitor"})
    assert back.status_code == 409 and back.data["field"] == "reason"
    unknown = rw.post(f"/contacts/{contact_id}/stage", {"stage": "won"})
    assert unknown.status_code == 422 and unknown.data["field"] == "stage"
    bad_date = rw.post(
        f"/contacts/{contact_id}/stage", {"stage": "recycled", "reason": "timing", "reengage_on": "soon"}
    )
    assert bad_date.status_code == 422 and bad_date.data["field"] == "reengage_on"
    missing = rw.post(f"/contacts/{contact_id}/stage", {"reason": "timing"})
    assert missing.status_code == 422 and missing.data["errors"] == [{"field": "stage", "message": "is required"}]
    recycled = rw.post(
        f"/contacts/{contact_id}/stage",
        {"stage": "recycled", "reason": "timing", "reengage_on": "2099-01-31", "note": "Q1 budget"},
    )
    assert recycled.status_code == 201 and recycled.data["reengage_on"] == "2099-01-31"
    history = rw.get(f"/contacts/{contact_id}/stage-history")
    assert [(h["to_stage"], h["reason"]) for h in history.data] == [("lead", ""), ("recycled", "timing")]
    assert StageChange.objects.count() == 2
    assert rw.get(f"/contacts/{contact_id}").data["stage"] == "recycled"
    viewer = api_as("viewer")
    assert viewer.post(f"/contacts/{contact_id}/stage", {"stage": "lead"}).status_code == 403
    assert viewer.get(f"/contacts/{contact_id}/stage-history").status_code == 200
    assert StageChange.objects.count() == 2


def test_session_writes_need_csrf(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    response = client.post("/api/v1/contacts", data=json.dumps({"email": "a@acme.io"}), content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert Contact.objects.count() == 0
    token = "t" * 32
    client.cookies["csrftoken"] = token
    response = client.post(
        "/api/v1/contacts",
        data=json.dumps({"email": "a@acme.io"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201


def test_merge(rw, api_as):
    keep = rw.post("/contacts", {"email": "a@acme.io", "first_name": "Ana"}).data["id"]
    drop = rw.post("/contacts", {"email": "a.lee@acme.io", "last_name": "Lee"}).data["id"]
    rep = api_as("sales_rep")
    assert rep.post(f"/contacts/{keep}/merge", {"drop_id": drop}).status_code == 403
    assert rw.post(f"/contacts/{keep}/merge", {"drop_id": keep}).status_code == 409
    assert rw.post(f"/contacts/{keep}/merge", {"drop_id": "x"}).status_code == 422
    assert rw.post(f"/contacts/{keep}/merge", {"drop_id": 99999}).status_code == 404
    assert Contact.objects.count() == 2
    merged = rw.post(f"/contacts/{keep}/merge", {"drop_id": drop})
    assert merged.status_code == 200 and merged.data["last_name"] == "Lee"
    assert Contact.objects.count() == 1 and ContactMerge.objects.count() == 1


def test_duplicates_endpoint(rw):
    one = rw.post("/contacts", {"email": "ana@acme.io", "first_name": "Ana", "last_name": "Lee"}).data["id"]
    two = rw.post("/contacts", {"email": "ana+promo@acme.io"}).data["id"]
    assert [c["id"] for c in rw.get(f"/contacts/{one}/duplicates").data] == [two]


def test_account_duplicates(rw):
    one = rw.post("/accounts", {"name": "Acme", "domain": "acme.io"}).data["id"]
    two = rw.post("/accounts", {"name": "Acme Inc", "domain": "www.acme.io"}).data["id"]
    three = rw.post("/accounts", {"name": "ACME"}).data["id"]
    rw.post("/accounts", {"name": "Other", "domain": "other.io"})
    assert sorted(a["id"] for a in rw.get(f"/accounts/{one}/duplicates").data) == [two, three]


def test_account_bad_input(rw):
    for body, field in [
        ({"domain": "acme.io"}, "name"),
        ({"name": "A", "employees": -3}, "employees"),
        ({"name": "A", "employees": "9"}, "employees"),
        ({"name": "A", "size": 9}, "size"),
    ]:
        response = rw.post("/accounts", body)
        assert response.status_code == 422, body
        assert field in {e["field"] for e in response.data["errors"]}
    assert Account.objects.count() == 0


def test_playbook_endpoints(api_as, api_key):
    admin = api_as("admin")
    active = admin.get("/playbook")
    assert active.status_code == 200 and active.data["number"] == 1 and active.data["status"] == "active"
    assert active.data["document"]["stages"][3]["key"] == "mql" and active.data["source"] == DEFAULT
    bad = DEFAULT.replace(
        "        - {field: contact.email, op: is_set}\n        - {field: contact.consent",
        "        - {scor: 1}\n        - {field: contact.consent",
        1,
    )
    checked = admin.post("/playbook/validate", {"source": bad})
    assert checked.status_code == 200 and checked.data["valid"] is False
    assert checked.data["errors"][0] == {
        "path": "stages[1].entry.all[0]",
        "message": "unknown field 'scor'; a condition has all, any, not or field/op/value",
    }
    refused = admin.post("/playbook/versions", {"source": bad})
    assert refused.status_code == 422 and refused.data["errors"][0]["field"] == "stages[1].entry.all[0]"
    assert admin.post("/playbook/versions", {"source": DEFAULT, "document": {}}).status_code == 422
    assert PlaybookVersion.objects.count() == 1

    draft = admin.post("/playbook/versions", {"source": DEFAULT.replace("mqls: 120", "mqls: 140"), "note": "more"})
    assert draft.status_code == 201 and draft.data["number"] == 2 and draft.data["status"] == "draft"
    assert api_key("admin").post("/playbook/versions/2/sign").status_code == 403  # signing is personal
    assert api_as("sales_rep").post("/playbook/versions/2/sign").status_code == 403
    assert api_as("marketing").post("/playbook/versions/2/sign").data["signatures"][0]["side"] == "marketing"
    assert admin.post("/playbook/versions/2/activate").status_code == 409
    signed = api_as("sales_manager").post("/playbook/versions/2/sign")
    assert signed.data["status"] == "signed"
    assert api_as("marketing").post("/playbook/versions/2/activate").status_code == 403
    assert admin.post("/playbook/versions/2/activate").data["status"] == "active"
    assert [v["status"] for v in admin.get("/playbook/versions").data] == ["active", "retired"]
    assert admin.get("/playbook/versions/7").status_code == 404
    as_json = admin.post("/playbook/validate", {"document": active.data["document"]})
    assert as_json.data == {"valid": True, "errors": []}


def test_a_draft_note_is_kept_unless_sent(api_as):
    admin = api_as("admin")
    assert admin.post("/playbook/versions", {"source": DEFAULT, "note": "first"}).status_code == 201
    assert admin.put("/playbook/versions/2", {"source": DEFAULT}).data["note"] == "first"
    assert admin.put("/playbook/versions/2", {"source": DEFAULT, "note": ""}).data["note"] == ""


def test_transition_table_endpoint(rw):
    rows = rw.get("/playbook/transitions").data
    row = next(r for r in rows if r["from_stage"] == "mql" and r["to_stage"] == "lead")
    assert row == {
        "from_stage": "mql",
        "to_stage": "lead",
        "kind": "hand_back",
        "sides": ["marketing", "sales"],
        "by_rule": True,
        "reason_list": "reject",
        "needs_reengage_date": False,
    }


def test_api_keys_via_api(api_as, api_key):
    admin = api_as("admin")
    created = admin.post("/api-keys", {"name": "Warehouse", "scopes": ["read"]})
    assert created.status_code == 201 and created.data["key"].startswith("acc_")
    assert admin.post("/api-keys", {"name": "x", "scopes": ["root"]}).status_code == 422
    assert api_as("marketing").post("/api-keys", {"name": "x", "scopes": ["read"]}).status_code == 403
    assert api_key("admin").get("/api-keys").status_code == 403  # keys do not mint keys
    listed = admin.get("/api-keys").data
    assert "Warehouse" in [k["name"] for k in listed] and all("key" not in k for k in listed)
    revoked = admin.delete(f"/api-keys/{created.data['id']}")
    assert revoked.status_code == 200 and revoked.data["revoked_at"] is not None


def test_users_me(api_as):
    me = api_as("sales_rep").get("/users/me")
    assert me.data["email"] == "sales_rep@example.com" and me.data["role"] == "sales_rep"


def test_gzip_is_not_assumed(rw):
    body = gzip.compress(json.dumps({"email": "a@acme.io"}).encode())
    response = rw.client.post("/api/v1/contacts", data=body, content_type="application/json", **rw.headers)
    assert response.status_code == 400 and Contact.objects.count() == 0
