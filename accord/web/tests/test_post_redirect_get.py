"""POST/redirect/GET: a form that writes answers 303 See Other, so reloading the page it leads to
repeats nothing. A one-time secret (a new API key) rides to that page in the session and is shown
there once."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.models import ApiKey, User
from accord.playbook.models import PlaybookVersion
from accord.playbook.queries import active_playbook

pytestmark = pytest.mark.django_db


def test_creating_a_key_then_reloading_makes_one_key_and_shows_its_secret_once(
    client_as: Any, users: dict[str, User]
) -> None:
    client = client_as("admin")

    # when the admin creates a key, the browser follows the redirect, and the page is reloaded
    created = client.post("/admin/keys/new/", {"name": "Website snippet", "scopes": ["browser"]})
    shown = client.get(created["Location"])
    reloaded = client.get(created["Location"])

    # then the POST answered 303 to the keys, without the secret in it
    assert created.status_code == 303
    assert created["Location"] == "/admin/users/#new-key"
    key = ApiKey.objects.get()  # exactly one
    assert f"acc_{key.prefix}_" not in created.content.decode()
    # the page it led to shows the secret, and is not to be cached
    assert shown.status_code == 200
    secret = shown.context["secret"]
    assert secret.startswith(f"acc_{key.prefix}_")
    assert f'<code id="new-key-secret">{secret}</code>' in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    # the reload shows the key without its secret, and made no second key
    assert reloaded.status_code == 200
    assert secret not in reloaded.content.decode() and 'id="new-key-secret"' not in reloaded.content.decode()
    assert f"acc_{key.prefix}_…" in reloaded.content.decode()
    assert ApiKey.objects.count() == 1
    assert not any(secret in str(value) for value in client.session.values())


def test_a_refused_key_form_keeps_what_was_typed_and_makes_no_key(client_as: Any, users: dict[str, User]) -> None:
    response = client_as("admin").post("/admin/keys/new/", {"name": "No scopes"})

    assert response.status_code == 422
    assert ApiKey.objects.count() == 0


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_setting_up_two_factor_then_reloading_shows_the_same_code_to_scan(
    client_as: Any, users: dict[str, User]
) -> None:
    client = client_as("marketing")

    # when the person starts the set-up, follows the redirect and reloads
    begun = client.post("/account/security/", {"step": "begin"})
    shown = client.get(begun["Location"])
    reloaded = client.get(begun["Location"])

    # then the POST answered 303, and both pages show the one authenticator being set up
    assert begun.status_code == 303 and begun["Location"] == "/account/security/"
    device = TOTPDevice.objects.get(user=users["marketing"])
    assert not device.confirmed
    assert 'id="totp-secret"' in shown.content.decode() and "<svg" in shown.content.decode()
    assert shown.context["secret"] == reloaded.context["secret"]
    assert TOTPDevice.objects.filter(user=users["marketing"]).count() == 1
    assert shown["Cache-Control"] == "no-store"

    # and a code from it turns two-factor sign-in on, with a 303 as well
    confirmed = client.post("/account/security/", {"step": "confirm", "code": _code(device)})
    assert confirmed.status_code == 303 and confirmed["Location"] == "/account/security/"
    after = client.get("/account/security/")
    assert 'id="totp-secret"' not in after.content.decode()
    assert "Two-factor sign-in is on" in after.content.decode()


def test_another_session_of_the_same_person_is_not_shown_the_set_up(client_as: Any, users: dict[str, User]) -> None:
    client_as("marketing").post("/account/security/", {"step": "begin"})

    elsewhere = client_as("marketing").get("/account/security/")

    assert 'id="totp-secret"' not in elsewhere.content.decode()
    assert "Set up two-factor sign-in" in elsewhere.content.decode()


def test_saving_a_draft_then_reloading_makes_one_draft(client_as: Any, users: dict[str, User]) -> None:
    client = client_as("marketing")

    saved = client.post("/playbook/versions/new/", {"source": active_playbook().source, "note": "Q3"})
    client.get(saved["Location"])
    client.get(saved["Location"])

    assert saved.status_code == 303 and saved["Location"] == "/playbook/versions/2/"
    assert PlaybookVersion.objects.count() == 2
