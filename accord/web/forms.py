"""Forms that parse what the screens post. The actions validate the business rules."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pycountry
from django import forms

from accord.accounts.domain import Role, Scope, Side
from accord.accounts.models import User
from accord.core.errors import AccordError, InvalidInput
from accord.scoring.domain import Quadrant
from accord.web.context import ROLE_LABELS

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]
SCOPE_HELP = {
    Scope.READ: "read contacts, accounts, the playbook and history",
    Scope.WRITE: "create and change contacts, move stages",
    Scope.BROWSER: "tracking from web pages and apps: public, adds events, fills only empty fields, never merges",
    Scope.SERVER: "tracking from your own servers and integrations: secret, full identify, alias and merge",
    Scope.ADMIN: "playbook versions, users and keys",
}


class ContactFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    stage = forms.CharField(required=False, max_length=40)
    owner = forms.IntegerField(required=False, min_value=1)
    account = forms.IntegerField(required=False, min_value=1)
    unowned = forms.BooleanField(required=False)
    quadrant = forms.ChoiceField(required=False, choices=[("", "Any")] + [(q.value, q.value) for q in Quadrant])
    heating = forms.BooleanField(required=False)
    sort = forms.ChoiceField(required=False, choices=[("", "Newest first"), ("interest", "Interest"), ("fit", "Fit")])
    page = forms.IntegerField(required=False, min_value=1)


class ActivityFilterForm(forms.Form):
    type = forms.ChoiceField(
        required=False,
        choices=[("", "All"), ("page", "Page views"), ("track", "Tracked events"), ("identify", "Identifies")],
    )
    after = forms.IntegerField(required=False, min_value=0)
    # Last: from here on, `forms` in this class body names the field, not the module.
    forms = forms.BooleanField(required=False)


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1)


class StageChangeForm(forms.Form):
    stage = forms.CharField(max_length=40, error_messages={"required": "choose a stage to move to"})
    reason = forms.CharField(required=False, max_length=40)
    note = forms.CharField(required=False, max_length=2000)
    reengage_on = forms.DateField(
        required=False, label="Re-engage date", error_messages={"invalid": "enter the date as YYYY-MM-DD"}
    )


class MergeForm(forms.Form):
    drop = forms.IntegerField(min_value=1)


class DraftForm(forms.Form):
    source = forms.CharField(strip=False, error_messages={"required": "the playbook text is empty"})
    note = forms.CharField(required=False, max_length=500)


class UserCreateForm(forms.Form):
    email = forms.CharField(max_length=254)
    name = forms.CharField(required=False, max_length=200)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Role.VIEWER.value)
    password = forms.CharField(required=False, strip=False, widget=forms.PasswordInput)
    time_zone = forms.CharField(required=False, max_length=64, initial="UTC")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class TeamCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    side = forms.ChoiceField(choices=[(s.value, s.value.title()) for s in Side])
    time_zone = forms.CharField(required=False, max_length=64, initial="UTC")
    manager = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)


class TeamMemberForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True))


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(
        choices=[(s.value, s.value) for s in Scope],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "choose at least one scope"},
    )
    allowed_origins = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea)
    rate_per_minute = forms.IntegerField(required=False, min_value=1, max_value=10_000_000)
    ip_rate_per_minute = forms.IntegerField(required=False, min_value=1, max_value=10_000_000)

    def clean_allowed_origins(self) -> list[str]:
        """One origin per line (or separated by commas or spaces)."""
        raw = self.cleaned_data.get("allowed_origins") or ""
        return [part for part in raw.replace(",", " ").split() if part]


def first_error(form: forms.Form) -> str:
    """The form's first problem as one line: 'field: message'."""
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = "" if field is None else f"{field.label or name}: "
        return f"{label}{errors[0]}"
    return ""


# --------------------------------------------------------------------------- contacts and accounts
#
# These forms only turn what a person typed into the values the contacts' actions take (numbers,
# ids, true/false). A value that cannot be turned is passed on as typed, so the action refuses it
# in the same words as the API does; every rule about the values lives in the action.

