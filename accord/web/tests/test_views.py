"""The screens through Django's test client: who sees what, and what each write does (or refuses to do)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accord.accounts.actions import apikey_create, team_create
from accord.accounts.domain import Capability, refusal
from accord.accounts.models import ApiKey, Membership, Team, User
from accord.contacts.models import Account, Contact, ContactMerge
from accord.contacts.tests.scores import given_scores
from accord.core import clock
from accord.lifecycle.actions import contact_advance_by_rule, contact_change_stage
from accord.lifecycle.models import StageChange
from accord.playbook.actions import playbook_draft_create, playbook_sign
from accord.playbook.models import PlaybookVersion, Signature, VersionStatus

pytestmark = pytest.mark.django_db

DEFAULT_SOURCE = (Path(__file__).resolve().parents[2] / "playbook" / "default.yaml").read_text(encoding="utf-8")
SCREENS = [
    "/", "/activity/", "/contacts/", "/contacts/1/", "/contacts/1/timeline/", "/accounts/", "/accounts/1/",
    "/playbook/", "/playbook/versions/", "/playbook/versions/1/", "/playbook/versions/new/", "/admin/users/",
    "/password/", "/account/security/",
]


def text(response: Any) -> str:
    """The response body with tags removed and whitespace collapsed, as a person reads it."""
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


def make_contact(**fields: Any) -> Contact:
    """A contact who has submitted a form, as the lead stage's entry criteria ask."""
    return Contact.objects.create(**{"forms_submitted": 1, **fields})


# --------------------------------------------------------------------------- sign in and layout


@pytest.mark.parametrize("url", SCREENS)
def test_anonymous_visitors_are_sent_to_the_login_page(url: str, db: Any) -> None:
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_an_htmx_request_without_a_session_is_told_to_go_to_the_login_page(db: Any) -> None:
    response = Client().get("/contacts/", HTTP_HX_REQUEST="true")

    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login/"


def test_the_login_page_has_email_password_and_sign_in(db: Any) -> None:
    response = Client().get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Email</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert ">Sign in</button>" in html


def test_signing_in_with_the_right_password_opens_the_overview(users: dict[str, User]) -> None:
    from conftest import PASSWORD

    client = Client()
    response = client.post("/login/", {"username": "marketing@example.com", "password": PASSWORD})

    assert response.status_code == 303
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_wrong_password_keeps_the_visitor_on_the_login_page(users: dict[str, User]) -> None:
    response = Client().post("/login/", {"username": "marketing@example.com", "password": "wrong"})

    assert response.status_code == 200
    assert "The email or the password is not right." in text(response)


@pytest.mark.parametrize("url", [u for u in SCREENS if u != "/admin/users/"])
def test_every_screen_renders_for_a_viewer(url: str, client_as: Any, contact: Contact) -> None:
    client = client_as("viewer")
    if url == "/playbook/versions/new/":
        assert client.get(url).status_code == 403
        return

    # The fixture's ids differ between databases (PostgreSQL does not reuse sequence values).
    url = url.replace("/contacts/1/", f"/contacts/{contact.pk}/").replace("/accounts/1/", f"/accounts/{contact.account_id}/")
    response = client.get(url)

    assert response.status_code == 200
    if url.endswith("/timeline/"):  # a part of the contact page, for "Show older"
        return
    assert "Accord" in text(response)


@pytest.mark.parametrize(
    ("role", "sees_admin"),
    [("admin", True), ("marketing", False), ("sales_rep", False), ("sales_manager", False), ("viewer", False)],
)
def test_the_header_shows_the_navigation_name_and_role(client_as: Any, role: str, sees_admin: bool) -> None:
    response = client_as(role).get("/contacts/")

    html = response.content.decode()
    nav = re.search(r'<nav class="nav" aria-label="Main">(.*?)</nav>', html, re.S)
    assert nav is not None
    labels = re.findall(r">([^<]+)</a>", nav.group(1))
    works = role in ("admin", "sales_rep", "sales_manager")
    sales = (["Queue"] if works else []) + (["Deals"] if works or role == "viewer" else [])
    admin = ["Users & keys", "Calendars", "Webhooks", "Audit log"] if sees_admin else []
    expected = ["Overview", *sales, "Scoreboard", "Activity", "Contacts", "Accounts", "Playbook"] + (["Import"] if role in ("admin", "marketing") else []) + admin
    assert [label.replace("&amp;", "&") for label in labels] == expected
    assert '<a href="/contacts/" aria-current="page">Contacts</a>' in nav.group(1)
    assert role.replace("_", " ").title() in text(response)
    assert 'action="/logout/"' in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_signing_out_is_a_post(client_as: Any) -> None:
    client = client_as("viewer")

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_a_user_changes_their_password(client_as: Any, users: dict[str, User]) -> None:
    from conftest import PASSWORD

    client = client_as("sales_rep")

    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "a-new-long-passphrase-42", "new_password2": "a-new-long-passphrase-42"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/password/done/"
    assert "Password changed" in text(client.get("/password/done/"))
    users["sales_rep"].refresh_from_db()
    assert users["sales_rep"].check_password("a-new-long-passphrase-42")


