"""Forms that parse what the screens post. The actions validate the business rules."""

from __future__ import annotations

from django import forms

from accord.accounts.domain import Role, Scope, Side
from accord.accounts.models import User
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
