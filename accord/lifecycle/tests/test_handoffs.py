"""Hand-offs as the stage machine writes them, and a rep's work on them.

Given the default playbook (the default route: team "SDR Americas", round robin) and a team of
reps, when a contact enters the MQL stage — by rule or by a person — then one open hand-off is
written and routed in the move's transaction; when a rep accepts, rejects or recycles it, the
contact moves and the hand-off's history says who did what; refused input writes nothing.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from accord.accounts.models import Membership, Team, User
from accord.contacts.actions import contact_create
from accord.contacts.models import Contact
from accord.contacts.tests.scores import given_scores
from accord.core import clock
from accord.core.errors import Conflict, InvalidInput, PermissionDenied
from accord.lifecycle import actions, handoff_actions, handoffs
from accord.lifecycle.models import Handoff, HandoffChange, RepLoad, StageChange, Touch
from accord.playbook.queries import active_playbook

NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 in New York


@pytest.fixture
def team(users: dict[str, User]) -> Team:
    """SDR Americas: two reps (ann, bob) and a manager."""
    manager = User.objects.create_user("max@example.com", "pw", role="sales_manager")
    made = Team.objects.create(name="SDR Americas", side="sales", time_zone="America/New_York", manager=manager)
    for email in ("ann@example.com", "bob@example.com"):
        Membership.objects.create(team=made, user=User.objects.create_user(email, "pw", role="sales_rep"))
    return made


def mql(email: str, admin: User, *, at: dt.datetime = NOW) -> Contact:
    """A contact who meets the MQL rule, moved into MQL by the rule at `at`."""
    contact = contact_create(data={"email": email, "consent": True}, acting_user=admin)
    Contact.objects.filter(pk=contact.pk).update(forms_submitted=1)
    given_scores(contact, fit_grade="A", fit_score=70, interest_score=55, quadrant="ready")
    contact.refresh_from_db()
    with clock.frozen(at):
        actions.contact_apply_rules(contact=contact)
    contact.refresh_from_db()
    assert contact.stage == "mql"
    return contact


def rep(email: str) -> User:
    return User.objects.get(email=email)


@pytest.mark.django_db
def test_entering_mql_opens_one_routed_handoff_with_its_trace(users, team):
    contact = mql("c1@acme.io", users["admin"])
    handoff = Handoff.objects.get()
    move = StageChange.objects.get(contact=contact, to_stage="mql")
    assert (handoff.contact_id, handoff.stage_change_id, handoff.state) == (contact.pk, move.pk, "open")
    assert (handoff.owner, handoff.team, handoff.rule, handoff.method) == (rep("ann@example.com"), team, "default",
                                                                           "round_robin")  # fmt: skip
    assert (handoff.priority, handoff.quadrant, handoff.assigned_at) == ("high", "ready", NOW)
    tried = handoff.trace["tried"]
    assert [(t["rule"], t["matched"]) for t in tried] == [("enterprise", False), ("emea", False), ("default", True)]
    assert [(c["email"], c["skipped"]) for c in tried[-1]["considered"]] == [
        ("ann@example.com", None),
        ("bob@example.com", None),
    ]
    assert list(HandoffChange.objects.values_list("kind", "to_owner__email")) == [("routed", "ann@example.com")]


@pytest.mark.django_db
def test_round_robin_spreads_mqls_and_skips_a_rep_who_is_away(users, team):
    User.objects.filter(email="bob@example.com").update(away_from=NOW.date(), away_until=NOW.date())
    owners = [Handoff.objects.get(contact=mql(f"c{n}@acme.io", users["admin"])).owner.email for n in range(2)]
    assert owners == ["ann@example.com", "ann@example.com"]
    User.objects.filter(email="bob@example.com").update(away_until=NOW.date() - dt.timedelta(days=1))
    later = [Handoff.objects.get(contact=mql(f"d{n}@acme.io", users["admin"])).owner.email for n in range(3)]
    assert later == ["bob@example.com", "bob@example.com", "ann@example.com"]


@pytest.mark.django_db
def test_nobody_available_leaves_the_handoff_in_the_team_queue(users, team):
    User.objects.filter(email__in=["ann@example.com", "bob@example.com"]).update(is_active=False)
    contact = mql("c1@acme.io", users["admin"])
    handoff = Handoff.objects.get(contact=contact)
    assert (handoff.owner, handoff.team, handoff.assigned_at) == (None, team, None)
    assert "nobody in the team is available" in handoff.trace["tried"][-1]["note"]
    assert list(HandoffChange.objects.values_list("kind", flat=True)) == ["queued"]


@pytest.mark.django_db
def test_a_person_moving_a_contact_into_mql_opens_a_handoff_too(users, team):
    contact = contact_create(data={"email": "p@acme.io", "consent": True}, acting_user=users["admin"])
    Contact.objects.filter(pk=contact.pk).update(forms_submitted=1)
    given_scores(contact, fit_grade="A", fit_score=70, interest_score=55, quadrant="ready")
    with clock.frozen(NOW):
        actions.contact_change_stage(contact=contact, to_stage="mql", acting_user=users["marketing"])
    assert Handoff.objects.filter(contact=contact, state="open").count() == 1


@pytest.mark.django_db
def test_accept_moves_the_contact_to_sql_and_closes_the_handoff(users, team):
    contact = mql("c1@acme.io", users["admin"])
    handoff = Handoff.objects.get()
    later = NOW + dt.timedelta(hours=1)
    with clock.frozen(later):
        handoff_actions.handoff_accept(handoff=handoff, acting_user=rep("ann@example.com"))
    contact.refresh_from_db()
    handoff.refresh_from_db()
    assert contact.stage == "sql"
    assert (handoff.state, handoff.closed_at, handoff.closed_by) == ("accepted", later, rep("ann@example.com"))
    assert list(HandoffChange.objects.values_list("kind", flat=True)) == ["routed", "accepted"]
    assert StageChange.objects.filter(contact=contact).latest("id").to_stage == "sql"


@pytest.mark.parametrize(
    ("reason", "note", "stage", "reengage"),
    [
        ("no_budget", "", "recycled", dt.date(2027, 3, 1)),  # 90 days later
        ("wrong_contact_data", "", "disqualified", None),  # this reason's outcome is disqualify
        ("other", "Not the buyer at all", "recycled", dt.date(2027, 3, 1)),
    ],
)
@pytest.mark.django_db
def test_reject_sends_the_contact_where_the_reason_says(users, team, reason, note, stage, reengage):
    contact = mql("c1@acme.io", users["admin"])
    handoff = Handoff.objects.get()
    with clock.frozen(NOW):
        handoff_actions.handoff_reject(handoff=handoff, acting_user=rep("ann@example.com"), reason=reason, note=note)
    contact.refresh_from_db()
    handoff.refresh_from_db()
    assert (contact.stage, contact.reengage_on) == (stage, reengage)
    assert (handoff.state, handoff.reason, handoff.note) == ("rejected", reason, note)
    change = StageChange.objects.filter(contact=contact).latest("id")
    assert (change.kind, change.reason, change.by_user) == ("hand_back", reason, rep("ann@example.com"))


@pytest.mark.django_db
def test_recycle_with_a_date_sends_the_contact_to_nurture(users, team):
    contact = mql("c1@acme.io", users["admin"])
    handoff = Handoff.objects.get()
    with clock.frozen(NOW):
        handoff_actions.handoff_recycle(handoff=handoff, acting_user=rep("ann@example.com"), reason="timing",
                                        reengage_on=dt.date(2027, 4, 1))  # fmt: skip
    contact.refresh_from_db()
    assert (contact.stage, contact.reengage_on) == ("recycled", dt.date(2027, 4, 1))
    assert Handoff.objects.get().state == "recycled"


REFUSED = [
    ("reject", {"reason": ""}, InvalidInput, "reason", "a reject reason is required"),
    ("reject", {"reason": "bored"}, InvalidInput, "reason", "unknown reject reason 'bored'"),
    ("reject", {"reason": "other", "note": "  "}, InvalidInput, "note", "the reason 'Other' needs a note"),
    ("reject", {"reason": 7}, InvalidInput, "reason", "must be a reason key"),
    ("recycle", {"reason": "timing", "reengage_on": None}, InvalidInput, "reengage_on", "a re-engage date is required"),
    ("recycle", {"reason": "timing", "reengage_on": dt.date(2026, 11, 1)}, InvalidInput, "reengage_on",
     "must be a date after today"),
    ("recycle", {"reason": "no_budget", "reengage_on": dt.date(2027, 1, 1)}, InvalidInput, "reason",
     "unknown recycle reason 'no_budget'"),
    ("touch", {"channel": "fax", "outcome": "connected"}, InvalidInput, "channel", "must be one of call"),
    ("touch", {"channel": "call", "outcome": "great"}, InvalidInput, "outcome", "must be one of connected"),
]  # fmt: skip


@pytest.mark.parametrize(("verb", "kwargs", "error", "field", "message"), REFUSED)
@pytest.mark.django_db
def test_refused_work_writes_nothing(users, team, verb, kwargs, error, field, message):
    contact = mql("c1@acme.io", users["admin"])
    handoff = Handoff.objects.get()
    before = (StageChange.objects.count(), HandoffChange.objects.count(), Touch.objects.count())
    act = {"reject": handoff_actions.handoff_reject, "recycle": handoff_actions.handoff_recycle,
           "touch": handoff_actions.handoff_log_touch}[verb]  # fmt: skip
    with clock.frozen(NOW), pytest.raises(error) as raised:
        act(handoff=handoff, acting_user=rep("ann@example.com"), **kwargs)
    assert raised.value.field == field and message in raised.value.message
    contact.refresh_from_db()
    handoff.refresh_from_db()
    assert (contact.stage, handoff.state) == ("mql", "open")
    assert (StageChange.objects.count(), HandoffChange.objects.count(), Touch.objects.count()) == before


@pytest.mark.django_db
def test_someone_elses_handoff_needs_the_manager(users, team):
    mql("c1@acme.io", users["admin"])
    handoff = Handoff.objects.get()
    with pytest.raises(PermissionDenied, match=r"This hand-off is ann@example\.com's"):
        handoff_actions.handoff_accept(handoff=handoff, acting_user=rep("bob@example.com"))
    with pytest.raises(PermissionDenied, match="Only sales managers and the team's manager can reassign"):
        handoff_actions.handoff_reassign(handoff=handoff, acting_user=rep("bob@example.com"),
                                         to_user=rep("bob@example.com"), reason="mine")  # fmt: skip
    with pytest.raises(PermissionDenied):
        handoff_actions.handoff_accept(handoff=handoff, acting_user=users["viewer"])
    assert Handoff.objects.get().state == "open"
    handoff_actions.handoff_accept(handoff=handoff, acting_user=rep("max@example.com"))  # the team's manager
    assert Handoff.objects.get().state == "accepted"


@pytest.mark.django_db
def test_a_second_accept_is_a_conflict_with_the_current_state(users, team):
    mql("c1@acme.io", users["admin"])
    handoff = Handoff.objects.get()
    handoff_actions.handoff_accept(handoff=handoff, acting_user=rep("ann@example.com"))
    with pytest.raises(Conflict) as raised:
        handoff_actions.handoff_accept(handoff=handoff, acting_user=rep("ann@example.com"))
    assert raised.value.current is not None and raised.value.current["state"] == "accepted"
    assert HandoffChange.objects.filter(kind="accepted").count() == 1


@pytest.mark.django_db
def test_a_manager_reassigns_with_a_reason_kept_in_the_history(users, team):
    mql("c1@acme.io", users["admin"])
    handoff = Handoff.objects.get()
    with pytest.raises(InvalidInput, match="say why"):
        handoff_actions.handoff_reassign(handoff=handoff, acting_user=users["sales_manager"],
                                         to_user=rep("bob@example.com"), reason="")  # fmt: skip
    handoff_actions.handoff_reassign(handoff=handoff, acting_user=users["sales_manager"],
                                     to_user=rep("bob@example.com"), reason="Ann is at a conference")  # fmt: skip
    handoff.refresh_from_db()
    assert handoff.owner == rep("bob@example.com")
    change = HandoffChange.objects.get(kind="reassigned")
    assert (change.from_owner, change.to_owner, change.note) == (rep("ann@example.com"), rep("bob@example.com"),
                                                                 "Ann is at a conference")  # fmt: skip


@pytest.mark.django_db
def test_a_touch_counts_and_dates_the_first_one(users, team):
    mql("c1@acme.io", users["admin"])
    handoff = Handoff.objects.get()
    with clock.frozen(NOW + dt.timedelta(minutes=30)):
        handoff_actions.handoff_log_touch(handoff=handoff, acting_user=rep("ann@example.com"), channel="call",
                                          outcome="left_message", note="Voicemail")  # fmt: skip
    handoff.refresh_from_db()
    assert (handoff.touches, handoff.first_touch_at) == (1, NOW + dt.timedelta(minutes=30))
    assert Touch.objects.get().note == "Voicemail"


@pytest.mark.django_db
def test_leaving_mql_by_the_stage_control_closes_the_handoff(users, team):
    contact = mql("c1@acme.io", users["admin"])
    actions.contact_change_stage(contact=contact, to_stage="disqualified", acting_user=users["marketing"],
                                 reason="spam")  # fmt: skip
    assert Handoff.objects.get().state == "rejected"
    assert list(HandoffChange.objects.values_list("kind", flat=True)) == ["routed", "rejected"]


@pytest.mark.django_db
def test_a_recycled_contact_that_qualifies_again_gets_a_new_handoff(users, team):
    contact = mql("c1@acme.io", users["admin"])
    handoff_actions.handoff_recycle(handoff=Handoff.objects.get(), acting_user=rep("ann@example.com"),
                                    reason="timing", reengage_on=clock.now().date() + dt.timedelta(days=30))  # fmt: skip
    contact.refresh_from_db()
    actions.contact_apply_rules(contact=contact)
    assert list(Handoff.objects.filter(contact=contact).values_list("state", flat=True)) == ["recycled", "open"]


@pytest.mark.django_db(transaction=True)
def test_two_people_accepting_at_once_one_wins_the_other_gets_409(users, team):
    # PostgreSQL: the hand-off's row lock; SQLite: one writer at a time (IMMEDIATE transactions).
    mql("c1@acme.io", users["admin"])
    handoff = Handoff.objects.get()
    people = [rep("ann@example.com"), rep("max@example.com")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(user: User) -> None:
        try:
            barrier.wait()
            handoff_actions.handoff_accept(handoff=handoff, acting_user=user)
            outcomes.append("won")
        except Conflict as exc:
            outcomes.append(f"409 {exc.current and exc.current['state']}")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409 accepted", "won"]
    assert HandoffChange.objects.filter(kind="accepted").count() == 1
    assert StageChange.objects.filter(to_stage="sql").count() == 1


@pytest.mark.django_db
def test_routing_and_reassigning_make_the_rep_the_contacts_owner(users, team):
    contact = mql("c1@acme.io", users["admin"])
    contact.refresh_from_db()
    assert contact.owner == rep("ann@example.com")
    handoff_actions.handoff_reassign(handoff=Handoff.objects.get(), acting_user=users["sales_manager"],
                                     to_user=rep("bob@example.com"), reason="cover")  # fmt: skip
    contact.refresh_from_db()
    assert contact.owner == rep("bob@example.com")


def loads() -> dict[int, tuple]:
    return {r.pk: (r.open_handoffs, r.day, r.day_count, r.period, r.period_count, r.last_assigned_at)
            for r in RepLoad.objects.all()}  # fmt: skip


@pytest.mark.django_db
def test_each_reps_load_is_kept_as_routing_would_count_it_from_the_handoffs(users, team):
    c1 = mql("c1@acme.io", users["admin"])
    mql("c2@acme.io", users["admin"], at=NOW + dt.timedelta(minutes=5))
    mql("c3@acme.io", users["admin"], at=NOW + dt.timedelta(minutes=10))
    with clock.frozen(NOW + dt.timedelta(minutes=20)):
        handoff_actions.handoff_accept(handoff=Handoff.objects.get(contact=c1), acting_user=rep("ann@example.com"))
        third = Handoff.objects.get(contact__email="c3@acme.io")
        handoff_actions.handoff_reassign(handoff=third, acting_user=users["sales_manager"],
                                         to_user=rep("bob@example.com"), reason="cover")  # fmt: skip
    kept = loads()
    assert {pk: row[0] for pk, row in kept.items()} == {rep("ann@example.com").pk: 0, rep("bob@example.com").pk: 2}
    with clock.frozen(NOW + dt.timedelta(minutes=30)):
        handoffs.recount(plan=active_playbook().playbook.routing, now=clock.now())
    recounted = loads()
    assert {pk: row[:5] for pk, row in recounted.items() if pk in kept} == {pk: row[:5] for pk, row in kept.items()}


@pytest.mark.django_db
def test_a_merge_that_brings_an_mql_keeps_the_dropped_contacts_open_handoff(users, team):
    dropped = mql("c1@acme.io", users["admin"])
    first = Handoff.objects.get(contact=dropped)
    kept = contact_create(data={"email": "c1.other@acme.io"}, acting_user=users["admin"])
    actions.contact_merge(keep=kept, drop=dropped, acting_user=users["admin"])
    kept.refresh_from_db()
    assert kept.stage == "mql"
    assert list(Handoff.objects.filter(contact=kept).values_list("pk", "state")) == [(first.pk, "open")]