# --------------------------------------------------------------------------- overview


def test_the_overview_counts_contacts_by_stage_in_playbook_order(client_as: Any, users: dict[str, User]) -> None:
    for n in range(3):
        contact_change_stage(contact=make_contact(email=f"l{n}@x.io"), to_stage="lead", acting_user=users["marketing"])
    contact_change_stage(contact=make_contact(email="s@x.io"), to_stage="sql", acting_user=users["sales_rep"])
    make_contact(email="none@x.io")

    response = client_as("viewer").get("/")

    assert response.status_code == 200
    counts = [(c.label.name, c.count) for c in response.context["counts"]]
    assert counts == [
        ("Visitor", 0), ("Subscriber", 0), ("Lead", 3), ("MQL", 0), ("SQL", 1), ("Opportunity", 0),
        ("Customer", 0), ("Recycled", 0), ("Disqualified", 0), ("No stage", 1),
    ]
    assert response.context["total"] == 5
    funnel = response.context["funnel_chart"]["data"][0]
    assert funnel["orientation"] == "h"
    assert funnel["y"] == ["Visitor", "Subscriber", "Lead", "MQL", "SQL", "Opportunity", "Customer"]
    assert funnel["x"] == [0, 0, 3, 0, 1, 0, 0]
    html = response.content.decode()
    assert "/static/vendor/plotly.min.js" in html
    assert 'id="funnel-data"' in html and 'id="weekly-data"' in html


def test_the_overview_shows_moves_of_the_last_30_days_per_week_and_the_latest_ten(
    client_as: Any, users: dict[str, User]
) -> None:
    now = clock.now()
    contacts = [make_contact(email=f"c{n}@x.io", first_name=f"Person{n}") for n in range(12)]
    with clock.frozen(now - dt.timedelta(days=45)):
        contact_change_stage(contact=contacts[0], to_stage="lead", acting_user=users["marketing"])
    for contact in contacts[1:]:
        contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])

    response = client_as("viewer").get("/")

    weeks = response.context["weeks"]
    assert sum(w.advance for w in weeks) == 11
    assert sum(w.hand_back for w in weeks) == 0
    assert weeks[-1].start <= now.date() < weeks[-1].start + dt.timedelta(days=7)
    recent = response.context["recent"]
    assert len(recent) == 10
    assert recent[0].change.contact == contacts[11]
    assert f'href="/contacts/{contacts[11].pk}/"' in response.content.decode()


# --------------------------------------------------------------------------- contacts list


def test_contacts_list_searches_filters_and_pages(client_as: Any, users: dict[str, User], account: Account) -> None:
    other = Account.objects.create(name="Globex")
    for n in range(55):
        make_contact(email=f"p{n}@acme.com", first_name="Pat", last_name=f"Number{n}", account=account)
    ada = make_contact(email="ada@globex.com", first_name="Ada", last_name="Byron", account=other, owner=users["sales_rep"])
    contact_change_stage(contact=ada, to_stage="lead", acting_user=users["marketing"])
    client = client_as("viewer")

    first = client.get("/contacts/")
    assert "Showing 1–50 of 56 contacts" in text(first)
    assert len(first.context["page"].object_list) == 50
    assert "Showing 51–56 of 56 contacts" in text(client.get("/contacts/?page=2"))

    assert [c.pk for c in client.get("/contacts/?q=byron").context["page"].object_list] == [ada.pk]
    assert [c.pk for c in client.get("/contacts/?stage=lead").context["page"].object_list] == [ada.pk]
    assert client.get("/contacts/?stage=none").context["page"].paginator.count == 55
    owned = client.get(f"/contacts/?owner={users['sales_rep'].pk}")
    assert [c.pk for c in owned.context["page"].object_list] == [ada.pk]
    assert client.get("/contacts/?unowned=1").context["page"].paginator.count == 55
    by_account = client.get(f"/contacts/?account={other.pk}")
    assert [c.pk for c in by_account.context["page"].object_list] == [ada.pk]
    assert "Contacts at Globex" in text(by_account)


def test_contacts_list_shows_the_columns(client_as: Any, contact: Contact, users: dict[str, User]) -> None:
    contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])

    response = client_as("viewer").get("/contacts/")

    body = text(response)
    assert "Name Email Account Title Stage Score Owner Updated" in body
    assert "Ada Lovelace ada@acme.com Acme Corp VP Marketing Lead not scored Sales Rep" in body
    assert '<span class="badge badge--marketing">Lead</span>' in response.content.decode()


