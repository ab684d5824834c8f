from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.accounts import actions
from accord.accounts.domain import Capability, Role, Scope, Side, acts_for, can, parse_scopes, signs_for
from accord.accounts.models import ApiKey, User
from accord.core.errors import Conflict, InvalidInput, PermissionDenied
from accord.core.models import AuditEntry

# Which role may do what: the whole table.
EXPECTED = {
    Role.ADMIN: set(Capability),
    Role.MARKETING: {
        Capability.CONTACT_WRITE,
        Capability.CONTACT_MERGE,
        Capability.CONTACT_EXPORT,
        Capability.CONTACT_IMPORT,
        Capability.STAGE_CHANGE,
        Capability.PLAYBOOK_DRAFT,
        Capability.PLAYBOOK_SIGN,
    },
    Role.SALES_MANAGER: {
        Capability.CONTACT_WRITE,
        Capability.CONTACT_MERGE,
        Capability.CONTACT_EXPORT,
        Capability.STAGE_CHANGE,
        Capability.PLAYBOOK_DRAFT,
        Capability.PLAYBOOK_SIGN,
        Capability.HANDOFF_WORK,
        Capability.HANDOFF_MANAGE,
        Capability.DEAL_WRITE,
    },
    Role.SALES_REP: {Capability.CONTACT_WRITE, Capability.STAGE_CHANGE, Capability.HANDOFF_WORK, Capability.DEAL_WRITE},
    Role.VIEWER: set(),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("capability", list(Capability))
def test_capabilities(role, capability):
    assert can(role, capability) is (capability in EXPECTED[role])


def test_sides_and_signatures():
    assert acts_for(Role.ADMIN) == {Side.MARKETING, Side.SALES}
    assert acts_for(Role.SALES_REP) == {Side.SALES}
    assert acts_for(Role.VIEWER) == frozenset()
    assert [signs_for(r) for r in Role] == [None, Side.MARKETING, None, Side.SALES, None]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("read", [Scope.READ]),
        ("read, write,read", [Scope.READ, Scope.WRITE]),
        (["track"], [Scope.SERVER]),
        (["server", "track"], [Scope.SERVER]),
    ],
)
def test_parse_scopes(raw, expected):
    assert parse_scopes(raw) == expected


@pytest.mark.parametrize(("raw", "message"), [("", "at least one scope"), ("read,delete", "unknown scope 'delete'")])
def test_parse_scopes_refuses(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_scopes(raw)


def test_inactive_users_can_do_nothing(users):
    admin = users["admin"]
    admin.is_active = False
    assert not admin.can(Capability.CONTACT_WRITE)
    assert admin.acts_for() == frozenset()


@pytest.mark.django_db
def test_user_create_normalises_and_audits(users):
    user = actions.user_create(
        email=" New.Person@Example.COM ", role="sales_rep", password="a-long-passphrase-9", acting_user=users["admin"]
    )
    assert user.email == "new.person@example.com" and user.role == Role.SALES_REP
    assert user.check_password("a-long-passphrase-9")
    entry = AuditEntry.objects.get(action="user_create")
    assert (entry.actor, entry.object_id, entry.details) == (users["admin"], str(user.pk), {"role": "sales_rep"})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field", "error"),
    [
        ({"email": "not-an-email", "role": "viewer"}, "email", InvalidInput),
        ({"email": "x@example.com", "role": "overlord"}, "role", InvalidInput),
        ({"email": "x@example.com", "role": "viewer", "time_zone": "Mars/Olympus"}, "time_zone", InvalidInput),
        ({"email": "x@example.com", "role": "viewer", "password": "short"}, "password", InvalidInput),
        ({"email": "ADMIN@example.com", "role": "viewer"}, "email", Conflict),
    ],
)
def test_user_create_refuses_and_writes_nothing(users, kwargs, field, error):
    before = User.objects.count()
    with pytest.raises(error) as caught:
        actions.user_create(acting_user=users["admin"], **kwargs)
    assert caught.value.field == field
    assert User.objects.count() == before
    assert not AuditEntry.objects.filter(action="user_create").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["marketing", "sales_manager", "sales_rep", "viewer"])
def test_only_admins_manage_users_and_keys(users, role):
    with pytest.raises(PermissionDenied):
        actions.user_create(email="x@example.com", role="viewer", acting_user=users[role])
    with pytest.raises(PermissionDenied):
        actions.apikey_create(name="k", scopes="read", acting_user=users[role])
    assert not ApiKey.objects.exists()


