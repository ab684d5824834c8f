from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.contacts import actions, domain, queries
from accord.contacts.models import Account, Contact, ContactMerge
from accord.contacts.tests.scores import given_scores
from accord.core.errors import Conflict, InvalidInput, PermissionDenied
from accord.core.models import AuditEntry
from accord.lifecycle.actions import contact_change_stage
from accord.lifecycle.actions import contact_merge as lifecycle_merge
from accord.lifecycle.models import StageChange


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Ana@Acme.IO ", "ana@acme.io"),
        ("", None),
        (None, None),
        ("a.b+tag@sub.example.co.uk", "a.b+tag@sub.example.co.uk"),
    ],
)
def test_normalize_email(raw, expected):
    assert domain.normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["ana", "ana@", "@acme.io", "ana@acme", "ana@@acme.io", "an a@acme.io", "a..b@acme.io", "x" * 250 + "@a.io"]
)
def test_normalize_email_refuses(raw):
    with pytest.raises(ValueError, match="is not a valid email address"):
        domain.normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.io/about", "acme.io"),
        ("acme.io", "acme.io"),
        ("", ""),
        ("http://sub.acme.io:8080", "sub.acme.io"),
    ],
)
def test_normalize_domain(raw, expected):
    assert domain.normalize_domain(raw) == expected


@pytest.mark.parametrize(
    ("email", "canonical"),
    [
        ("Ann.Lee+news@gmail.com", "annlee@gmail.com"),
        ("ann.lee@googlemail.com", "annlee@gmail.com"),
        ("ann.lee+x@acme.io", "ann.lee@acme.io"),
    ],
)
def test_canonical_email(email, canonical):
    assert domain.canonical_email(email.lower()) == canonical


def test_company_domain_ignores_free_mail():
    assert domain.company_domain("a@gmail.com") == ""
    assert domain.company_domain("a@acme.io") == "acme.io"


@given(
    st.dictionaries(
        st.sampled_from(domain.MERGEABLE_FIELDS), st.one_of(st.none(), st.just(""), st.text(min_size=1, max_size=3))
    ),
    st.dictionaries(
        st.sampled_from(domain.MERGEABLE_FIELDS), st.one_of(st.none(), st.just(""), st.text(min_size=1, max_size=3))
    ),
)
def test_merge_never_overwrites_what_the_kept_contact_has(keep, drop):
    taken = domain.merged_fields(keep, drop)
    for name, value in taken.items():
        if name != "properties":
            assert keep.get(name) in (None, "") and value == drop[name]
    for name in domain.MERGEABLE_FIELDS:
        if keep.get(name) in (None, "") and drop.get(name) not in (None, ""):
            assert name in taken


@pytest.mark.django_db
def test_contact_create_links_the_account_by_email_domain(users):
    account = actions.account_create(data={"name": "Acme", "domain": "https://www.acme.io"}, acting_user=users["admin"])
    assert account.domain == "acme.io"
    contact = actions.contact_create(
        data={
            "email": "Ana@Acme.io",
            "first_name": " Ana ",
            "country": "de",
            "consent": True,
            "properties": {"plan": "pro"},
        },
        acting_user=users["marketing"],
    )
    contact.refresh_from_db()
    assert (contact.email, contact.first_name, contact.country, contact.account) == (
        "ana@acme.io",
        "Ana",
        "DE",
        account,
    )
    assert contact.consent is True and contact.consent_at is not None
    assert contact.properties == {"plan": "pro"} and contact.stage == ""
    assert AuditEntry.objects.filter(action="contact_create", object_id=str(contact.pk)).count() == 1
    free = actions.contact_create(data={"email": "ana@gmail.com"}, acting_user=users["marketing"])
    assert free.account is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "nope"}, "email", "email: 'nope' is not a valid email address"),
        ({"email": 5}, "email", "email: must be text"),
        ({"first_name": 5}, "first_name", "first_name: must be text, not int"),
        ({"first_name": "x" * 101}, "first_name", "first_name: must be at most 100 characters"),
        ({"seniority": "boss"}, "seniority", "seniority: must be one of individual, manager, director, vp, c_level"),
        ({"country": "Germany"}, "country", "country: must be a two-letter ISO country code such as US or DE"),
        ({"account_id": 999}, "account_id", "account_id: no account with id 999"),
        ({"account_id": "1"}, "account_id", "account_id: must be an account id"),
        ({"owner_id": 999}, "owner_id", "owner_id: no active user with id 999"),
        ({"consent": "yes"}, "consent", "consent: must be true, false or null"),
        ({"properties": [1]}, "properties", "properties: must be a mapping of names to values"),
        ({"properties": {"a": {"b": 1}}}, "properties.a", "properties.a: must be text, a number, true/false or null"),
        ({"properties": {"a": "x" * 20000}}, "properties", "properties: must be at most 16384 bytes as JSON"),
        ({"stage": "lead"}, "stage", "stage: unknown field 'stage'"),
    ],
)
def test_contact_create_refuses_bad_input_and_writes_nothing(users, data, field, message):
    with pytest.raises(InvalidInput) as caught:
        actions.contact_create(data={"first_name": "Ok", **data}, acting_user=users["admin"])
    assert (caught.value.field, caught.value.message) == (field, message)
    assert Contact.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_every_problem_is_listed(users):
    with pytest.raises(InvalidInput) as caught:
        actions.contact_create(data={"email": "x", "country": "Narnia", "colour": "red"}, acting_user=users["admin"])
    assert [f for f, _ in caught.value.errors] == ["colour", "email", "country"]