def test_live_search_answers_htmx_with_only_the_results(client_as: Any, contact: Contact) -> None:
    make_contact(email="grace@navy.mil", first_name="Grace", last_name="Hopper")

    response = client_as("viewer").get("/contacts/?q=lovelace", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html and "Lovelace" in html and "Hopper" not in html


def test_a_history_restore_gets_the_whole_page(client_as: Any, contact: Contact) -> None:
    response = client_as("viewer").get(
        "/contacts/?q=ada", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )

    assert "<html" in response.content.decode()


# --------------------------------------------------------------------------- contact page


def test_the_contact_page_shows_fields_scores_properties_and_stage(
    client_as: Any, contact: Contact, users: dict[str, User]
) -> None:
    Contact.objects.filter(pk=contact.pk).update(properties={"source": "webinar", "seats": 12})
    given_scores(contact, fit_score=72, fit_grade="A", interest_score=41.6)
    contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])

    response = client_as("viewer").get(f"/contacts/{contact.pk}/")

    body = text(response)
    html = response.content.decode()
    assert "Ada Lovelace" in body
    assert f'href="/accounts/{contact.account_id}/"' in html
    assert "Owner Sales Rep" in body
    assert "Consent Given" in body
    assert "Fit A 72 points" in body
    assert "Interest 42" in body
    assert "seats 12" in body and "source webinar" in body
    assert "Put there under playbook v1" in body
    assert 'href="/playbook/versions/1/"' in html


def test_moves_made_by_rules_name_the_rule(client_as: Any, contact: Contact) -> None:
    contact_advance_by_rule(contact=contact, to_stage="lead", rule="entry:lead")

    body = text(client_as("viewer").get(f"/contacts/{contact.pk}/"))

    assert "Entered Lead" in body
    assert "by the entry criteria of Lead · playbook v1" in body


def test_a_viewer_sees_no_write_controls(client_as: Any, contact: Contact) -> None:
    make_contact(email="ada+news@acme.com", first_name="Ada", last_name="Lovelace")

    response = client_as("viewer").get(f"/contacts/{contact.pk}/")

    html = response.content.decode()
    assert 'name="stage"' not in html
    assert "Change stage" not in html
    assert "/merge/" not in html
    assert "Likely duplicates" in html and "ada+news@acme.com" in html


def test_the_stage_form_groups_forward_moves_and_hand_backs(
    client_as: Any, contact: Contact, users: dict[str, User]
) -> None:
    contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])

    response = client_as("sales_rep").get(f"/contacts/{contact.pk}/")

    assert [o.stage.key for o in response.context["forward"]] == ["sql", "opportunity", "customer"]
    assert [o.stage.key for o in response.context["hand_backs"]] == []
    html = response.content.decode()
    assert '<optgroup label="Forward">' in html

    marketing = client_as("marketing").get(f"/contacts/{contact.pk}/")
    assert [o.stage.key for o in marketing.context["forward"]] == ["mql"]
    assert [o.stage.key for o in marketing.context["hand_backs"]] == ["visitor", "subscriber", "recycled", "disqualified"]
    assert '<optgroup label="Hand back (with a reason)">' in marketing.content.decode()


