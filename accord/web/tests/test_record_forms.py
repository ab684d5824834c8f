"""Contacts and accounts created and edited from the pages, and their owner changed: through the
same actions as the API, so the same values are stored, the same audit rows written and the same
input refused (with nothing written)."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from accord.accounts.models import User
from accord.contacts.models import Account, ConsentChange, Contact
from accord.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    """The response body as a person reads it: tags removed, entities decoded, whitespace collapsed."""
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))).strip()


def field_error(response: Any, field: str) -> str:
    """The message shown next to the form field `field` (its element id-error), as text."""
    found = re.search(rf'<p class="field__error" id="id_{field}-error">(.*?)</p>', response.content.decode(), re.S)
    assert found is not None, f"no message next to {field}"
    return html.unescape(found.group(1)).strip()


def contact_post(**changes: Any) -> dict[str, Any]:
    """What the new-contact form posts when a person fills every field."""
    return {
        "email": "Grace.Hopper@Globex.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "title": "Head of Engineering",
        "seniority": "director",
        "phone": "+1 212 555 0100",
        "country": "US",
        "account": "",
        "owner": "",
        "consent": "",
        **changes,
    }


def account_post(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Initech",
        "domain": "https://www.Initech.com/about",
        "industry": "Software",
        "employees": "1,200",
        "annual_revenue": "12,500,000.50",
        "country": "de",
        "owner": "",
        **changes,
    }


def csrf_token(client: Client, url: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).content.decode())
    assert found is not None
    return found.group(1)


# --------------------------------------------------------------------------- new contact


def test_the_new_contact_button_is_shown_to_roles_that_may_write(client_as: Any, contact: Contact) -> None:
    assert 'href="/contacts/new/"' in client_as("sales_rep").get("/contacts/").content.decode()
    assert "/contacts/new/" not in client_as("viewer").get("/contacts/").content.decode()
    filtered = client_as("marketing").get(f"/contacts/?account={contact.account_id}").content.decode()
    assert f'href="/contacts/new/?account={contact.account_id}"' in filtered


def test_the_new_contact_form_has_every_field_and_no_stage(client_as: Any, users: dict[str, User]) -> None:
    response = client_as("marketing").get("/contacts/new/")

    assert response.status_code == 200
    page = response.content.decode()
    for name in ("email", "first_name", "last_name", "title", "seniority", "phone", "country", "account", "owner"):
        assert f'name="{name}"' in page
    assert page.count('name="consent"') == 3
    assert 'name="stage"' not in page
    assert 'name="csrfmiddlewaretoken"' in page
    # The owner starts as the person creating the contact.
    assert f'<option value="{users["marketing"].pk}" selected>' in page


def test_a_contact_is_created_with_exactly_what_was_typed(client_as: Any, users: dict[str, User]) -> None:
    owner = users["sales_rep"]
    client = client_as("marketing")

    response = client.post(
        "/contacts/new/", contact_post(account="Globex", account_pick="new", owner=str(owner.pk), consent="yes")
    )

    contact = Contact.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert (contact.email, contact.first_name, contact.last_name) == ("grace.hopper@globex.com", "Grace", "Hopper")
    assert (contact.title, contact.seniority, contact.phone, contact.country) == (
        "Head of Engineering", "director", "+1 212 555 0100", "US",
    )  # fmt: skip
    assert contact.owner_id == owner.pk
    assert contact.consent is True and contact.consent_at is not None
    assert contact.stage == ""
    account = Account.objects.get()
    assert (account.name, account.domain, contact.account_id) == ("Globex", "", account.pk)
    entry = AuditEntry.objects.get(action="contact_create")
    assert (entry.actor, entry.object_id) == (users["marketing"], str(contact.pk))
    assert {k: v for k, v in (entry.after or {}).items() if k != "consent_at"} == {
        "email": "grace.hopper@globex.com", "first_name": "Grace", "last_name": "Hopper", "title": "Head of Engineering",
        "seniority": "director", "phone": "+1 212 555 0100", "country": "US", "owner_id": owner.pk, "consent": True,
        "account_id": account.pk,
    }  # fmt: skip
    assert AuditEntry.objects.get(action="account_create").object_id == str(account.pk)
    change = ConsentChange.objects.get()
    assert (change.consent, change.via, change.by_user) == (True, "person", users["marketing"])
    assert "Created Grace Hopper." in text(client.get(response["Location"]))


def test_an_account_picked_from_the_choices_is_linked(client_as: Any, account: Account) -> None:
    response = client_as("sales_rep").post("/contacts/new/", contact_post(account="acme", account_pick=str(account.pk)))

    assert response.status_code == 303
    assert Contact.objects.get().account_id == account.pk
    assert Account.objects.count() == 1


def test_a_typed_name_that_one_account_has_links_that_account(client_as: Any, account: Account) -> None:
    response = client_as("sales_rep").post("/contacts/new/", contact_post(account="  acme corp "))

    assert response.status_code == 303
    assert Contact.objects.get().account_id == account.pk
    assert not AuditEntry.objects.filter(action="account_create").exists()


def test_a_name_several_accounts_match_asks_to_choose_and_writes_nothing(client_as: Any, account: Account) -> None:
    Account.objects.create(name="Acme Labs", domain="acmelabs.com")

    response = client_as("sales_rep").post("/contacts/new/", contact_post(account="Acme"))

    assert response.status_code == 422
    assert field_error(response, "account") == "Several accounts match 'Acme': choose one, or a new account"
    page = response.content.decode()
    assert 'value="Acme"' in page
    assert "Acme Corp acme.com Acme Labs acmelabs.com New account: Acme No account" in text(response)
    assert Contact.objects.count() == 0 and Account.objects.count() == 2
    assert not AuditEntry.objects.exists()


def test_the_account_choices_follow_the_words_typed(client_as: Any, account: Account) -> None:
    client = client_as("marketing")

    found = client.get("/contacts/account-picks/", {"account": "acme"}, HTTP_HX_REQUEST="true")
    exact = client.get("/contacts/account-picks/", {"account": "ACME CORP"}, HTTP_HX_REQUEST="true")
    unknown = client.get("/contacts/account-picks/", {"account": "Globex"}, HTTP_HX_REQUEST="true")

    assert found.status_code == 200
    assert re.findall(r'value="([^"]+)"', found.content.decode()) == [str(account.pk), "new", "none"]
    assert "checked" not in found.content.decode()
    assert re.findall(r'value="([^"]+)" checked', exact.content.decode()) == [str(account.pk)]
    assert 'value="new"' not in exact.content.decode()
    assert re.findall(r'value="([^"]+)" checked', unknown.content.decode()) == ["new"]
    assert "New account: Globex" in text(unknown)
    assert client_as("viewer").get("/contacts/account-picks/", {"account": "acme"}).status_code == 403


def test_refused_input_writes_nothing_and_shows_each_message_next_to_its_field(
    client_as: Any, users: dict[str, User]
) -> None:
    posted = contact_post(email="not-an-email", country="USA", owner="999999", account="Globex", account_pick="new")

    response = client_as("marketing").post("/contacts/new/", posted)

    assert response.status_code == 422
    assert field_error(response, "email") == "'not-an-email' is not a valid email address"
    assert field_error(response, "country") == "Must be a two-letter ISO country code such as US or DE"
    assert field_error(response, "owner") == "No active user with id 999999"
    assert "Nothing was saved." in text(response)
    page = response.content.decode()
    assert 'value="not-an-email"' in page and 'value="Grace"' in page and 'value="Head of Engineering"' in page
    assert '<option value="USA" selected>' in page
    assert 'name="account_pick" value="new" checked' in page
    assert Contact.objects.count() == 0
    assert Account.objects.count() == 0  # the new account is rolled back with the contact
    assert not AuditEntry.objects.exists()


def test_a_new_account_name_that_is_refused_is_shown_with_the_contact_s_problems(client_as: Any) -> None:
    response = client_as("marketing").post(
        "/contacts/new/", contact_post(email="x@", account="A" * 201, account_pick="new")
    )

    assert response.status_code == 422
    assert field_error(response, "account") == "Must be at most 200 characters"
    assert field_error(response, "email") == "'x@' is not a valid email address"
    assert Contact.objects.count() == 0 and Account.objects.count() == 0


def test_an_email_another_contact_has_is_refused_next_to_the_email(client_as: Any, contact: Contact) -> None:
    response = client_as("marketing").post("/contacts/new/", contact_post(email="ADA@acme.com"))

    assert response.status_code == 409
    assert field_error(response, "email") == "Another record already has 'ada@acme.com'"
    assert Contact.objects.count() == 1
    assert not AuditEntry.objects.filter(action="contact_create").exists()


def test_a_viewer_may_not_create_a_contact(client_as: Any) -> None:
    client = client_as("viewer")

    assert client.get("/contacts/new/").status_code == 403
    response = client.post("/contacts/new/", contact_post(account="Globex", account_pick="new"))

    assert response.status_code == 403
    assert Contact.objects.count() == 0 and Account.objects.count() == 0
    assert not AuditEntry.objects.exists()


def test_csrf_is_enforced_on_the_new_contact_form(users: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["marketing"])

    refused = client.post("/contacts/new/", contact_post())

    assert refused.status_code == 403
    assert Contact.objects.count() == 0
    token = csrf_token(client, "/contacts/new/")
    accepted = client.post("/contacts/new/", {**contact_post(), "csrfmiddlewaretoken": token})
    assert accepted.status_code == 303
    assert Contact.objects.count() == 1


# --------------------------------------------------------------------------- edit a contact


def test_the_edit_form_is_filled_in_from_the_contact(client_as: Any, contact: Contact) -> None:
    client = client_as("sales_rep")
    assert f'href="/contacts/{contact.pk}/edit/"' in client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "/edit/" not in client_as("viewer").get(f"/contacts/{contact.pk}/").content.decode()

    page = client.get(f"/contacts/{contact.pk}/edit/").content.decode()

    for value in (
        'value="ada@acme.com"',
        'value="Ada"',
        'value="Lovelace"',
        'value="VP Marketing"',
        'value="Acme Corp"',
    ):
        assert value in page
    assert '<option value="vp" selected>' in page and '<option value="" selected>Not known</option>' in page
    assert f'name="account_pick" value="{contact.account_id}" checked' in page
    assert f'<option value="{contact.owner_id}" selected>' in page
    assert 'name="consent" value="yes" checked' in page


def test_editing_a_contact_stores_the_change_and_audits_only_it(client_as: Any, contact: Contact) -> None:
    client = client_as("sales_rep")
    posted = {
        "email": "ada@acme.com", "first_name": "Ada", "last_name": "Lovelace", "title": "CMO", "seniority": "vp",
        "phone": "", "country": "", "account": "Acme Corp", "account_pick": str(contact.account_id),
        "owner": str(contact.owner_id), "consent": "yes", "stage": "customer",
    }  # fmt: skip

    response = client.post(f"/contacts/{contact.pk}/edit/", posted)

    assert response.status_code == 303
    assert response["Location"] == f"/contacts/{contact.pk}/"
    contact.refresh_from_db()
    assert contact.title == "CMO"
    assert contact.stage == ""  # the stage changes only through the stage panel
    entry = AuditEntry.objects.get(action="contact_update")
    assert (entry.before, entry.after) == ({"title": "VP Marketing"}, {"title": "CMO"})
    assert not ConsentChange.objects.exists()
    assert "Saved Ada Lovelace." in text(client.get(response["Location"]))


def test_saving_the_edit_form_unchanged_writes_nothing(client_as: Any, contact: Contact) -> None:
    client = client_as("sales_rep")
    initial = client.get(f"/contacts/{contact.pk}/edit/").context["form"].initial

    response = client.post(f"/contacts/{contact.pk}/edit/", initial)

    assert response.status_code == 303
    assert not AuditEntry.objects.exists()
    assert "Nothing to save: Ada Lovelace was already as the form said." in text(client.get(response["Location"]))


def test_a_contact_whose_owner_left_keeps_them_while_other_fields_change(
    client_as: Any, contact: Contact, users: dict[str, User]
) -> None:
    User.objects.filter(pk=users["sales_rep"].pk).update(is_active=False)
    client = client_as("marketing")
    form = client.get(f"/contacts/{contact.pk}/edit/")
    assert f'<option value="{contact.owner_id}" selected>Sales Rep (inactive)</option>' in form.content.decode()

    response = client.post(
        f"/contacts/{contact.pk}/edit/", {**form.context["form"].initial, "phone": "+44 20 7946 0000"}
    )

    assert response.status_code == 303
    contact.refresh_from_db()
    assert (contact.phone, contact.owner_id) == ("+44 20 7946 0000", users["sales_rep"].pk)


def test_a_refused_edit_changes_nothing_and_keeps_what_was_typed(client_as: Any, contact: Contact) -> None:
    client = client_as("sales_rep")
    posted = {**client.get(f"/contacts/{contact.pk}/edit/").context["form"].initial, "title": "CMO", "consent": "maybe"}

    response = client.post(f"/contacts/{contact.pk}/edit/", posted)

    assert response.status_code == 422
    assert field_error(response, "consent") == "Must be true, false or null"
    assert 'value="CMO"' in response.content.decode()
    contact.refresh_from_db()
    assert contact.title == "VP Marketing"
    assert not AuditEntry.objects.exists()


def test_moving_a_contact_to_another_or_a_new_account(client_as: Any, contact: Contact) -> None:
    client = client_as("sales_rep")
    initial = client.get(f"/contacts/{contact.pk}/edit/").context["form"].initial

    client.post(f"/contacts/{contact.pk}/edit/", {**initial, "account": "Globex", "account_pick": "new"})
    contact.refresh_from_db()
    globex = Account.objects.get(name="Globex")
    assert contact.account_id == globex.pk
    client.post(f"/contacts/{contact.pk}/edit/", {**initial, "account": "", "account_pick": "none"})
    contact.refresh_from_db()
    assert contact.account_id is None
    assert [e.after for e in AuditEntry.objects.filter(action="contact_update").order_by("pk")] == [
        {"account_id": globex.pk}, {"account_id": None},
    ]  # fmt: skip


def test_a_viewer_may_not_edit_a_contact(client_as: Any, contact: Contact) -> None:
    client = client_as("viewer")

    assert client.get(f"/contacts/{contact.pk}/edit/").status_code == 403
    response = client.post(f"/contacts/{contact.pk}/edit/", {"title": "CEO"})

    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.title == "VP Marketing"
    assert not AuditEntry.objects.exists()


def test_csrf_is_enforced_on_the_edit_form(users: dict[str, User], contact: Contact) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["sales_rep"])
    posted = {
        "email": "ada@acme.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "title": "CMO",
        "account_pick": "none",
    }

    assert client.post(f"/contacts/{contact.pk}/edit/", posted).status_code == 403
    contact.refresh_from_db()
    assert contact.title == "VP Marketing"
    token = csrf_token(client, f"/contacts/{contact.pk}/edit/")
    assert client.post(f"/contacts/{contact.pk}/edit/", {**posted, "csrfmiddlewaretoken": token}).status_code == 303
    contact.refresh_from_db()
    assert contact.title == "CMO"


# --------------------------------------------------------------------------- a contact's owner


def test_the_owner_is_changed_from_the_contact_page(client_as: Any, contact: Contact, users: dict[str, User]) -> None:
    client = client_as("sales_rep")
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f'action="/contacts/{contact.pk}/owner/"' in page
    manager = users["sales_manager"]

    response = client.post(f"/contacts/{contact.pk}/owner/", {"owner": str(manager.pk)})

    assert response.status_code == 303
    assert response["Location"] == f"/contacts/{contact.pk}/"
    contact.refresh_from_db()
    assert contact.owner_id == manager.pk
    entry = AuditEntry.objects.get(action="contact_update")
    assert (entry.before, entry.after, entry.actor) == (
        {"owner_id": users["sales_rep"].pk}, {"owner_id": manager.pk}, users["sales_rep"],
    )  # fmt: skip
    assert "Ada Lovelace now belongs to Sales Manager." in text(client.get(response["Location"]))

    client.post(f"/contacts/{contact.pk}/owner/", {"owner": ""})
    contact.refresh_from_db()
    assert contact.owner_id is None


def test_an_owner_who_is_not_active_is_refused_on_the_page(
    client_as: Any, contact: Contact, users: dict[str, User]
) -> None:
    User.objects.filter(pk=users["marketing"].pk).update(is_active=False)

    response = client_as("admin").post(f"/contacts/{contact.pk}/owner/", {"owner": str(users["marketing"].pk)})

    assert response.status_code == 422
    assert f"No active user with id {users['marketing'].pk}" in text(response)
    contact.refresh_from_db()
    assert contact.owner_id == users["sales_rep"].pk
    assert not AuditEntry.objects.exists()


def test_a_viewer_may_not_change_an_owner(client_as: Any, contact: Contact, users: dict[str, User]) -> None:
    client = client_as("viewer")
    assert "/owner/" not in client.get(f"/contacts/{contact.pk}/").content.decode()

    response = client.post(f"/contacts/{contact.pk}/owner/", {"owner": str(users["viewer"].pk)})

    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.owner_id == users["sales_rep"].pk
    assert not AuditEntry.objects.exists()


def test_csrf_is_enforced_on_the_owner_change(users: dict[str, User], contact: Contact) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["sales_rep"])
    posted = {"owner": str(users["sales_manager"].pk)}

    assert client.post(f"/contacts/{contact.pk}/owner/", posted).status_code == 403
    contact.refresh_from_db()
    assert contact.owner_id == users["sales_rep"].pk
    token = csrf_token(client, f"/contacts/{contact.pk}/")
    assert client.post(f"/contacts/{contact.pk}/owner/", {**posted, "csrfmiddlewaretoken": token}).status_code == 303
    contact.refresh_from_db()
    assert contact.owner_id == users["sales_manager"].pk


# --------------------------------------------------------------------------- accounts


def test_an_account_is_created_with_exactly_what_was_typed(client_as: Any, users: dict[str, User]) -> None:
    client = client_as("marketing")
    assert 'href="/accounts/new/"' in client.get("/accounts/").content.decode()
    assert "/accounts/new/" not in client_as("viewer").get("/accounts/").content.decode()

    response = client.post("/accounts/new/", account_post(owner=str(users["sales_manager"].pk)))

    account = Account.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/accounts/{account.pk}/"
    assert (account.name, account.domain, account.industry, account.country) == (
        "Initech",
        "initech.com",
        "Software",
        "DE",
    )
    assert (account.employees, account.annual_revenue) == (1200, Decimal("12500000.50"))
    assert account.owner_id == users["sales_manager"].pk
    entry = AuditEntry.objects.get(action="account_create")
    assert (entry.actor, entry.object_id) == (users["marketing"], str(account.pk))
    assert entry.after == {
        "name": "Initech", "domain": "initech.com", "industry": "Software", "employees": 1200,
        "annual_revenue": "12500000.50", "country": "DE", "owner_id": users["sales_manager"].pk,
    }  # fmt: skip
    assert "Created the account Initech." in text(client.get(response["Location"]))


def test_a_refused_account_writes_nothing_and_shows_each_message(client_as: Any) -> None:
    response = client_as("marketing").post(
        "/accounts/new/", account_post(name="  ", employees="lots", annual_revenue="-5", domain="not a domain")
    )

    assert response.status_code == 422
    assert field_error(response, "name") == "Must not be empty"
    assert field_error(response, "employees") == "Must be a whole number from 0 to 2,147,483,647"
    assert field_error(response, "annual_revenue") == "Must be an amount of at least 0"
    assert field_error(response, "domain") == "'not a domain' is not a valid domain"
    page = response.content.decode()
    assert 'value="lots"' in page and 'value="-5"' in page and 'value="not a domain"' in page
    assert Account.objects.count() == 0
    assert not AuditEntry.objects.exists()


def test_editing_an_account_stores_and_audits_the_change(client_as: Any, account: Account) -> None:
    client = client_as("sales_rep")
    assert f'href="/accounts/{account.pk}/edit/"' in client.get(f"/accounts/{account.pk}/").content.decode()
    form = client.get(f"/accounts/{account.pk}/edit/")
    assert 'value="Acme Corp"' in form.content.decode() and 'value="500"' in form.content.decode()

    response = client.post(f"/accounts/{account.pk}/edit/", {**form.context["form"].initial, "industry": "Fintech"})

    assert response.status_code == 303
    assert response["Location"] == f"/accounts/{account.pk}/"
    account.refresh_from_db()
    assert account.industry == "Fintech"
    entry = AuditEntry.objects.get(action="account_update")
    assert (entry.before, entry.after) == ({"industry": "Software"}, {"industry": "Fintech"})
    assert "Saved Acme Corp." in text(client.get(response["Location"]))


def test_a_refused_account_edit_changes_nothing(client_as: Any, account: Account) -> None:
    client = client_as("sales_rep")
    initial = client.get(f"/accounts/{account.pk}/edit/").context["form"].initial

    response = client.post(f"/accounts/{account.pk}/edit/", {**initial, "industry": "Fintech", "country": "Germany"})

    assert response.status_code == 422
    assert field_error(response, "country") == "Must be a two-letter ISO country code such as US or DE"
    assert 'value="Fintech"' in response.content.decode()
    account.refresh_from_db()
    assert (account.industry, account.country) == ("Software", "US")
    assert not AuditEntry.objects.exists()


def test_the_owner_is_changed_from_the_account_page(client_as: Any, account: Account, users: dict[str, User]) -> None:
    client = client_as("sales_manager")
    assert f'action="/accounts/{account.pk}/owner/"' in client.get(f"/accounts/{account.pk}/").content.decode()

    response = client.post(f"/accounts/{account.pk}/owner/", {"owner": str(users["sales_rep"].pk)})

    assert response.status_code == 303
    account.refresh_from_db()
    assert account.owner_id == users["sales_rep"].pk
    entry = AuditEntry.objects.get(action="account_update")
    assert (entry.before, entry.after) == ({"owner_id": None}, {"owner_id": users["sales_rep"].pk})
    assert "Acme Corp now belongs to Sales Rep." in text(client.get(response["Location"]))


def test_a_viewer_may_not_create_edit_or_reassign_an_account(
    client_as: Any, account: Account, users: dict[str, User]
) -> None:
    client = client_as("viewer")
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    assert "/edit/" not in page and "/owner/" not in page

    assert client.get("/accounts/new/").status_code == 403
    assert client.post("/accounts/new/", account_post()).status_code == 403
    assert client.get(f"/accounts/{account.pk}/edit/").status_code == 403
    assert client.post(f"/accounts/{account.pk}/edit/", account_post()).status_code == 403
    assert client.post(f"/accounts/{account.pk}/owner/", {"owner": str(users["viewer"].pk)}).status_code == 403

    account.refresh_from_db()
    assert (Account.objects.count(), account.name, account.owner_id) == (1, "Acme Corp", None)
    assert not AuditEntry.objects.exists()


def test_csrf_is_enforced_on_the_account_forms(users: dict[str, User], account: Account) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["marketing"])

    assert client.post("/accounts/new/", account_post()).status_code == 403
    assert client.post(f"/accounts/{account.pk}/edit/", account_post()).status_code == 403
    assert client.post(f"/accounts/{account.pk}/owner/", {"owner": str(users["marketing"].pk)}).status_code == 403
    assert Account.objects.count() == 1 and not AuditEntry.objects.exists()

    token = csrf_token(client, "/accounts/new/")
    assert client.post("/accounts/new/", {**account_post(), "csrfmiddlewaretoken": token}).status_code == 303
    assert Account.objects.count() == 2
