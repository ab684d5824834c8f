"""Signing in: throttling per account and per address, lockouts that grow, an admin's unlock,
two-factor sign-in, sessions that end, passwords that must be good."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts import signin
from accord.accounts.actions import signin_unlock, totp_begin, user_create
from accord.core import clock
from accord.core.errors import InvalidInput, PermissionDenied
from accord.core.models import AuditEntry
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_delays(monkeypatch: Any) -> None:
    """Attempts one after another without waiting out the growing delays (the lockout is tested)."""
    monkeypatch.setattr(signin, "delay_after", lambda failures: dt.timedelta(0))


def attempt(client: Client, email: str, password: str, ip: str = "198.51.100.10") -> Any:
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_fifty_wrong_passwords_lock_the_account(users, no_delays):
    admin = users["admin"].email
    answers = [attempt(Client(), admin, f"wrong-{n}").status_code for n in range(50)]
    assert answers[:4] == [200] * 4  # the form again, saying the password is not right
    assert set(answers[4:]) == {429}  # the fifth failure locks the account
    locked = attempt(Client(), admin, PASSWORD)  # the right password, while locked
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.content.decode()
    assert 290 <= int(locked["Retry-After"]) <= 300
    assert AuditEntry.objects.filter(action="signin_locked_out").count() == 1
    assert AuditEntry.objects.filter(action="signin_failed").count() == 4
    assert "_auth_user_id" not in Client().session


def test_another_address_is_locked_out_of_the_account_too_and_one_address_of_every_account(users, no_delays):
    for _ in range(5):
        attempt(Client(), users["admin"].email, "wrong", ip="203.0.113.1")
    assert attempt(Client(), users["admin"].email, PASSWORD, ip="203.0.113.99").status_code == 429
    for n, role in enumerate(["marketing", "sales_rep", "viewer", "sales_manager", "marketing"]):
        attempt(Client(), users[role].email, f"wrong-{n}", ip="203.0.113.50")
    # The address tried five accounts: it is locked out, even for a right password.
    assert attempt(Client(), users["viewer"].email, PASSWORD, ip="203.0.113.50").status_code == 429
    assert attempt(Client(), users["viewer"].email, PASSWORD, ip="203.0.113.51").status_code == 303


def test_failures_make_the_next_attempt_wait_longer(users):
    email = users["marketing"].email
    assert attempt(Client(), email, "wrong").status_code == 200
    assert attempt(Client(), email, "wrong").status_code == 200
    waiting = attempt(Client(), email, PASSWORD)
    assert waiting.status_code == 429 and "Wait 1 seconds" in waiting.content.decode()
    assert [signin.delay_after(n).total_seconds() for n in range(1, 9)] == [0, 1, 2, 4, 8, 16, 30, 30]


def test_each_lockout_today_lasts_twice_as_long(rf):
    request = rf.post("/login/", {"username": "a@example.com"}, REMOTE_ADDR="198.51.100.1")
    assert signin.cool_off(request) == dt.timedelta(minutes=5)
    for _n in range(3):
        AuditEntry.objects.create(
            action=signin.LOCKED_OUT, object_type="accounts.signin", object_id="a@example.com",
            details={"email": "a@example.com", "ip": "198.51.100.1", "until": clock.now().isoformat()},
        )  # fmt: skip
    assert signin.cool_off(request) == dt.timedelta(minutes=40)
    for _n in range(10):
        AuditEntry.objects.create(
            action=signin.LOCKED_OUT, object_type="accounts.signin", object_id="x", details={"ip": "198.51.100.1"}
        )
    assert signin.cool_off(request) == dt.timedelta(hours=24)  # at most a day


def test_an_admin_unlocks_an_account_at_once(users, no_delays):
    email = users["sales_rep"].email
    for _ in range(5):
        attempt(Client(), email, "wrong")
    assert attempt(Client(), email, PASSWORD).status_code == 429
    with pytest.raises(PermissionDenied):
        signin_unlock(email=email, acting_user=users["viewer"])
    admin = Client()
    admin.force_login(users["admin"])
    page = admin.get("/admin/users/").content.decode()
    assert "Locked sign-ins" in page and email in page
    assert admin.post("/admin/signin/unlock/", {"email": email}).status_code == 303
    assert attempt(Client(), email, PASSWORD).status_code == 303
    unlocked = AuditEntry.objects.get(action="signin_unlocked")
    assert unlocked.actor == users["admin"] and unlocked.details["email"] == email


def test_a_successful_sign_in_is_audited_with_the_address(users):
    assert attempt(Client(), users["viewer"].email, PASSWORD, ip="192.0.2.4").status_code == 303
    entry = AuditEntry.objects.get(action="signin")
    assert entry.actor == users["viewer"] and entry.details == {"ip": "192.0.2.4", "two_factor": False}


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_two_factor_sign_in_from_set_up_to_sign_in(users):
    user = users["admin"]
    client = Client()
    client.force_login(user)
    assert "Set up two-factor sign-in" in client.get("/account/security/").content.decode()
    assert client.post("/account/security/", {"step": "begin"})["Location"] == "/account/security/"
    page = client.get("/account/security/").content.decode()
    assert "<svg" in page and 'id="totp-secret"' in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post("/account/security/", {"step": "confirm", "code": "000000"}).status_code == 422
    assert client.post("/account/security/", {"step": "confirm", "code": _code(device)}).status_code == 303
    device.refresh_from_db()
    assert device.confirmed and AuditEntry.objects.filter(action="totp_enable", actor=user).exists()

    fresh = Client()
    step = attempt(fresh, user.email, PASSWORD)
    assert step.status_code == 303 and step["Location"] == "/login/code/"
    assert fresh.get("/").status_code == 302  # not signed in yet
    assert fresh.post("/login/code/", {"code": "123456"}).status_code == 401
    device.refresh_from_db()
    device.throttling_failure_count = 0  # django-otp's own back-off after a wrong code
    device.throttling_failure_timestamp = None
    device.last_t = -1  # the code that confirmed the set-up was this one: a code counts once
    device.save()
    done = fresh.post("/login/code/", {"code": _code(device)})
    assert done.status_code == 303 and fresh.get("/").status_code == 200
    assert AuditEntry.objects.get(action="signin").details == {"ip": "127.0.0.1", "two_factor": True}


def test_an_admin_turns_off_a_lost_phones_two_factor(users):
    device = totp_begin(user=users["marketing"])
    device.confirmed = True
    device.save()
    admin = Client()
    admin.force_login(users["admin"])
    assert admin.post(f"/admin/users/{users['marketing'].pk}/two-factor/reset/").status_code == 303
    assert not TOTPDevice.objects.filter(user=users["marketing"]).exists()
    viewer = Client()
    viewer.force_login(users["viewer"])
    assert viewer.post(f"/admin/users/{users['marketing'].pk}/two-factor/reset/").status_code == 403


def test_sessions_end_after_twelve_hours(users):
    response = attempt(Client(), users["viewer"].email, PASSWORD)
    assert response.cookies["sessionid"]["max-age"] == 12 * 3600


@pytest.mark.parametrize("password", ["short1", "password1234", "12345678901234", "admin@example.com1"])
def test_weak_passwords_are_refused_naming_the_field(users, password):
    with pytest.raises(InvalidInput) as caught:
        user_create(email="new@example.com", role="viewer", password=password, acting_user=users["admin"])
    assert caught.value.field == "password"
