"""Checking a contact's and an account's fields is a pure rule (`contacts.domain`): table-driven,
without a database; whether an id names a record is asked of the caller."""

from __future__ import annotations

from typing import Any

import pytest

from accord.contacts import domain
from accord.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("data", "values"),
    [
        ({"email": " Ada@Acme.COM "}, {"email": "ada@acme.com"}),
        ({"first_name": "  Ada "}, {"first_name": "Ada"}),
        ({"country": "de"}, {"country": "DE"}),
        ({"seniority": None, "phone": None}, {"seniority": "", "phone": ""}),
        ({"hubspot_id": ""}, {"hubspot_id": None}),
        ({"account_id": 7, "owner_id": None}, {"account_id": 7, "owner_id": None}),
        ({"properties": {"seats": 12}}, {"properties": {"seats": 12}}),
    ],
)
def test_good_contact_fields_come_back_normalised(data: dict[str, Any], values: dict[str, Any]) -> None:
    assert domain.contact_fields_clean(data, known=lambda field, pk: True) == values


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"colour": "red"}, [("colour", "unknown field 'colour'")]),
        ({"first_name": 3}, [("first_name", "must be text, not int")]),
        ({"seniority": "boss"}, [("seniority", "must be one of individual, manager, director, vp, c_level")]),
        ({"country": "Germany"}, [("country", "must be a two-letter ISO country code such as US or DE")]),
        ({"account_id": "7"}, [("account_id", "must be an account id")]),
        ({"account_id": 404}, [("account_id", "no account with id 404")]),
        ({"owner_id": 9}, [("owner_id", "no active user with id 9")]),
        ({"consent": "yes"}, [("consent", "must be true, false or null")]),
        (
            {"first_name": "a\x00b", "title": 1},
            [("first_name", "contains a NUL character"), ("title", "must be text, not int")],
        ),
    ],
)
def test_every_bad_field_is_named(data: dict[str, Any], errors: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidInput) as caught:
        domain.contact_fields_clean(data, known=lambda field, pk: pk == 7)
    assert caught.value.errors == errors


def test_an_account_needs_its_name_when_created() -> None:
    with pytest.raises(InvalidInput) as caught:
        domain.account_fields_clean({"domain": "acme.com"}, creating=True, known=lambda field, pk: True)
    assert caught.value.errors == [("name", "is required")]
    cleaned = domain.account_fields_clean({"domain": "WWW.Acme.com"}, creating=False, known=lambda field, pk: True)
    assert cleaned == {"domain": "acme.com"}
