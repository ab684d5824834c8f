"""Scores as people see them: the contact page's Score panel, the contact list's score column,
quadrant and heating-up filters and sorting, and the overview's Heating up and quadrant cards."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from accord.contacts.models import Account, Contact
from accord.contacts.tests.scores import create_scored, given_scores
from accord.core import clock
from accord.playbook.queries import active_playbook
from accord.scoring.models import ScoreChange
from accord.scoring.tests.events import ingest, message

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
OFFER_AT = NOW - dt.timedelta(days=14)
PRICING_AT = NOW - dt.timedelta(days=3)


def text(response: Any) -> str:
    """The response body with tags removed and whitespace collapsed, as a person reads it."""
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


class _Element(HTMLParser):
    """Collects the text inside the element with a given id."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id, self.depth, self.parts, self.found = element_id, 0, [], False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id and not self.found:
            self.depth, self.found = 1, True

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and self.lasttag != "script":
            self.parts.append(data)


def section(response: Any, element_id: str) -> str:
    """The text of the element with id `element_id`, as a person reads it."""
    parser = _Element(element_id)
    parser.feed(response.content.decode())
    assert parser.found, f"no element #{element_id}"
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


def pricing(contact: Contact, at: dt.datetime) -> dict[str, Any]:
    return message(contact, "page", at, properties={"path": "/pricing", "url": "https://acme.test/pricing"})


@pytest.fixture
def scored(contact: Contact) -> Contact:
    """Ada (fit 75, A; a marketing leader) with an offer 14 days ago, three pricing views 3 days
    ago and a demo request today, each batch scored as it came in."""
    ingest(
        OFFER_AT,
        message(contact, "identify", OFFER_AT, traits={"email": contact.email}),
        message(contact, "track", OFFER_AT, event="Form Submitted", properties={"offer": "Guide"}),
    )
    ingest(PRICING_AT, *[pricing(contact, PRICING_AT) for _ in range(3)])
    ingest(NOW, message(contact, "track", NOW, event="Demo Requested"))
    contact.refresh_from_db()
    return contact


def get(client: Any, url: str, **extra: Any) -> Any:
    with clock.frozen(NOW):
        return client.get(url, **extra)


# --------------------------------------------------------------------------- the contact page


def test_the_score_panel_shows_the_scores_why_the_trend_and_the_history(client_as: Any, scored: Contact) -> None:
    # Interest today: 50 + 20·2^(-3/30) + 15·2^(-14/30) = 79.52; a week ago 15·2^(-7/30) = 12.76.
    response = get(client_as("viewer"), f"/contacts/{scored.pk}/")

    assert response.status_code == 200
    assert section(response, "score-when") == "Scored just now · 2 Nov 2026, 15:00 under playbook v1"
    assert section(response, "score-fit") == "Fit A 75 points Persona: Marketing leader"
    assert section(response, "score-interest") == (
        "Interest Heating up 80 +67 in 7 days · at most 200 Last 60 days · dotted line: high interest (40)"
    )
    assert section(response, "fit-rules") == (
        "✓ In a target industry +20 ✓ 200 employees or more +20 ✗ Fewer than 20 employees −15 "
        "✓ Director level or above +25 ✓ In a country we sell to +10 ✗ Uses a free mailbox −20"
    )
    body = text(response)
    assert "Matched rules add up to 75 points . Grades: A from 60, B from 40, C from 20." in body
    assert "stored score" not in body  # the stored score is the one the rules give
    assert section(response, "contributions") == (
        "Rule Day Earned Worth today "
        "Asked for a demo 2 Nov 50 50.0 "
        "Viewed the pricing page ×3 30 Oct 20 18.7 "
        "Downloaded an offer 19 Oct 15 10.9"
    )
    assert "Points lose half their worth every 30 days." in body
    assert section(response, "score-changes") == (
        "When Why Fit Interest Quadrant "
        "2 Nov 2026, 15:00 Activity · Asked for a demo ×1 · v1 A (75) 79.5 +47.9 Ready "
        "30 Oct 2026, 15:00 Activity · Viewed the pricing page ×3 · v1 A (75) 31.6 +16.6 Nurture "
        "19 Oct 2026, 15:00 Activity · Downloaded an offer ×1 · v1 A (75) 15.0 Nurture"
    )