SENIORITY_CHOICES = [
    ("", "Not known"),
    ("individual", "Individual contributor"),
    ("manager", "Manager"),
    ("director", "Director"),
    ("vp", "VP"),
    ("c_level", "C-level"),
]
CONSENT_CHOICES = [("", "Never asked"), ("yes", "Given"), ("no", "Refused")]
_CONSENT = {"": None, "yes": True, "no": False}


def _country_name(country: Any) -> str:
    return str(getattr(country, "common_name", None) or country.name)


def _sort_key(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


# ISO 3166-1 alpha-2 codes by their usual English name ("Åland Islands" among the A's).
COUNTRY_CHOICES = sorted(
    ((c.alpha_2, _country_name(c)) for c in pycountry.countries), key=lambda choice: _sort_key(choice[1])
)
_THOUSANDS = re.compile(r"\d{1,3}(?:[, ]\d{3})+(?:\.\d+)?")


def _number(raw: str) -> str:
    """'1,200,000' and '1 200 000' as written by people, without their separators."""
    return re.sub(r"[, ]", "", raw) if _THOUSANDS.fullmatch(raw) else raw


def _whole(raw: str) -> int | str | None:
    """'' → None, '1,200' → 1200; anything else as typed, for the action to refuse."""
    text = _number(raw)
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else text


def _amount(raw: str) -> str | None:
    text = _number(raw)
    return text or None


def _choice(raw: str, values: dict[str, Any]) -> Any:
    return values.get(raw, raw)


class ContactForm(forms.Form):
    email = forms.CharField(required=False, label="Email")
    first_name = forms.CharField(required=False, label="First name")
    last_name = forms.CharField(required=False, label="Last name")
    title = forms.CharField(required=False, label="Job title")
    seniority = forms.CharField(required=False, label="Seniority")
    phone = forms.CharField(required=False, label="Phone")
    country = forms.CharField(required=False, label="Country")
    # The account: words to find an existing one (or the name of a new company), and the choice made.
    account = forms.CharField(required=False, label="Account")
    account_pick = forms.CharField(required=False, label="Account")
    owner = forms.CharField(required=False, label="Owner")
    consent = forms.CharField(required=False, label="Consent to marketing")

    # The action's name of each field, where it differs; an error on a name not listed here and
    # not a field of the form is shown above the form.
    ACTION_FIELDS = {"account_id": "account", "owner_id": "owner"}

    def to_data(self) -> dict[str, Any]:
        """The contact's fields as contact_create / contact_update take them (the account apart)."""
        d = self.cleaned_data
        return {
            "email": d["email"],
            "first_name": d["first_name"],
            "last_name": d["last_name"],
            "title": d["title"],
            "seniority": d["seniority"],
            "phone": d["phone"],
            "country": d["country"],
            "owner_id": _whole(d["owner"]),
            "consent": _choice(d["consent"], _CONSENT),
        }


class AccountForm(forms.Form):
    name = forms.CharField(required=False, label="Name")
    domain = forms.CharField(required=False, label="Domain")
    industry = forms.CharField(required=False, label="Industry")
    employees = forms.CharField(required=False, label="Employees")
    annual_revenue = forms.CharField(required=False, label="Annual revenue")
    country = forms.CharField(required=False, label="Country")
    owner = forms.CharField(required=False, label="Owner")

    ACTION_FIELDS = {"owner_id": "owner"}

    def to_data(self) -> dict[str, Any]:
        """The account's fields as account_create / account_update take them."""
        d = self.cleaned_data
        return {
            "name": d["name"],
            "domain": d["domain"],
            "industry": d["industry"],
            "employees": _whole(d["employees"]),
            "annual_revenue": _amount(d["annual_revenue"]),
            "country": d["country"],
            "owner_id": _whole(d["owner"]),
        }


class OwnerForm(forms.Form):
    owner = forms.CharField(required=False, label="Owner")

    def to_data(self) -> dict[str, Any]:
        return {"owner_id": _whole(self.cleaned_data["owner"])}


def show_refusal(form: forms.Form, exc: AccordError, action_fields: dict[str, str]) -> None:
    """Put an action's refusal on the form: each (field, message) next to its field, the rest
    (a conflict about the whole record, a field the form does not show) above the form."""
    pairs = getattr(exc, "errors", None) or [(exc.field or "", exc.message)]
    for name, message in pairs:
        field = action_fields.get(name, name)
        # A conflict names its field in the message too ("email: another record already has …").
        message = message.removeprefix(f"{name}: ") if name else message
        if field in form.fields:
            form.add_error(field, message)
        else:
            form.add_error(None, message)


def owner_choices(users: list[User]) -> list[tuple[str, str]]:
    """The options of an owner select: nobody, then each person (one no longer active says so)."""
    return [("", "Unowned")] + [
        (str(user.pk), user.display_name if user.is_active else f"{user.display_name} (inactive)") for user in users
    ]


def country_choices(current: str) -> list[tuple[str, str]]:
    """The options of a country select; a code Accord holds that the list lacks stays selectable."""
    known = {code for code, _ in COUNTRY_CHOICES}
    kept = [(current, current)] if current and current not in known else []
    return [("", "Not known"), *kept, *COUNTRY_CHOICES]


def refusal_text(exc: AccordError) -> str:
    """An action's refusal as one line, without the field's name in front."""
    pairs = getattr(exc, "errors", None)
    if pairs:
        return str(pairs[0][1])
    return exc.message.removeprefix(f"{exc.field}: ") if exc.field else exc.message


def changed(record: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from the record's, as the API's PATCH sends them: a value left as
    it was (an owner no longer active, say) is not checked again."""
    return {name: value for name, value in data.items() if getattr(record, name) != value}


# --------------------------------------------------------------------------- hand-offs and deals
#
# As above: these forms only turn what was posted into the values the actions take (a date, text);
# the actions check the reasons, the dates, the amounts and the currencies.

_DATE_INVALID = {"invalid": "enter the date as YYYY-MM-DD"}


class HandoffRejectForm(forms.Form):
    reason = forms.CharField(required=False, max_length=40, label="Reason")
    note = forms.CharField(required=False, max_length=5000, label="Note")


class HandoffRecycleForm(forms.Form):
    reason = forms.CharField(required=False, max_length=40, label="Reason")
    reengage_on = forms.DateField(required=False, label="Re-engage on", error_messages=_DATE_INVALID)
    note = forms.CharField(required=False, max_length=5000, label="Note")


class TouchForm(forms.Form):
    channel = forms.CharField(required=False, max_length=20, label="Channel")
    outcome = forms.CharField(required=False, max_length=20, label="Outcome")
    note = forms.CharField(required=False, max_length=5000, label="Note")


class DealCreateForm(forms.Form):
    name = forms.CharField(required=False, max_length=400, label="Deal name")
    amount = forms.CharField(required=False, max_length=40, label="Amount")
    currency = forms.CharField(required=False, max_length=10, label="Currency")
    expected_close = forms.DateField(required=False, label="Expected close", error_messages=_DATE_INVALID)

    def to_data(self) -> dict[str, Any]:
        """The deal's fields as deal_create takes them: the amount as typed ('12,500.00' without its
        separators), for the action to read in the currency's minor units or refuse."""
        d = self.cleaned_data
        return {
            "name": d["name"],
            "amount": _amount(d["amount"]),
            "currency": d["currency"],
            "expected_close": d["expected_close"],
        }


class DealLoseForm(forms.Form):
    reason = forms.CharField(required=False, max_length=40, label="Reason")
    note = forms.CharField(required=False, max_length=5000, label="Note")


class DealFilterForm(forms.Form):
    stage = forms.ChoiceField(required=False, choices=[("", "Any"), ("open", "Open"), ("won", "Won"), ("lost", "Lost")])
    owner = forms.IntegerField(required=False, min_value=1)
    page = forms.IntegerField(required=False, min_value=1)


class ReassignForm(forms.Form):
    owner = forms.IntegerField(required=False, min_value=1, label="Rep")
    reason = forms.CharField(required=False, max_length=5000, label="Reason")


class AwayForm(forms.Form):
    away_from = forms.DateField(required=False, label="Away from", error_messages=_DATE_INVALID)
    away_until = forms.DateField(required=False, label="Away until", error_messages=_DATE_INVALID)


def form_refusal(form: forms.Form) -> InvalidInput:
    """A form's first problem as the refusal an action would give: the field named, nothing written."""
    for name, errors in form.errors.items():
        return InvalidInput(f"{name}: {errors[0]}", field=name)
    return InvalidInput("the form is not valid")