@pytest.mark.django_db
def test_api_keys_are_stored_hashed_and_can_be_revoked(users):
    key, secret = actions.apikey_create(name="CRM sync", scopes="read,write", acting_user=users["admin"])
    assert secret.startswith(f"acc_{key.prefix}_") and len(secret) > 40
    assert secret not in key.digest and key.digest == actions.digest(secret)
    assert actions.apikey_authenticate(secret) == key
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None
    assert actions.apikey_authenticate(secret + "x") is None
    assert actions.apikey_authenticate("Bearer nonsense") is None
    actions.apikey_revoke(key=key, acting_user=users["admin"])
    assert actions.apikey_authenticate(secret) is None


@pytest.mark.django_db
def test_a_key_dies_with_its_owner(users):
    _, secret = actions.apikey_create(name="k", scopes="read", acting_user=users["admin"])
    User.objects.filter(pk=users["admin"].pk).update(is_active=False)
    assert actions.apikey_authenticate(secret) is None


@pytest.mark.django_db
def test_teams(users):
    team = actions.team_create(name="SDR EMEA", side="sales", time_zone="Europe/London", acting_user=users["admin"])
    actions.team_add_member(team=team, user=users["sales_rep"], acting_user=users["admin"])
    actions.team_add_member(team=team, user=users["sales_rep"], acting_user=users["admin"])
    assert list(team.members.all()) == [users["sales_rep"]]
    with pytest.raises(Conflict):
        actions.team_create(name="SDR EMEA", side="sales", acting_user=users["admin"])
    with pytest.raises(InvalidInput) as caught:
        actions.team_create(name="Ops", side="finance", acting_user=users["admin"])
    assert caught.value.field == "side"


@pytest.mark.django_db
def test_createuser_command(capsys):
    call_command("createuser", email="ops@example.com", role="admin", password="a-long-passphrase-9")
    assert "created ops@example.com (admin)" in capsys.readouterr().out
    assert User.objects.get(email="ops@example.com").role == "admin"
    with pytest.raises(CommandError, match="already exists"):
        call_command("createuser", email="ops@example.com", role="admin", password="a-long-passphrase-9")


@pytest.mark.django_db
def test_apikey_command_prints_the_key_last(users, capsys):
    call_command("apikey", "create", name="ci", scopes="read,write")
    lines = capsys.readouterr().out.strip().splitlines()
    key = actions.apikey_authenticate(lines[-1])
    assert key is not None and key.scopes == ["read", "write"] and key.created_by == users["admin"]
    with pytest.raises(CommandError, match="unknown scope 'root'"):
        call_command("apikey", "create", name="ci", scopes="root")
    assert ApiKey.objects.count() == 1


@pytest.mark.django_db
def test_apikey_command_needs_an_admin():
    with pytest.raises(CommandError, match="create one first"):
        call_command("apikey", "create", name="ci", scopes="read")


@pytest.mark.django_db
def test_sign_in_ignores_the_case_of_the_email(users, client, rf):
    response = client.post("/login/", {"username": " Marketing@Example.COM ", "password": "accord-test-password-1"})
    assert response.status_code == 303 and client.get("/").context["user"] == users["marketing"]
    from django.contrib.auth import authenticate

    request = rf.post("/login/")
    assert (
        authenticate(request, username="SALES_REP@example.com", password="accord-test-password-1") == users["sales_rep"]
    )
    assert authenticate(request, username="sales_rep@example.com", password="wrong") is None


@pytest.mark.django_db
def test_the_last_admin_cannot_be_demoted(users):
    with pytest.raises(Conflict, match="last active admin") as caught:
        actions.user_set_role(user=users["admin"], role="viewer", acting_user=users["admin"])
    assert caught.value.field == "role"
    assert User.objects.get(pk=users["admin"].pk).role == "admin"
    second = actions.user_create(email="ops@example.com", role="admin", acting_user=users["admin"])
    actions.user_set_role(user=users["admin"], role="marketing", acting_user=second)
    assert User.objects.get(pk=users["admin"].pk).role == "marketing"


@pytest.mark.django_db
def test_refusals_say_who_may(users):
    with pytest.raises(PermissionDenied) as caught:
        actions.team_create(name="X", side="sales", acting_user=users["viewer"])
    assert caught.value.message == "Only RevOps admins can manage users, teams and API keys."