def test_the_quadrant_grid_marks_the_contacts_cell(client_as: Any, scored: Contact) -> None:
    response = get(client_as("viewer"), f"/contacts/{scored.pk}/")

    html = response.content.decode()
    current = re.findall(
        r'<td class="quadrant-grid__cell[^"]*is-current"[^>]*aria-current="true"[^>]*>\s*(\w[\w ]*)', html
    )
    assert current == ["Ready"]
    assert section(response, "score-quadrant") == (
        "Quadrant Fit × interest; this contact is in Ready Interest Fit A, B Fit C, D "
        "Interest ≥ 40 Ready (this contact) Check fit Interest < 40 Nurture Low Ready : good fit, high interest"
    )


def test_the_sparkline_carries_the_60_day_curve_and_plotly_comes_from_the_site(client_as: Any, scored: Contact) -> None:
    response = get(client_as("viewer"), f"/contacts/{scored.pk}/")

    html = response.content.decode()
    assert '<script src="/static/vendor/plotly.min.js" defer></script>' in html
    assert 'data-plotly="score-trend-data"' in html
    figure = json.loads(
        re.search(r'<script id="score-trend-data" type="application/json">(.*?)</script>', html, re.S)[1]
    )
    trace = figure["data"][0]
    assert (trace["x"][0], trace["x"][-1], len(trace["x"])) == ("2026-09-04", "2026-11-02", 60)
    assert trace["y"][:45] == [0.0] * 45
    assert (trace["y"][45], trace["y"][52], trace["y"][-1]) == (15.0, 12.76, 79.52)
    assert figure["layout"]["shapes"][0]["y0"] == 40.0  # the high-interest line
    label = re.search(r'id="score-trend"[^>]*aria-label="([^"]*)"', html)[1]
    assert label == "Interest over the last 60 days: 0 on 4 Sep, highest 79.52 on 2 Nov, 79.52 today"


def test_a_contact_never_scored_shows_the_rules_worked_out_now_and_no_chart(client_as: Any, contact: Contact) -> None:
    response = get(client_as("viewer"), f"/contacts/{contact.pk}/")

    html = response.content.decode()
    assert section(response, "score-when") == "Not scored yet: worked out now under playbook v1"
    assert section(response, "score-fit") == "Fit A 75 points Persona: Marketing leader"
    assert section(response, "score-interest") == (
        "Interest 0 unchanged in 7 days · at most 200 No interest in the last 60 days."
    )
    assert "plotly.min.js" not in html and "data-plotly" not in html
    assert 'id="heating-up"' not in html
    body = text(response)
    assert "Nothing the interest rules count." in body
    assert "No score changes yet." in body
    assert ScoreChange.objects.count() == 0  # showing the page scores nothing
    contact.refresh_from_db()
    assert contact.fit_score is None


def test_a_stored_score_that_the_rules_no_longer_give_says_so(client_as: Any, contact: Contact) -> None:
    given_scores(contact, fit_score=55, fit_grade="B", interest_score=12.0, quadrant="nurture", scored_at=NOW)

    response = get(client_as("viewer"), f"/contacts/{contact.pk}/")

    assert section(response, "score-fit") == "Fit B 55 points No persona matches"
    assert (
        "Matched rules add up to 75 points . Grades: A from 60, B from 40, C from 20. The stored score (55) is "
        "from before the latest change of the contact or the playbook; it is scored again shortly."
    ) in text(response)


def test_interest_at_the_playbooks_maximum_says_it_is_capped(client_as: Any, contact: Contact) -> None:
    given_scores(contact, fit_score=75, fit_grade="A", interest_score=200.0, quadrant="ready", scored_at=NOW)

    response = get(client_as("viewer"), f"/contacts/{contact.pk}/")

    assert section(response, "score-interest") == (
        "Interest 200 unchanged in 7 days · capped at 200 No interest in the last 60 days."
    )


