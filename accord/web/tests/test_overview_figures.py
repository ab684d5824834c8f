"""The overview's figures and the heating-up list, pinned on one small workspace: given contacts
in every stage, stage changes on the edges of the 30-day window and of its weeks, and score
histories on every path of the heating-up rule (a score before the week faded to a week ago, a
week that starts from its first change, a first score, a rise of exactly the threshold, ties),
when the overview and `/contacts/?heating=1` are read, then they show exactly these numbers."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from accord.accounts.models import User
from accord.contacts.models import Account, Contact
from accord.contacts.tests.scores import given_scores
from accord.core import clock
from accord.lifecycle.models import StageChange
from accord.playbook.queries import active_playbook
from accord.scoring.models import ScoreChange
from accord.scoring.queries import heating_up

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 4, 15, 0, tzinfo=dt.UTC)  # a Wednesday; the 30 days start on Monday 5 October, 15:00
SINCE = NOW - dt.timedelta(days=30)
WEEK_AGO = NOW - dt.timedelta(days=7)


def days(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


class _Main(HTMLParser):
    """The text of <main>, without <time> elements (`timesince` reads the wall clock) or scripts,
    and the JSON of every json_script in it."""

    def __init__(self) -> None:
        super().__init__()
        self.inside, self.skip, self.parts, self.scripts, self.script_id = False, 0, [], {}, ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.inside = True
        elif self.inside and tag == "time":
            self.skip += 1
        elif self.inside and tag == "script":
            self.script_id = dict(attrs).get("id") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.inside = False
        elif tag == "time" and self.skip:
            self.skip -= 1
        elif tag == "script":
            self.script_id = ""

    def handle_data(self, data: str) -> None:
        if self.script_id:
            self.scripts[self.script_id] = json.loads(data)
        elif self.inside and not self.skip:
            self.parts.append(data)


def main(response: Any) -> tuple[str, dict[str, Any]]:
    parser = _Main()
    parser.feed(response.content.decode())
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip(), parser.scripts


def person(
    name: str,
    *,
    stage: str = "",
    interest: float | None = None,
    scored_at: dt.datetime | None = None,
    grade: str = "",
    quadrant: str = "",
    account: Account | None = None,
    title: str = "",
) -> Contact:
    contact = Contact.objects.create(
        email=f"{name.lower()}@acme.test", first_name=name, stage=stage, account=account, title=title,
    )  # fmt: skip
    if interest is None and not grade:
        return contact
    return given_scores(
        contact, interest_score=interest, scored_at=scored_at if interest is not None else None, fit_grade=grade,
        fit_score={"A": 80, "B": 50, "C": 30, "D": 5}.get(grade), quadrant=quadrant,
    )  # fmt: skip


def scored(contact: Contact, at: dt.datetime, previous: float | None, interest: float) -> None:
    ScoreChange.objects.create(
        contact=contact, at=at, cause="event", playbook_version=active_playbook(), fit_score=contact.fit_score or 0,
        fit_grade=contact.fit_grade, interest_score=interest, quadrant=contact.quadrant, previous_interest=previous,
    )  # fmt: skip


def moved(
    contact: Contact,
    at: dt.datetime,
    from_stage: str,
    to_stage: str,
    kind: str = "advance",
    *,
    user: User | None = None,
    rule: str = "",
    reason: str = "",
) -> None:
    StageChange.objects.create(
        contact=contact, at=at, from_stage=from_stage, to_stage=to_stage, kind=kind, by_user=user,
        by_rule=rule if user is None else "", reason=reason, playbook_version=active_playbook(),
    )  # fmt: skip


@pytest.fixture
def workspace(users: dict[str, User]) -> dict[str, Contact]:
    acme = Account.objects.create(name="Acme Corp", domain="acme.test")
    made: dict[str, Contact] = {}

    def add(name: str, **fields: Any) -> Contact:
        made[name] = person(name, **fields)
        return made[name]

    # Heating up, with the rise each is expected to show (default playbook: 20 points, half-life 30 days).
    ava = add("Ava", stage="mql", interest=90.0, scored_at=days(2), grade="A", quadrant="ready", account=acme,
              title="VP Marketing")  # fmt: skip
    scored(ava, days(40), 0.0, 50.0)  # before the week: 50 faded by 33 days to a week ago
    scored(ava, days(2), 30.0, 90.0)
    ben = add("Ben", stage="lead", interest=45.0, scored_at=days(1), grade="B", quadrant="ready")
    scored(ben, days(3), 10.0, 30.0)  # no history before the week: starts from the first change's 10
    scored(ben, days(1), 30.0, 45.0)
    cal = add("Cal", stage="lead", interest=35.0, scored_at=NOW, grade="C", quadrant="low", account=acme)
    scored(cal, NOW, None, 35.0)  # a first score: from nothing
    dee = add("Dee", stage="lead", interest=25.0, scored_at=NOW, grade="B", quadrant="nurture")
    scored(dee, days(1), 5.0, 25.0)  # exactly the threshold
    eve = add("Eve", stage="lead", interest=24.99, scored_at=NOW, grade="B", quadrant="nurture")
    scored(eve, days(1), 5.0, 24.99)  # a hundredth short
    fay = add("Fay", stage="sql", interest=100.0, scored_at=days(10), grade="A", quadrant="ready")
    scored(fay, days(10), 0.0, 100.0)  # no change this week
    gus = add("Gus", stage="subscriber", interest=60.0, scored_at=WEEK_AGO, grade="D", quadrant="check_fit")
    scored(gus, WEEK_AGO, 0.0, 60.0)  # at the first instant of the week
    hal = add("Hal", stage="lead", interest=40.0, scored_at=NOW, grade="A", quadrant="ready")
    scored(hal, days(1), 10.0, 40.0)  # Hal and Ida tie: the older contact first
    ida = add("Ida", stage="lead", interest=40.0, scored_at=NOW, grade="A", quadrant="ready")
    scored(ida, days(1), 10.0, 40.0)
    jon = add("Jon", stage="opportunity", interest=30.0, scored_at=days(1), grade="A", quadrant="nurture")
    scored(jon, days(20), 0.0, 80.0)
    scored(jon, days(1), 70.0, 30.0)  # fell
    kai = add("Kai", stage="visitor", interest=22.0, scored_at=NOW, quadrant="low")
    scored(kai, days(0.5), 0.0, 22.0)
    lea = add("Lea", stage="lead", interest=27.0, scored_at=NOW, grade="C", quadrant="low")
    scored(lea, days(6), None, 27.0)
    max_ = add("Max", stage="mql", interest=50.0, scored_at=NOW, grade="B", quadrant="ready")
    scored(max_, days(4), 3.0, 50.0)
    nia = add("Nia", stage="customer", interest=200.0, scored_at=NOW, grade="A", quadrant="ready")
    scored(nia, days(1), 0.0, 200.0)
    pam = add("Pam", stage="lead", interest=70.0, scored_at=days(1), grade="B", quadrant="ready")
    scored(pam, days(8), 0.0, 30.0)  # the day before the week
    scored(pam, days(1), 30.0, 70.0)
    quin = add("Quin", stage="recycled", interest=50.0, scored_at=NOW, grade="C", quadrant="check_fit")
    scored(quin, days(9), 0.0, 10.0)
    scored(quin, days(9), 10.0, 15.0)  # the same instant: the later row counts
    scored(quin, NOW, 15.0, 50.0)
    # Neither heating nor scored; an unknown stage key; no stage.
    add("Una", stage="legacy")
    add("Vic")
    add("Wes", stage="disqualified")

    sales, marketing = users["sales_rep"], users["marketing"]
    moved(made["Una"], dt.datetime(2026, 8, 1, 9, 0, tzinfo=dt.UTC), "", "lead", rule="entry:lead")
    moved(ava, SINCE - dt.timedelta(minutes=1), "lead", "mql", rule="mql")  # just outside the 30 days
    moved(gus, SINCE, "visitor", "subscriber", rule="entry:subscriber")  # its first instant
    moved(ben, dt.datetime(2026, 10, 11, 23, 59, 59, tzinfo=dt.UTC), "", "lead", user=marketing)  # a Sunday
    moved(quin, dt.datetime(2026, 10, 12, 0, 0, tzinfo=dt.UTC), "mql", "recycled", "hand_back", user=sales,
          reason="not_ready")  # fmt: skip
    moved(fay, dt.datetime(2026, 10, 20, 10, 0, tzinfo=dt.UTC), "mql", "sql", "imported")
    moved(max_, dt.datetime(2026, 10, 27, 8, 0, tzinfo=dt.UTC), "lead", "mql", rule="mql")
    moved(fay, dt.datetime(2026, 10, 27, 9, 0, tzinfo=dt.UTC), "mql", "sql", user=sales)
    moved(made["Wes"], dt.datetime(2026, 10, 28, 9, 0, tzinfo=dt.UTC), "lead", "disqualified", "hand_back",
          user=sales, reason="spam")  # fmt: skip
    moved(made["Vic"], dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC), "mql", "recycled", "hand_back",
          user=sales, reason="gone_quiet")  # fmt: skip
    moved(jon, dt.datetime(2026, 11, 3, 16, 0, tzinfo=dt.UTC), "sql", "opportunity", user=sales)
    moved(nia, NOW, "opportunity", "customer", user=sales)  # its last instant
    moved(made["Vic"], NOW + dt.timedelta(hours=1), "recycled", "mql", rule="mql")  # later than now
    return made


def get(client: Any, url: str) -> Any:
    with clock.frozen(NOW):
        response = client.get(url)
    assert response.status_code == 200
    return response


def test_the_overview_shows_these_figures(client_as: Any, workspace: dict[str, Contact]) -> None:
    body, charts = main(get(client_as("viewer"), "/"))

    assert body == (
        "Overview The funnel today 19 contacts, counted by stage of playbook v1 . "
        "Funnel Contacts by stage Stage Contacts Visitor 1 Subscriber 1 Lead 8 MQL 2 SQL 1 Opportunity 1 "
        "Customer 1 Recycled 1 Disqualified 1 legacy 1 No stage 1 All contacts 19 "
        "Stage changes, last 30 days 9 moves, by week starting Monday. "
        "Latest stage changes Vic Recycled → to MQL · by the MQL rule "
        "Nia Opportunity → to Customer · by Sales Rep "
        "Jon SQL → to Opportunity · by Sales Rep "
        "Vic MQL → to Recycled · by Sales Rep · gone_quiet "
        "Wes Lead → to Disqualified · by Sales Rep · Spam or fake details "
        "Fay MQL → to SQL · by Sales Rep "
        "Max Lead → to MQL · by the MQL rule "
        "Fay MQL → to SQL · by the system "
        "Quin MQL → to Recycled · by Sales Rep · Interested but not ready to buy "
        "Ben Lead · by Marketing "
        "Heating up All contacts heating up Interest up by the playbook's heating-up points or more in the last "
        "7 days, fastest first. A Nia +200 to 200 A Ava +63 to 90 VP Marketing at Acme Corp D Gus +51 to 60 "
        "B Max +47 to 50 B Pam +39 to 70 C Quin +36 to 50 C Cal +35 to 35 Acme Corp B Ben +34 to 45 "
        "A Hal +30 to 40 A Ida +30 to 40 "
        "Contacts by quadrant Fit × interest. Open a cell to see its contacts. Interest Fit A, B Fit C, D "
        "Interest ≥ 40 8 Ready 2 Check fit Interest < 40 3 Nurture 3 Low 3 contacts not scored yet."
    )
    funnel, weekly = charts["funnel-data"], charts["weekly-data"]
    assert funnel["data"][0]["y"] == ["Visitor", "Subscriber", "Lead", "MQL", "SQL", "Opportunity", "Customer"]
    assert funnel["data"][0]["x"] == [1, 1, 8, 2, 1, 1, 1]
    assert funnel["data"][0]["text"] == ["1", "1", "8", "2", "1", "1", "1"]
    assert funnel["layout"]["height"] == 340
    assert [series["name"] for series in weekly["data"]] == ["Forward", "Hand-back"]
    assert weekly["data"][0]["x"] == ["05 Oct", "12 Oct", "19 Oct", "26 Oct", "02 Nov"]
    assert weekly["data"][0]["y"] == [2, 0, 0, 2, 2]
    assert weekly["data"][1]["y"] == [0, 1, 0, 2, 0]


def test_heating_up_gives_these_rises(workspace: dict[str, Contact]) -> None:
    with clock.frozen(NOW):
        found = [(c.first_name, rise) for c, rise in heating_up(limit=100)]
        top = [(c.first_name, rise) for c, rise in heating_up(limit=3)]

    assert found == [
        ("Nia", 200.0), ("Ava", 62.6), ("Gus", 51.0), ("Max", 47.0), ("Pam", 39.1), ("Quin", 35.7), ("Cal", 35.0),
        ("Ben", 34.0), ("Hal", 30.0), ("Ida", 30.0), ("Lea", 27.0), ("Kai", 22.0), ("Dee", 20.0),
    ]  # fmt: skip
    assert top == found[:3]


def test_the_heating_up_list_shows_these_contacts_in_this_order(client_as: Any, workspace: dict[str, Contact]) -> None:
    response = get(client_as("viewer"), "/contacts/?heating=1")

    assert [c.first_name for c in response.context["page"].object_list] == [
        "Nia", "Ava", "Gus", "Max", "Pam", "Quin", "Cal", "Ben", "Hal", "Ida", "Lea", "Kai", "Dee",
    ]  # fmt: skip
    assert "Showing 1–13 of 13 contacts" in main(response)[0]
