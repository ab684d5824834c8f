"""What a person is told when their role does not allow something: who may, in words, read from
the role → capability table."""

from __future__ import annotations

import pytest

from accord.accounts import domain
from accord.accounts.domain import DESCRIPTIONS, ROLE_NAMES, Capability, Role, can, holders, refusal, signs_for


def test_every_capability_has_words_for_messages() -> None:
    assert set(DESCRIPTIONS) == set(Capability)


def test_every_role_has_a_name_for_messages() -> None:
    assert set(ROLE_NAMES) == set(Role)
    names = list(ROLE_NAMES.values())
    # no name is part of another, so a message names a role exactly when it contains its name
    assert all(a == b or a not in b for a in names for b in names)


@pytest.mark.parametrize("capability", list(Capability))
def test_the_holders_of_a_capability_are_the_roles_the_table_gives_it(capability: Capability) -> None:
    expected = [
        role
        for role in Role
        if can(role, capability) and (capability is not Capability.PLAYBOOK_SIGN or signs_for(role) is not None)
    ]

    assert holders(capability) == expected


@pytest.mark.parametrize("capability", list(Capability))
def test_every_refusal_names_exactly_the_roles_that_may(capability: Capability) -> None:
    # when the sentence for the capability is written
    message = refusal(capability)

    # then it names each role that holds the capability, and no other
    named = [role for role in Role if ROLE_NAMES[role] in message]
    assert named == holders(capability)
    # and it is a sentence in words: no identifier such as "playbook_draft" or "user admin"
    assert message.startswith("Only ") and message.endswith(".")
    assert "_" not in message and capability.value.replace("_", " ") not in message


@pytest.mark.parametrize(
    ("capability", "expected"),
    [
        (Capability.USER_ADMIN, "Only RevOps admins can manage users, teams and API keys."),
        (
            Capability.PLAYBOOK_DRAFT,
            "Only RevOps admins, marketing managers and sales managers can start or edit a draft of the playbook.",
        ),
        (
            Capability.PLAYBOOK_SIGN,
            "Only marketing managers and sales managers can sign a draft of the playbook, each for their side.",
        ),
        (
            Capability.STAGE_CHANGE,
            "Only RevOps admins, marketing managers, sales reps and sales managers can move contacts between stages.",
        ),
    ],
)
def test_refusals_read_as_sentences(capability: Capability, expected: str) -> None:
    assert refusal(capability) == expected


def test_a_refusal_follows_the_table_when_the_table_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a table in which sales reps may also manage users
    table = dict(domain._CAPABILITIES)
    table[Role.SALES_REP] = table[Role.SALES_REP] | {Capability.USER_ADMIN}
    monkeypatch.setattr(domain, "_CAPABILITIES", table)

    # then the sentence names them too
    assert refusal(Capability.USER_ADMIN) == "Only RevOps admins and sales reps can manage users, teams and API keys."


def test_a_capability_no_role_holds_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {role: capabilities - {Capability.AUDIT_READ} for role, capabilities in domain._CAPABILITIES.items()}
    monkeypatch.setattr(domain, "_CAPABILITIES", table)

    assert refusal(Capability.AUDIT_READ) == "No role can read the audit log."
