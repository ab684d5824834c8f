from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from accord.contacts.actions import contact_create
from accord.core.errors import Conflict, InvalidInput, PermissionDenied
from accord.lifecycle.actions import contact_change_stage
from accord.playbook import actions
from accord.playbook.models import PlaybookVersion, Signature
from accord.playbook.queries import active_playbook

DEFAULT = (Path(__file__).resolve().parents[1] / "default.yaml").read_text()


@pytest.mark.django_db
def test_migrations_install_the_default_playbook_as_the_active_v1():
    version = active_playbook()
    assert (version.number, version.status, version.source) == (1, "active", DEFAULT)
    assert version.playbook.stage("mql").name == "MQL"


@pytest.mark.django_db
def test_draft_sign_activate(users):
    source = DEFAULT.replace("mqls: 120", "mqls: 150")
    draft = actions.playbook_draft_create(source=source, note="More MQLs", acting_user=users["admin"])
    assert (draft.number, draft.status, draft.note) == (2, "draft", "More MQLs")
    with pytest.raises(Conflict, match="needs the signature of marketing and sales first"):
        actions.playbook_activate(version=draft, acting_user=users["admin"])
    actions.playbook_sign(version=draft, acting_user=users["marketing"])
    with pytest.raises(Conflict, match="already signed version 2 for marketing"):
        actions.playbook_sign(version=draft, acting_user=users["marketing"])
    draft.refresh_from_db()
    assert draft.status == "draft"
    actions.playbook_sign(version=draft, acting_user=users["sales_manager"])
    draft.refresh_from_db()
    assert draft.status == "signed"
    assert [(s.side, s.user) for s in draft.signatures.all()] == [
        ("marketing", users["marketing"]),
        ("sales", users["sales_manager"]),
    ]
    with pytest.raises(Conflict, match="only a draft can be signed"):
        actions.playbook_sign(version=draft, acting_user=users["marketing"])
    actions.playbook_activate(version=draft, acting_user=users["admin"])
    assert active_playbook().number == 2
    v1 = PlaybookVersion.objects.get(number=1)
    assert v1.status == "retired" and v1.retired_at is not None
    assert active_playbook().playbook.data["sla"]["marketing"]["mqls"] == 150
    # rolling back: a retired version can be made active again
    actions.playbook_activate(version=v1, acting_user=users["admin"])
    assert active_playbook().number == 1
    assert PlaybookVersion.objects.filter(status="active").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "sales_rep", "viewer"])
def test_only_the_two_leads_sign(users, role):
    draft = actions.playbook_draft_create(source=DEFAULT, acting_user=users["admin"])
    with pytest.raises(PermissionDenied):
        actions.playbook_sign(version=draft, acting_user=users[role])
    assert not Signature.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["marketing", "sales_manager", "sales_rep", "viewer"])
def test_only_admins_activate(users, role):
    v1 = active_playbook()
    with pytest.raises(PermissionDenied):
        actions.playbook_activate(version=v1, acting_user=users[role])


@pytest.mark.django_db
def test_editing_a_draft_withdraws_its_signatures(users):
    draft = actions.playbook_draft_create(source=DEFAULT, acting_user=users["admin"])
    actions.playbook_sign(version=draft, acting_user=users["marketing"])
    actions.playbook_draft_update(
        version=draft, source=DEFAULT.replace("min_attempts: 5", "min_attempts: 6"), acting_user=users["admin"]
    )
    draft.refresh_from_db()
    assert draft.signatures.count() == 0 and draft.playbook.data["sla"]["sales"]["min_attempts"] == 6


@pytest.mark.django_db
def test_an_invalid_draft_is_refused_with_every_path(users):
    bad = DEFAULT.replace("grades: {A: 60, B: 40, C: 20}", "grades: {A: 60, B: 70, C: 20}").replace(
        "half_life_days: 30", "half_life_days: -1"
    )
    with pytest.raises(InvalidInput) as caught:
        actions.playbook_draft_create(source=bad, acting_user=users["admin"])
    assert [p for p, _ in caught.value.errors] == ["fit.grades.B", "interest.half_life_days"]
    assert caught.value.message.startswith("the playbook is not valid: fit.grades.B: grade thresholds must fall")
    assert PlaybookVersion.objects.count() == 1


@pytest.mark.django_db
def test_activation_refuses_to_drop_a_stage_contacts_are_in(users):
    contact = contact_create(data={"email": "a@acme.io", "consent": True}, acting_user=users["admin"])
    contact_change_stage(contact=contact, to_stage="subscriber", acting_user=users["admin"])
    without = DEFAULT.replace(
        "  - key: subscriber\n    name: Subscriber\n    definition: A known person who opted in to the blog or the newsletter.\n"
        "    owner: marketing\n    entry:\n      all:\n        - {field: contact.email, op: is_set}\n        - {field: contact.consent, op: eq, value: true}\n",
        "",
    )
    assert "key: subscriber" not in without
    draft = actions.playbook_draft_create(source=without, acting_user=users["admin"])
    actions.playbook_sign(version=draft, acting_user=users["marketing"])
    actions.playbook_sign(version=draft, acting_user=users["sales_manager"])
    with pytest.raises(Conflict, match=r"drops stages that contacts are in: subscriber \(1 contacts\)"):
        actions.playbook_activate(version=draft, acting_user=users["admin"])
    assert active_playbook().number == 1


@pytest.mark.django_db
def test_the_database_allows_one_active_version(users):
    with pytest.raises(IntegrityError), transaction.atomic():
        PlaybookVersion.objects.create(number=9, status="active", digest="x", source="")


@pytest.mark.django_db
def test_cli_validate_export_import_diff(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(DEFAULT.replace("mqls: 120", "mqls: 200"))
    call_command("playbook", "validate", str(good))
    assert "valid — 9 stages" in capsys.readouterr().out

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        DEFAULT.replace(
            "        - {field: contact.email, op: is_set}\n        - {field: contact.consent",
            "        - {scor: 1}\n        - {field: contact.consent",
            1,
        )
    )
    with pytest.raises(CommandError, match=r"1 problem\(s\) found"):
        call_command("playbook", "validate", str(bad))
    assert "stages[1].entry.all[0]: unknown field 'scor'" in capsys.readouterr().err

    call_command("playbook", "export")
    assert capsys.readouterr().out == DEFAULT

    call_command("playbook", "import", str(good))
    assert "created draft version 2" in capsys.readouterr().out
    call_command("playbook", "diff", "1", "2")
    out = capsys.readouterr().out
    assert "-    mqls: 120" in out and "+    mqls: 200" in out
    call_command("playbook", "diff", "1", str(good))
    assert "+    mqls: 200" in capsys.readouterr().out
    call_command("playbook", "export", "--version", "2")
    assert "mqls: 200" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no playbook version 7"):
        call_command("playbook", "export", "--version", "7")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("playbook", "validate", str(tmp_path / "missing.yaml"))


@pytest.mark.django_db
def test_a_version_keeps_the_order_it_was_written_in(users):
    """The document is parsed from the YAML as written, so no database reorders its keys."""
    version = actions.playbook_draft_create(source=DEFAULT, acting_user=users["admin"])
    stored = PlaybookVersion.objects.get(pk=version.pk)
    assert list(stored.playbook.data["sla"]["sales"]["first_contact_hours"]) == ["high", "normal", "low"]
    assert stored.digest == stored.playbook.digest and len(stored.digest) == 64
    assert stored.playbook.to_yaml() == active_playbook().playbook.to_yaml()