def test_a_stage_change_by_htmx_renders_the_score_panel_again(client_as: Any, scored: Contact) -> None:
    with clock.frozen(NOW):
        response = client_as("sales_rep").post(
            f"/contacts/{scored.pk}/stage/", {"stage": "sql"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="lifecycle"
        )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="lifecycle"')
    assert section(response, "score-fit") == "Fit A 75 points Persona: Marketing leader"
    assert 'data-plotly="score-trend-data"' in html and 'id="heating-up"' in html


# --------------------------------------------------------------------------- the contact list


@pytest.fixture
def people(account: Account) -> dict[str, Contact]:
    """Four scored contacts, one per quadrant, and one not scored."""
    rows = {
        "ready": ("Rea", "A", 70, 64.0),
        "nurture": ("Nur", "B", 45, 12.5),
        "check_fit": ("Che", "C", 25, 51.0),
        "low": ("Low", "D", 5, 3.0),
    }
    made = {
        quadrant: create_scored(
            email=f"{name.lower()}@acme.com", first_name=name, account=account, scores={"fit_grade": grade,
            "fit_score": fit, "interest_score": interest, "quadrant": quadrant, "scored_at": NOW},
        )
        for quadrant, (name, grade, fit, interest) in rows.items()
    }  # fmt: skip
    made["none"] = Contact.objects.create(email="una@acme.com", first_name="Una", account=account)
    return made


def names(response: Any) -> list[str]:
    return [c.first_name for c in response.context["page"].object_list]


def test_the_list_shows_grade_and_interest(client_as: Any, people: dict[str, Contact]) -> None:
    body = text(get(client_as("viewer"), "/contacts/?sort=interest"))

    assert "Rea rea@acme.com Acme Corp A 64 Unowned" in body
    assert "Nur nur@acme.com Acme Corp B 13 Unowned" in body
    assert "Una una@acme.com Acme Corp not scored Unowned" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("quadrant=ready", ["Rea"]),
        ("quadrant=check_fit", ["Che"]),
        ("quadrant=low", ["Low"]),
        ("sort=interest", ["Rea", "Che", "Nur", "Low", "Una"]),
        ("sort=fit", ["Rea", "Nur", "Che", "Low", "Una"]),
        ("quadrant=nurture&sort=interest", ["Nur"]),
        ("quadrant=hot&q=ch", ["Che"]),  # an unknown quadrant drops only its own filter
        ("sort=sideways&quadrant=low", ["Low"]),
    ],
)
def test_the_list_filters_by_quadrant_and_sorts_by_score(
    client_as: Any, people: dict[str, Contact], query: str, expected: list[str]
) -> None:
    assert names(get(client_as("viewer"), f"/contacts/?{query}")) == expected


def score_change(contact: Contact, *, at: dt.datetime, previous: float | None, interest: float) -> ScoreChange:
    return ScoreChange.objects.create(
        contact=contact, at=at, cause="event", playbook_version=active_playbook(), fit_score=contact.fit_score or 0,
        fit_grade=contact.fit_grade, interest_score=interest, quadrant=contact.quadrant, previous_interest=previous,
    )  # fmt: skip


@pytest.fixture
def heating(people: dict[str, Contact]) -> dict[str, Contact]:
    """This week Rea rose 3 → 64 (+61) and Che 21 → 51 (+30); Nur rose 2.5 → 12.5 (+10, under the
    threshold of 20); Low's rise was 9 days ago (outside the week)."""
    score_change(people["ready"], at=NOW - dt.timedelta(days=5), previous=3.0, interest=40.0)
    score_change(people["ready"], at=NOW - dt.timedelta(days=1), previous=40.0, interest=64.0)
    score_change(people["check_fit"], at=NOW - dt.timedelta(days=2), previous=21.0, interest=51.0)
    score_change(people["nurture"], at=NOW - dt.timedelta(days=2), previous=2.5, interest=12.5)
    score_change(people["low"], at=NOW - dt.timedelta(days=9), previous=0.0, interest=30.0)
    return people


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("heating=1", ["Rea", "Che"]),
        ("heating=1&quadrant=check_fit", ["Che"]),
        ("heating=1&sort=fit", ["Rea", "Che"]),
        ("heating=1&quadrant=low", []),
    ],
)
def test_the_list_shows_who_is_heating_up(
    client_as: Any, heating: dict[str, Contact], query: str, expected: list[str]
) -> None:
    assert names(get(client_as("viewer"), f"/contacts/?{query}")) == expected


def test_the_list_keeps_the_score_filters_in_the_form(client_as: Any, heating: dict[str, Contact]) -> None:
    response = get(client_as("viewer"), "/contacts/?quadrant=ready&sort=interest&heating=1")

    assert names(response) == ["Rea"]
    html = response.content.decode()
    assert '<option value="ready" selected>Ready (good fit, high interest)</option>' in html
    assert '<option value="interest" selected>Interest, highest first</option>' in html
    assert 'id="heating" name="heating" value="1" checked' in html
    assert 'aria-sort="descending"' in html


