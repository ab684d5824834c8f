"""Hand-offs made the product's way, for the queue and deal screens' tests: teams and reps through
the accounts' actions, contacts qualified into MQL by the MQL rule, which opens the routed hand-off."""

from __future__ import annotations

from typing import Any

from accord.accounts.actions import team_add_member, team_create, user_create
from accord.accounts.models import Team, User
from accord.contacts.actions import account_create, contact_create
from accord.contacts.models import Contact
from accord.contacts.tests.scores import given_scores
from accord.lifecycle.actions import contact_advance_by_rule, contact_change_stage
from accord.lifecycle.models import Handoff
from accord.scoring.queries import contact_breakdown


def sales_teams(users: dict[str, Any]) -> dict[str, Any]:
    """Two SDR teams as the default playbook routes to them: the Americas (the default rule) with the
    sales rep, EMEA (accounts in GB, DE, FR, NL, SE) with a second rep. The sales manager leads both."""
    admin = users["admin"]
    other = user_create(email="rep2@example.com", name="Grace Hopper", role="sales_rep", acting_user=admin)
    teams: dict[str, Team] = {}
    for name, member in (("SDR Americas", users["sales_rep"]), ("SDR EMEA", other)):
        teams[name] = team_create(name=name, side="sales", manager=users["sales_manager"], acting_user=admin)
        team_add_member(team=teams[name], user=member, acting_user=admin)
    return {"americas": teams["SDR Americas"], "emea": teams["SDR EMEA"], "rep2": other}


def qualified(
    users: dict[str, Any],
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    country: str = "",
    breakdown: bool = False,
) -> Handoff:
    """A contact who filled in a form, became a lead, scores fit A and high interest, and is moved to
    MQL by the MQL rule (with the score breakdown stored, when `breakdown`): its open hand-off."""
    admin = users["admin"]
    data: dict[str, Any] = {"email": email, "first_name": first_name, "last_name": last_name, "consent": True}
    if country:
        data["account_id"] = account_create(data={"name": f"{last_name or email} Ltd", "country": country},
                                            acting_user=admin).pk  # fmt: skip
    contact = contact_create(data=data, acting_user=admin)
    Contact.objects.filter(pk=contact.pk).update(forms_submitted=1)
    contact.refresh_from_db()
    contact_change_stage(contact=contact, to_stage="lead", acting_user=users["marketing"])
    contact = given_scores(contact, fit_grade="A", fit_score=70, interest_score=55, quadrant="ready")
    details = {"score": contact_breakdown(contact)} if breakdown else None
    contact_advance_by_rule(contact=contact, to_stage="mql", rule="mql", details=details)
    return Handoff.objects.select_related("owner", "team").get(contact=contact, state=Handoff.State.OPEN)


def user(email: str) -> User:
    return User.objects.get(email=email)