@pytest.mark.django_db
def test_duplicate_email_is_a_conflict(users):
    actions.contact_create(data={"email": "ana@acme.io"}, acting_user=users["admin"])
    with pytest.raises(Conflict) as caught:
        actions.contact_create(data={"email": "ANA@acme.io", "first_name": "Other"}, acting_user=users["admin"])
    assert caught.value.field == "email"
    assert Contact.objects.count() == 1


@pytest.mark.django_db
def test_viewer_cannot_write(users):
    with pytest.raises(PermissionDenied):
        actions.contact_create(data={"email": "ana@acme.io"}, acting_user=users["viewer"])
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_contact_update_changes_only_what_differs(users):
    contact = actions.contact_create(data={"email": "ana@acme.io", "title": "CTO"}, acting_user=users["admin"])
    actions.contact_update(contact=contact, data={"title": "CTO"}, acting_user=users["admin"])
    assert not AuditEntry.objects.filter(action="contact_update").exists()
    actions.contact_update(
        contact=contact, data={"title": "CEO", "seniority": "c_level"}, acting_user=users["sales_rep"]
    )
    contact.refresh_from_db()
    assert (contact.title, contact.seniority) == ("CEO", "c_level")
    entry = AuditEntry.objects.get(action="contact_update")
    assert entry.details == {"title": "CEO", "seniority": "c_level"} and entry.actor == users["sales_rep"]
    with pytest.raises(InvalidInput):
        actions.contact_update(contact=contact, data={"title": "VP", "email": "bad"}, acting_user=users["admin"])
    contact.refresh_from_db()
    assert contact.title == "CEO"


