"""The fact registry (`facts`) and `contacts.queries.contact_facts` give the same facts: for a few
random contacts, every profile fact the registry names, read as the rescore reads it (`reader`,
`facts.profile_columns`, `facts.derive`) and as the backtest loads it (`backtest.load_profiles`),
equals what `contact_facts` gives for that contact — the value the rules see when one contact is
scored or moved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import orjson
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contacts.models import Account, Contact
from accord.contacts.queries import contact_facts
from accord.playbook.domain.vocabulary import ACCOUNT_FIELDS, CONTACT_FIELDS
from accord.scoring import backtest, facts
from accord.scoring.facts import Column
from accord.scoring.reader import Reader

NOW = dt.datetime(2026, 11, 2, 15, 0, 0, 250_000, tzinfo=dt.UTC)
ALL = set(CONTACT_FIELDS) | set(ACCOUNT_FIELDS) | {"contact.properties", "account.properties"}
TEXT = st.sampled_from(["", "vp", 'VP, "Sales", EMEA', "Ünïcode", "two\nlines", "a\r\nb", "  ", "NULL", "\\N", "ß"])
EMAILS = st.sampled_from([None, "ada@acme.com", "no-at-sign", "a@b@c.example", "x+tag@ünï.example", "trailing@"])
PROPERTIES = st.dictionaries(st.sampled_from(["plan", "seats", "ß"]), st.one_of(st.integers(-5, 5), TEXT, st.none()))
# Near whole days before now, to the microsecond, on both sides of the boundary.
STAGE_CHANGED = st.one_of(
    st.none(),
    st.builds(
        lambda days, micros: NOW - dt.timedelta(days=days, microseconds=micros),
        st.integers(-3, 400),
        st.sampled_from([-1, 0, 1, 250_000, 86_399_999_999]),
    ),
)
ACCOUNTS = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "name": TEXT,
            "domain": st.sampled_from(["", "acme.com", "ünï.example"]),
            "industry": TEXT,
            "employees": st.one_of(st.none(), st.integers(0, 10**6)),
            "annual_revenue": st.one_of(
                st.none(), st.sampled_from([Decimal("0.10"), Decimal("1234567.89"), Decimal(7)])
            ),
            "country": st.sampled_from(["", "DE", "US"]),
            "owned": st.booleans(),
            "properties": PROPERTIES,
        }
    ),
)
CONTACTS = st.fixed_dictionaries(
    {
        "email": EMAILS,
        "first_name": TEXT,
        "last_name": TEXT,
        "title": TEXT,
        "seniority": TEXT,
        "phone": st.sampled_from(["", "+49 30 1234"]),
        "country": st.sampled_from(["", "DE"]),
        "stage": st.sampled_from(["", "lead", "mql"]),
        "consent": st.sampled_from([None, True, False]),
        "owned": st.booleans(),
        "stage_changed_at": STAGE_CHANGED,
        "forms_submitted": st.integers(0, 3),
        **{f"{end}_{part}": TEXT for end in ("first", "last") for part in ("source", "medium", "campaign", "offer")},
        "properties": PROPERTIES,
        "account": ACCOUNTS,
    }
)


def create(people: list[dict[str, Any]], owner: Any) -> list[Contact]:
    Contact.objects.all().delete()
    Account.objects.all().delete()
    created = []
    for index, person in enumerate(people):
        person = dict(person)
        if person["email"] is not None:
            person["email"] = f"{index}.{person['email']}"  # emails are unique
        account = person.pop("account")
        if account is not None:
            owned = account.pop("owned")
            account = Account.objects.create(**account, owner=owner if owned else None)
        owned = person.pop("owned")
        created.append(Contact.objects.create(**person, account=account, owner=owner if owned else None))
    return created


def as_fact(name: str, value: Any) -> Any:
    """A frame's value as the fact's: JSON properties parsed."""
    return orjson.loads(value) if name in facts.PROPERTY_FACTS and value is not None else value


def test_every_fact_is_registered() -> None:
    """The registry has a column (or a derivation) for every profile fact conditions may name."""
    assert {c.name for c in facts.profile_columns(ALL)} | set(facts.DERIVED) == ALL | {"_stage_changed"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(CONTACTS, min_size=1, max_size=4))
def test_the_vectorised_readers_give_the_facts_contact_facts_gives(users: Any, people: list[dict[str, Any]]) -> None:
    contacts = create(people, users["sales_rep"])
    columns = [Column("contact_id", "pk", pl.Int64), *facts.profile_columns(ALL)]
    with Reader() as reader:
        rescored = facts.derive(reader.frame(Contact.objects.order_by("pk"), columns), NOW)
    loaded = backtest.load_profiles(ALL, now=NOW).sort("contact_id")
    assert set(rescored.columns) == set(loaded.columns) == ALL | {"contact_id"}
    for frame in (rescored, loaded):
        assert frame["contact_id"].to_list() == [c.pk for c in contacts]
        for row, contact in zip(frame.iter_rows(named=True), contacts, strict=True):
            expected = contact_facts(
                Contact.objects.select_related("account__owner", "owner", "score").get(pk=contact.pk), now=NOW
            )
            for name in sorted(ALL):
                assert as_fact(name, row[name]) == expected.get(name), name