def test_choosing_recycled_asks_for_a_recycle_reason_and_a_date(
    client_as: Any, contact: Contact, users: dict[str, User]
) -> None:
    contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])

    response = client_as("marketing").get(f"/contacts/{contact.pk}/stage/fields/?stage=recycled", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="move-fields"')
    assert re.findall(r'<option value="(\w+)"', html) == ["not_ready", "no_response", "timing", "other"]
    assert 'name="reengage_on"' in html

    forward = client_as("marketing").get(f"/contacts/{contact.pk}/stage/fields/?stage=mql").content.decode()
    assert 'name="reason"' not in forward and 'name="reengage_on"' not in forward
    assert "score.grade is one of" in forward


def test_changing_the_stage_writes_one_change_and_rerenders_the_panel(
    client_as: Any, contact: Contact, users: dict[str, User]
) -> None:
    client = client_as("marketing")

    response = client.post(f"/contacts/{contact.pk}/stage/", {"stage": "lead", "note": "Downloaded the guide"},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET="lifecycle")

    assert response.status_code == 200
    change = StageChange.objects.get()
    assert (change.contact_id, change.from_stage, change.to_stage, change.by_user) == (
        contact.pk, "", "lead", users["marketing"]
    )
    assert change.note == "Downloaded the guide"
    contact.refresh_from_db()
    assert contact.stage == "lead"
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="lifecycle"')
    assert "Downloaded the guide" in html
    assert "Entry criteria checked" in html and "contact.email is set" in html
    assert 'hx-swap-oob="true"' in html and "Ada Lovelace moved to Lead." in html


def test_a_plain_post_redirects_back_to_the_contact(client_as: Any, contact: Contact) -> None:
    client = client_as("marketing")

    response = client.post(f"/contacts/{contact.pk}/stage/", {"stage": "lead"})

    assert response.status_code == 303
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert StageChange.objects.count() == 1
    assert "Ada Lovelace moved to Lead." in text(client.get(response["Location"]))


def test_a_hand_back_records_reason_note_and_reengage_date(
    client_as: Any, contact: Contact, users: dict[str, User]
) -> None:
    contact_change_stage(contact=contact, to_stage="sql", acting_user=users["sales_rep"])
    later = clock.now().date() + dt.timedelta(days=60)

    response = client_as("sales_rep").post(
        f"/contacts/{contact.pk}/stage/",
        {"stage": "recycled", "reason": "timing", "note": "Budget opens in Q3", "reengage_on": later.isoformat()},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    change = StageChange.objects.latest("id")
    assert (change.to_stage, change.kind, change.reason, change.reengage_on) == ("recycled", "hand_back", "timing", later)
    body = text(response)
    assert "SQL → to Recycled Hand-back" in body
    assert "Reason Buying later (next quarter or year)" in body
    assert f"Re-engage on {later.day} {later:%b %Y}" in body


def test_an_illegal_move_shows_the_message_answers_409_and_writes_nothing(client_as: Any, contact: Contact) -> None:
    response = client_as("marketing").post(
        f"/contacts/{contact.pk}/stage/", {"stage": "sql"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 409
    assert "Moving a contact to SQL here is for sales" in text(response)
    assert 'role="alert"' in response.content.decode()
    assert StageChange.objects.count() == 0
    contact.refresh_from_db()
    assert contact.stage == ""


def test_unmet_entry_criteria_are_named_and_nothing_changes(client_as: Any, contact: Contact, users: dict[str, User]) -> None:
    contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])

    response = client_as("marketing").post(f"/contacts/{contact.pk}/stage/", {"stage": "mql"})

    assert response.status_code == 409
    assert "does not meet the entry criteria of MQL" in text(response)
    assert StageChange.objects.count() == 1


def test_a_hand_back_without_its_required_note_keeps_what_was_chosen(
    client_as: Any, contact: Contact, users: dict[str, User]
) -> None:
    contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])

    response = client_as("marketing").post(
        f"/contacts/{contact.pk}/stage/", {"stage": "recycled", "reason": "other"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "The reason &#x27;Other&#x27; needs a note" in html
    assert '<option value="recycled" selected>' in html
    assert '<option value="other" selected>' in html
    assert StageChange.objects.count() == 1


def test_an_unknown_stage_is_invalid_input(client_as: Any, contact: Contact) -> None:
    response = client_as("marketing").post(f"/contacts/{contact.pk}/stage/", {"stage": "champion"})

    assert response.status_code == 422
    assert "unknown stage &#x27;champion&#x27;" in response.content.decode().lower()
    assert StageChange.objects.count() == 0


def test_a_bad_date_is_refused_before_the_action(client_as: Any, contact: Contact) -> None:
    response = client_as("marketing").post(
        f"/contacts/{contact.pk}/stage/", {"stage": "recycled", "reason": "timing", "reengage_on": "soon"}
    )

    assert response.status_code == 422
    assert "Re-engage date: enter the date as YYYY-MM-DD" in text(response)
    assert StageChange.objects.count() == 0


def test_a_viewer_posting_a_stage_change_gets_403_and_nothing_changes(client_as: Any, contact: Contact) -> None:
    response = client_as("viewer").post(f"/contacts/{contact.pk}/stage/", {"stage": "lead"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 403
    assert refusal(Capability.STAGE_CHANGE) in text(response)
    assert StageChange.objects.count() == 0
    contact.refresh_from_db()
    assert contact.stage == ""


def test_csrf_is_enforced_on_stage_changes(users: dict[str, User], contact: Contact) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["marketing"])

    refused = client.post(f"/contacts/{contact.pk}/stage/", {"stage": "lead"})

    assert refused.status_code == 403
    assert StageChange.objects.count() == 0
    page = client.get(f"/contacts/{contact.pk}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    accepted = client.post(f"/contacts/{contact.pk}/stage/", {"stage": "lead"}, HTTP_X_CSRFTOKEN=token.group(1))
    assert accepted.status_code == 303
    assert StageChange.objects.count() == 1


def test_get_is_not_allowed_on_write_views(client_as: Any, contact: Contact) -> None:
    client = client_as("admin")

    assert client.get(f"/contacts/{contact.pk}/stage/").status_code == 405
    assert client.get(f"/contacts/{contact.pk}/merge/").status_code == 405
    assert client.get("/playbook/versions/1/sign/").status_code == 405
    assert client.get("/admin/keys/new/").status_code == 405


def test_duplicates_can_be_merged_by_marketing(client_as: Any, contact: Contact, users: dict[str, User]) -> None:
    twin = make_contact(email="ada+events@acme.com", first_name="Ada", last_name="Lovelace", phone="+44 20 1234")
    contact_change_stage(contact=twin, to_stage="lead", acting_user=users["marketing"])
    client = client_as("marketing")
    page = client.get(f"/contacts/{contact.pk}/")
    assert [d.pk for d in page.context["duplicates"]] == [twin.pk]
    assert f'action="/contacts/{contact.pk}/merge/"' in page.content.decode()

    response = client.post(f"/contacts/{contact.pk}/merge/", {"drop": twin.pk})

    assert response.status_code == 303
    assert not Contact.objects.filter(pk=twin.pk).exists()
    contact.refresh_from_db()
    assert contact.phone == "+44 20 1234"
    assert contact.stage == "lead"
    assert ContactMerge.objects.get().dropped_id == twin.pk
    assert "Merged Ada Lovelace into Ada Lovelace." in text(client.get(f"/contacts/{contact.pk}/"))


def test_a_sales_rep_may_not_merge(client_as: Any, contact: Contact) -> None:
    twin = make_contact(email="ada+events@acme.com", first_name="Ada", last_name="Lovelace")
    client = client_as("sales_rep")
    assert "/merge/" not in client.get(f"/contacts/{contact.pk}/").content.decode()

    response = client.post(f"/contacts/{contact.pk}/merge/", {"drop": twin.pk})

    assert response.status_code == 403
    assert refusal(Capability.CONTACT_MERGE) in text(response)
    assert Contact.objects.filter(pk=twin.pk).exists()


def test_merging_a_contact_that_is_gone_answers_404(client_as: Any, contact: Contact) -> None:
    response = client_as("marketing").post(f"/contacts/{contact.pk}/merge/", {"drop": 999999})

    assert response.status_code == 404
    assert "No contact 999999" in text(response)


def test_an_unknown_contact_is_404(client_as: Any, db: Any) -> None:
    assert client_as("viewer").get("/contacts/424242/").status_code == 404


# --------------------------------------------------------------------------- accounts


def test_accounts_list_searches(client_as: Any, account: Account) -> None:
    Account.objects.create(name="Globex", domain="globex.com")
    make_contact(email="a@acme.com", account=account)

    response = client_as("viewer").get("/accounts/?q=acme")

    assert [a.name for a in response.context["page"].object_list] == ["Acme Corp"]
    assert "Acme Corp acme.com Software 500 US 1" in text(response)
    partial = client_as("viewer").get("/accounts/?q=glob", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert partial.content.decode().lstrip().startswith('<section id="results"')
    assert "Globex" in partial.content.decode()


def test_the_account_page_lists_its_contacts_with_stages_and_counts(
    client_as: Any, account: Account, contact: Contact, users: dict[str, User]
) -> None:
    contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])
    make_contact(email="b@acme.com", first_name="Bob", last_name="Babbage", account=account)
    make_contact(email="c@elsewhere.com", first_name="Carl")

    response = client_as("viewer").get(f"/accounts/{account.pk}/")

    assert [(c.label.name, c.count) for c in response.context["counts"]] == [("Lead", 1), ("No stage", 1)]
    body = text(response)
    assert "Ada Lovelace VP Marketing ada@acme.com Lead" in body
    assert "Bob Babbage" in body and "Carl" not in body
    assert "Contacts (2)" in body


# --------------------------------------------------------------------------- playbook


def test_the_playbook_page_shows_the_agreement(client_as: Any, db: Any) -> None:
    response = client_as("viewer").get("/playbook/")

    assert response.status_code == 200
    body = text(response)
    for phrase in [
        "Revenue playbook",
        "Visitor visitor Owner: Marketing",
        "MQL mql Owner: Marketing · handed to Sales",
        "Entry criteria contact.email is set and contact.consent = true",
        "A contact becomes MQL when score.grade is one of [“A”, “B”] and score.interest ≥ 40 and contact.consent ≠ false",
        "Revenue operations leader",
        "In a target industry",
        "+20",
        "A 60 points or more",
        "Viewed the pricing page",
        "Points lose half their value every 30 days. Interest is capped at 200 points.",
        "Hand to sales now",
        "120 MQLs per month",
        "at least 60% of them accepted by sales",
        "first contact within 1 h (high priority), 4 h (normal priority), 16 h (low priority)",
        "Enterprise accounts go to account executives",
        "SDR Americas Round robin",
        "Not a decision maker",
        "Marketing not signed",
        "v1 active The default playbook that ships with Accord.",
    ]:
        assert phrase in body, phrase
    assert "New draft" not in body


def test_who_may_draft_sees_the_new_draft_button(client_as: Any, db: Any) -> None:
    assert "New draft" in text(client_as("marketing").get("/playbook/"))
    assert "New draft" in text(client_as("admin").get("/playbook/"))
    assert "New draft" not in text(client_as("sales_rep").get("/playbook/"))


def test_the_new_draft_page_starts_from_the_active_text(client_as: Any, db: Any) -> None:
    response = client_as("admin").get("/playbook/versions/new/")

    assert response.status_code == 200
    assert response.context["form"]["source"].value() == PlaybookVersion.objects.get(number=1).source


def test_a_draft_with_invalid_yaml_lists_every_error_and_keeps_the_text(client_as: Any, db: Any) -> None:
    broken = DEFAULT_SOURCE.replace("    owner: marketing\n", "    owner: everyone\n", 1).replace(
        "  - key: sql\n", "  - key: SQL\n", 1
    )

    response = client_as("admin").post("/playbook/versions/new/", {"source": broken, "note": "try"})

    assert response.status_code == 422
    body = text(response)
    assert "The playbook has 2 problems; nothing was saved." in body
    assert "stages[0].owner : must be one of marketing, sales, none, not text 'everyone'" in body.replace("&#x27;", "'")
    assert "stages[4].key : must be a key" in body
    assert response.context["form"]["source"].value() == broken
    assert PlaybookVersion.objects.count() == 1


def test_a_draft_that_is_not_yaml_says_where(client_as: Any, db: Any) -> None:
    response = client_as("admin").post("/playbook/versions/new/", {"source": "stages: [unclosed", "note": ""})

    assert response.status_code == 422
    assert "not valid YAML" in text(response)
    assert PlaybookVersion.objects.count() == 1


def test_a_valid_draft_is_saved_and_shown_with_its_diff(client_as: Any, users: dict[str, User]) -> None:
    source = DEFAULT_SOURCE.replace("name: Customer\n", "name: Won customer\n")
    client = client_as("marketing")

    response = client.post("/playbook/versions/new/", {"source": source, "note": "Rename customer"})

    version = PlaybookVersion.objects.get(number=2)
    assert response.status_code == 303
    assert response["Location"] == "/playbook/versions/2/"
    assert (version.status, version.note, version.created_by) == (VersionStatus.DRAFT, "Rename customer", users["marketing"])
    page = client.get("/playbook/versions/2/")
    body = text(page)
    assert "Draft version 2 saved." in body
    assert "Changes from the active version (v1)" in body
    assert "- name: Customer" in body and "+ name: Won customer" in body
    assert "Sign for marketing" in body
    assert "Edit draft" in body
    assert "YAML source" in body


def test_a_viewer_cannot_open_the_draft_page_nor_post_a_draft(client_as: Any, db: Any) -> None:
    client = client_as("viewer")

    assert client.get("/playbook/versions/new/").status_code == 403
    assert client.post("/playbook/versions/new/", {"source": DEFAULT_SOURCE}).status_code == 403
    assert PlaybookVersion.objects.count() == 1


def test_editing_a_draft_withdraws_its_signatures(client_as: Any, users: dict[str, User]) -> None:
    version = playbook_draft_create(source=DEFAULT_SOURCE, note="v2", acting_user=users["admin"])
    playbook_sign(version=version, acting_user=users["marketing"])
    client = client_as("admin")
    assert client.get(f"/playbook/versions/{version.number}/edit/").context["form"]["source"].value() == DEFAULT_SOURCE

    changed = DEFAULT_SOURCE.replace("mqls: 120", "mqls: 150")
    response = client.post(f"/playbook/versions/{version.number}/edit/", {"source": changed, "note": "More MQLs"})

    assert response.status_code == 303
    version.refresh_from_db()
    assert version.source == changed and version.note == "More MQLs"
    assert Signature.objects.count() == 0
    assert "150 MQLs per month" in text(client.get(f"/playbook/versions/{version.number}/"))


def test_editing_with_errors_shows_them_and_changes_nothing(client_as: Any, users: dict[str, User]) -> None:
    version = playbook_draft_create(source=DEFAULT_SOURCE, note="v2", acting_user=users["admin"])

    response = client_as("admin").post(
        f"/playbook/versions/{version.number}/edit/", {"source": DEFAULT_SOURCE.replace("mqls: 120", "mqls: many")}
    )

    assert response.status_code == 422
    assert "sla.marketing.mqls : must be a whole number" in text(response)
    version.refresh_from_db()
    assert version.source == DEFAULT_SOURCE


def test_an_active_version_cannot_be_edited(client_as: Any, db: Any) -> None:
    response = client_as("admin").post("/playbook/versions/1/edit/", {"source": DEFAULT_SOURCE})

    assert response.status_code == 409
    assert "only a draft can be edited" in text(response)


def test_sign_by_both_sides_then_activate(client_as: Any, users: dict[str, User]) -> None:
    source = DEFAULT_SOURCE.replace("high_interest: 40", "high_interest: 50")
    version = playbook_draft_create(source=source, note="Stricter", acting_user=users["admin"])
    url = f"/playbook/versions/{version.number}/"

    assert "Sign for" not in text(client_as("sales_rep").get(url))
    assert "Sign for" not in text(client_as("admin").get(url))
    marketing = client_as("marketing")
    assert "Sign for marketing" in text(marketing.get(url))
    assert marketing.post(f"{url}sign/").status_code == 303
    after = text(marketing.get(url))
    assert "You signed version 2 for marketing." in after
    assert "Marketing Signed by Marketing on" in after
    assert "Sign for marketing" not in after

    second = client_as("marketing").post(f"{url}sign/")
    assert second.status_code == 409
    assert "Marketing already signed version 2 for marketing" in text(second)

    sales = client_as("sales_manager")
    assert "Sign for sales" in text(sales.get(url))
    assert sales.post(f"{url}sign/").status_code == 303
    version.refresh_from_db()
    assert version.status == VersionStatus.SIGNED
    assert ">Activate</button>" not in sales.get(url).content.decode()

    admin = client_as("admin")
    assert ">Activate</button>" in admin.get(url).content.decode()
    response = admin.post(f"{url}activate/")
    assert response.status_code == 303 and response["Location"] == "/playbook/"
    version.refresh_from_db()
    assert version.status == VersionStatus.ACTIVE
    assert PlaybookVersion.objects.get(number=1).status == VersionStatus.RETIRED
    body = text(admin.get("/playbook/"))
    assert "Version 2 is now the playbook in force." in body
    assert "Activated by Admin on" in body
    assert "Sales Signed by Sales Manager on" in body


def test_a_draft_cannot_be_activated(client_as: Any, users: dict[str, User]) -> None:
    version = playbook_draft_create(source=DEFAULT_SOURCE, acting_user=users["admin"])

    response = client_as("admin").post(f"/playbook/versions/{version.number}/activate/")

    assert response.status_code == 409
    assert "needs the signature of marketing and sales first" in text(response)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


def test_a_viewer_signing_gets_403(client_as: Any, users: dict[str, User]) -> None:
    version = playbook_draft_create(source=DEFAULT_SOURCE, acting_user=users["admin"])

    response = client_as("viewer").post(f"/playbook/versions/{version.number}/sign/")

    assert response.status_code == 403
    assert Signature.objects.count() == 0


def test_an_unknown_version_is_404(client_as: Any, db: Any) -> None:
    assert client_as("viewer").get("/playbook/versions/99/").status_code == 404


def test_the_versions_list(client_as: Any, users: dict[str, User]) -> None:
    version = playbook_draft_create(source=DEFAULT_SOURCE, note="Second thoughts", acting_user=users["admin"])
    playbook_sign(version=version, acting_user=users["sales_manager"])

    body = text(client_as("viewer").get("/playbook/versions/"))

    assert "v2 draft Second thoughts" in body
    assert "by Admin sales: Sales Manager" in body
    assert "v1 active The default playbook that ships with Accord." in body


# --------------------------------------------------------------------------- users and keys


@pytest.mark.parametrize("role", ["marketing", "sales_rep", "sales_manager", "viewer"])
def test_only_admins_reach_users_and_keys(client_as: Any, role: str) -> None:
    client = client_as(role)

    assert client.get("/admin/users/").status_code == 403
    assert client.post("/admin/users/new/", {"email": "x@example.com", "role": "viewer"}).status_code == 403
    assert client.post("/admin/keys/new/", {"name": "k", "scopes": ["read"]}).status_code == 403
    assert User.objects.filter(email="x@example.com").count() == 0
    assert ApiKey.objects.count() == 0


def test_the_admin_page_lists_users_with_roles(client_as: Any, users: dict[str, User]) -> None:
    response = client_as("admin").get("/admin/users/")

    assert response.status_code == 200
    assert [u.email for u in response.context["users"]] == sorted(u.email for u in users.values())
    assert '<option value="sales_rep" selected>Sales rep</option>' in response.content.decode()


def test_an_admin_creates_a_user(client_as: Any, users: dict[str, User]) -> None:
    client = client_as("admin")

    response = client.post(
        "/admin/users/new/",
        {"email": "New.Rep@Example.com", "name": "New Rep", "role": "sales_rep", "password": "", "time_zone": "UTC"},
    )

    assert response.status_code == 303
    created = User.objects.get(email="new.rep@example.com")
    assert (created.name, created.role, created.has_usable_password()) == ("New Rep", "sales_rep", False)
    assert "Created new.rep@example.com as Sales rep." in text(client.get("/admin/users/"))


def test_creating_a_user_twice_is_a_conflict_shown_next_to_the_form(client_as: Any, users: dict[str, User]) -> None:
    response = client_as("admin").post(
        "/admin/users/new/", {"email": "viewer@example.com", "name": "Again", "role": "viewer", "time_zone": "UTC"}
    )

    assert response.status_code == 409
    assert "A user with email viewer@example.com already exists" in text(response)
    assert 'value="Again"' in response.content.decode()
    assert User.objects.count() == len(users)


def test_a_bad_time_zone_is_invalid(client_as: Any, users: dict[str, User]) -> None:
    response = client_as("admin").post(
        "/admin/users/new/", {"email": "tz@example.com", "role": "viewer", "time_zone": "Mars/Olympus"}
    )

    assert response.status_code == 422
    assert "Unknown time zone" in text(response)
    assert not User.objects.filter(email="tz@example.com").exists()


def test_an_admin_changes_a_role(client_as: Any, users: dict[str, User]) -> None:
    response = client_as("admin").post(f"/admin/users/{users['viewer'].pk}/role/", {"role": "marketing"})

    assert response.status_code == 303
    users["viewer"].refresh_from_db()
    assert users["viewer"].role == "marketing"


def test_an_admin_creates_a_team_and_adds_a_member(client_as: Any, users: dict[str, User]) -> None:
    client = client_as("admin")

    response = client.post(
        "/admin/teams/new/",
        {"name": "SDR EMEA", "side": "sales", "time_zone": "Europe/Berlin", "manager": users["sales_manager"].pk},
    )
    assert response.status_code == 303
    team = Team.objects.get(name="SDR EMEA")
    assert (team.side, team.time_zone, team.manager) == ("sales", "Europe/Berlin", users["sales_manager"])

    response = client.post(f"/admin/teams/{team.pk}/members/", {"user": users["sales_rep"].pk})

    assert response.status_code == 303
    assert list(Membership.objects.values_list("team__name", "user__email")) == [("SDR EMEA", "sales_rep@example.com")]
    body = text(client.get("/admin/users/"))
    assert "SDR EMEA sales Europe/Berlin · managed by Sales Manager Sales Rep" in body


def test_a_duplicate_team_name_is_a_conflict(client_as: Any, users: dict[str, User]) -> None:
    team_create(name="Marketing", side="marketing", acting_user=users["admin"])

    response = client_as("admin").post("/admin/teams/new/", {"name": "Marketing", "side": "marketing"})

    assert response.status_code == 409
    assert "A team named &#x27;Marketing&#x27; already exists" in response.content.decode()
    assert Team.objects.count() == 1


def test_an_api_key_secret_is_shown_once(client_as: Any, users: dict[str, User]) -> None:
    client = client_as("admin")

    response = client.post("/admin/keys/new/", {"name": "Website snippet", "scopes": ["browser"]})

    assert response.status_code == 303
    shown = client.get(response["Location"])
    assert shown["Cache-Control"] == "no-store"
    key = ApiKey.objects.get()
    secret = shown.context["secret"]
    assert secret.startswith(f"acc_{key.prefix}_")
    assert f'<code id="new-key-secret">{secret}</code>' in shown.content.decode()
    assert (key.name, key.scopes, key.created_by) == ("Website snippet", ["browser"], users["admin"])
    again = client.get("/admin/users/")
    assert secret not in again.content.decode()
    assert f"acc_{key.prefix}_…" in text(again)
    assert "Website snippet" in text(again) and "never" in text(again)


def test_a_key_needs_a_scope(client_as: Any, users: dict[str, User]) -> None:
    response = client_as("admin").post("/admin/keys/new/", {"name": "No scopes"})

    assert response.status_code == 422
    assert "Scopes: choose at least one scope" in text(response)
    assert ApiKey.objects.count() == 0


def test_an_admin_revokes_a_key(client_as: Any, users: dict[str, User]) -> None:
    key, secret = apikey_create(name="CRM sync", scopes="read,write", acting_user=users["admin"])
    client = client_as("admin")

    response = client.post(f"/admin/keys/{key.pk}/revoke/")

    assert response.status_code == 303
    key.refresh_from_db()
    assert key.revoked_at is not None
    body = text(client.get("/admin/users/"))
    assert "Revoked the key CRM sync" in body
    assert "Revoked " in body
    assert Client().get("/api/v1/contacts", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


# --------------------------------------------------------------------------- query counts


def test_list_pages_do_not_query_per_row(
    client_as: Any, users: dict[str, User], account: Account, django_assert_max_num_queries: Any
) -> None:
    for n in range(60):
        contact = make_contact(email=f"q{n}@acme.com", first_name="Q", account=account, owner=users["sales_rep"])
        contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])
    client = client_as("viewer")

    with django_assert_max_num_queries(8):
        assert client.get("/contacts/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/accounts/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(13):
        assert client.get(f"/contacts/{contact.pk}/").status_code == 200