@pytest.mark.django_db
def test_account_validation(users):
    with pytest.raises(InvalidInput) as caught:
        actions.account_create(data={"domain": "acme.io"}, acting_user=users["admin"])
    assert caught.value.field == "name"
    for data, field in [
        ({"name": "A", "employees": -1}, "employees"),
        ({"name": "A", "annual_revenue": "lots"}, "annual_revenue"),
        ({"name": "A", "domain": "not a domain"}, "domain"),
        ({"name": "A", "employees": True}, "employees"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            actions.account_create(data=data, acting_user=users["admin"])
        assert caught.value.field == field
    assert Account.objects.count() == 0
    account = actions.account_create(
        data={"name": "A", "annual_revenue": "1250000.5", "employees": 40}, acting_user=users["admin"]
    )
    assert account.annual_revenue == Decimal("1250000.50")


@pytest.mark.django_db
def test_duplicates_by_mailbox_and_by_name_at_the_same_company(users):
    admin = users["admin"]
    acme = actions.account_create(data={"name": "Acme", "domain": "acme.io"}, acting_user=admin)
    ana = actions.contact_create(
        data={"email": "ana.lee@acme.io", "first_name": "Ana", "last_name": "Lee"}, acting_user=admin
    )
    tagged = actions.contact_create(data={"email": "ana.lee+events@acme.io"}, acting_user=admin)
    renamed = actions.contact_create(
        data={"email": "alee@acme.io", "first_name": "ana", "last_name": "LEE"}, acting_user=admin
    )
    other = actions.contact_create(
        data={"email": "ana.lee@other.io", "first_name": "Ana", "last_name": "Lee"}, acting_user=admin
    )
    assert renamed.account == acme
    assert {c.pk for c in queries.contact_duplicates(ana)} == {tagged.pk, renamed.pk}
    assert queries.contact_duplicates(other) == []


@pytest.mark.django_db
def test_merge_keeps_all_history_of_both(users):
    admin = users["admin"]
    keep = actions.contact_create(
        data={"email": "ana@acme.io", "first_name": "Ana", "properties": {"a": 1}}, acting_user=admin
    )
    drop = actions.contact_create(
        data={"email": "ana.lee@gmail.com", "last_name": "Lee", "phone": "+1 555", "properties": {"a": 2, "b": 3}},
        acting_user=admin,
    )
    Contact.objects.filter(pk__in=[keep.pk, drop.pk]).update(forms_submitted=1)
    keep.refresh_from_db()
    drop.refresh_from_db()
    contact_change_stage(contact=keep, to_stage="lead", acting_user=admin)
    contact_change_stage(contact=drop, to_stage="lead", acting_user=admin)
    drop = given_scores(drop, fit_grade="A", interest_score=80)
    contact_change_stage(contact=drop, to_stage="mql", acting_user=admin)
    drop_id = drop.pk

    merged = lifecycle_merge(keep=keep, drop=drop, acting_user=admin)

    assert not Contact.objects.filter(pk=drop_id).exists()
    merged.refresh_from_db()
    assert (merged.email, merged.first_name, merged.last_name, merged.phone) == ("ana@acme.io", "Ana", "Lee", "+1 555")
    assert merged.properties == {"a": 1, "b": 3}
    assert merged.stage == "mql"  # the more advanced stage wins, as a move caused by the merge
    history = list(
        StageChange.objects.filter(contact=merged).order_by("at", "id").values_list("to_stage", "merged_from")
    )
    assert history == [("lead", None), ("lead", drop_id), ("mql", drop_id), ("mql", None)]
    record = ContactMerge.objects.get(kept=merged)
    assert (
        record.dropped_id == drop_id
        and record.snapshot["email"] == "ana.lee@gmail.com"
        and record.snapshot["stage"] == "mql"
    )
    assert AuditEntry.objects.filter(action="contact_merge", object_id=str(merged.pk)).count() == 1


@pytest.mark.django_db
def test_merge_takes_the_email_when_the_kept_contact_has_none(users):
    admin = users["admin"]
    keep = actions.contact_create(data={"first_name": "Ana"}, acting_user=admin)
    drop = actions.contact_create(data={"email": "ana@acme.io"}, acting_user=admin)
    assert actions.contact_merge(keep=keep, drop=drop, acting_user=admin).email == "ana@acme.io"


@pytest.mark.django_db
def test_merge_refusals(users):
    admin = users["admin"]
    one = actions.contact_create(data={"email": "a@acme.io"}, acting_user=admin)
    two = actions.contact_create(data={"email": "b@acme.io"}, acting_user=admin)
    with pytest.raises(Conflict, match="into itself"):
        actions.contact_merge(keep=one, drop=one, acting_user=admin)
    with pytest.raises(PermissionDenied):
        actions.contact_merge(keep=one, drop=two, acting_user=users["sales_rep"])
    assert Contact.objects.count() == 2 and not ContactMerge.objects.exists()


@pytest.mark.django_db
def test_contact_facts(users):
    admin = users["admin"]
    account = actions.account_create(
        data={"name": "Acme", "domain": "acme.io", "employees": 300, "annual_revenue": 5e6}, acting_user=admin
    )
    contact = actions.contact_create(
        data={"email": "ana@acme.io", "title": "VP Sales", "properties": {"plan": "pro"}}, acting_user=admin
    )
    facts = queries.contact_facts(contact, now=dt.datetime.now(dt.UTC))
    assert facts["account.employees"] == 300 and facts["account.annual_revenue"] == 5e6
    assert facts["contact.email_domain"] == "acme.io" and facts["contact.properties"] == {"plan": "pro"}
    assert facts["account.name"] == account.name and facts["score.grade"] is None