# --------------------------------------------------------------------------- the overview


def test_the_overview_lists_who_is_heating_up_and_counts_the_quadrants(client_as: Any, heating: Any) -> None:
    response = get(client_as("viewer"), "/")

    assert section(response, "heating") == (
        "Heating up All contacts heating up Interest up by the playbook's heating-up points or more in the last "
        "7 days, fastest first. A Rea +61 to 64 Acme Corp C Che +30 to 51 Acme Corp"
    )
    html = response.content.decode()
    assert f'href="/contacts/{heating["ready"].pk}/">Rea</a>' in html
    assert 'href="/contacts/?heating=1"' in html
    assert section(response, "quadrants") == (
        "Contacts by quadrant Fit × interest. Open a cell to see its contacts. Interest Fit A, B Fit C, D "
        "Interest ≥ 40 1 Ready 1 Check fit Interest < 40 1 Nurture 1 Low 1 contact not scored yet."
    )
    assert 'href="/contacts/?quadrant=check_fit"' in html


def test_the_overview_says_when_nobody_is_heating_up(client_as: Any, db: Any) -> None:
    response = get(client_as("viewer"), "/")

    assert "Nobody's interest rose that fast this week." in text(response)
    assert 'href="/contacts/?heating=1"' not in response.content.decode()


# --------------------------------------------------------------------------- one read for the API and the page


def test_the_api_and_the_score_panel_show_the_same_contact_score(
    client_as: Any, api_key: Any, scored: Contact, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accord.scoring import queries
    from accord.web.presenters import scores as presenters
    from accord.web.views import contacts as views

    real = queries.contact_score
    read: list[tuple[str, int, queries.ContactScore]] = []

    def spy(where: str) -> Any:
        def contact_score(contact: Contact, *, now: dt.datetime, history: int = 20) -> queries.ContactScore:
            score = real(contact, now=now, history=history)
            read.append((where, history, score))
            return score

        return contact_score

    monkeypatch.setattr(queries, "contact_score", spy("api"))
    monkeypatch.setattr(views, "contact_score", spy("page"))

    answer = get(api_key("read"), f"/contacts/{scored.pk}/score")
    page = get(client_as("viewer"), f"/contacts/{scored.pk}/")

    assert (answer.status_code, page.status_code) == (200, 200)
    assert [(where, history) for where, history, _ in read] == [("api", 20), ("page", presenters.PANEL_CHANGES)]
    (_, _, api_score), (_, _, page_score) = read
    assert api_score == page_score  # three score changes: within both limits
    assert page_score.contact_id == scored.pk and page_score.now == NOW
    assert page.context["score"] == presenters.score_panel(page_score)
    body = answer.data
    assert body["breakdown"]["fit"] == page_score.breakdown["fit"]
    assert body["breakdown"]["interest"]["contributions"] == page_score.breakdown["interest"]["contributions"]
    assert body["trend"] == page_score.trend
    assert [h["at"] for h in body["history"]] == [c.at.isoformat().replace("+00:00", "Z") for c in page_score.history]
    assert (body["current"]["fit_grade"], body["current"]["persona"]["name"]) == ("A", "Marketing leader")
    assert (page.context["score"]["grade"], page.context["score"]["persona"]) == ("A", "Marketing leader")


def test_the_score_panel_presenter_formats_a_contact_score_and_runs_no_query(
    scored: Contact, django_assert_num_queries: Any
) -> None:
    from accord.scoring.queries import contact_score
    from accord.web.presenters.scores import PANEL_CHANGES, score_panel

    contact = Contact.objects.get(pk=scored.pk)  # the scoring version not loaded with it
    with clock.frozen(NOW):
        score = contact_score(contact, now=NOW, history=PANEL_CHANGES)

    with django_assert_num_queries(0):
        panel = score_panel(score)

    assert (panel["scored"], panel["grade"], panel["fit_score"]) == (True, "A", 75)
    assert panel["persona"] == "Marketing leader"
    assert (panel["score_version"], panel["version"], panel["this_year"]) == (1, 1, 2026)
    assert (panel["heating_up"], panel["trend_days"], panel["quadrant"].key) == (True, 60, "ready")
    assert [row.cause for row in panel["changes"]] == ["Activity", "Activity", "Activity"]
    assert [row.what for row in panel["changes"]] == [
        "Asked for a demo ×1",
        "Viewed the pricing page ×3",
        "Downloaded an offer ×1",
    ]
