"""`accord import events`: Segment messages from JSON Lines through the real ingest pipeline."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from accord.contacts.models import Contact
from accord.core import clock
from accord.core.models import AuditEntry
from accord.imports import actions
from accord.imports.models import ImportRun
from accord.tracking.campaigns import forget
from accord.tracking.models import Event

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_campaign_cache():
    forget()
    yield
    forget()


def write(tmp_path, lines, name="events.jsonl"):
    path = tmp_path / name
    path.write_bytes(
        b"".join((line if isinstance(line, bytes) else json.dumps(line).encode()) + b"\n" for line in lines)
    )
    return str(path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def report_lines(err):
    """The example lines the summary of problems shows (at most 3 per cause)."""
    return [line.strip() for line in err.splitlines() if line.strip().startswith("line ")]


def track(n, **extra):
    return {"type": "track", "userId": f"u{n % 2}", "event": "Viewed Pricing", "messageId": f"m-{n}",
            "timestamp": "2025-06-01T10:00:00Z", **extra}  # fmt: skip


def test_good_lines_land_and_bad_lines_are_reported_by_line(tmp_path):
    path = write(
        tmp_path,
        [
            {"type": "identify", "userId": "u1", "traits": {"email": "Ana@Acme.io", "firstName": "Ana"},
             "messageId": "m-1", "timestamp": "2025-06-01T09:00:00Z"},  # line 1
            track(1, messageId="m-2"),  # line 2
            b'{"type": "track", "userId": "u1", "event": }',  # line 3: not JSON
            b"",  # line 4: blank, passed over
            {"type": "track", "userId": "u1", "messageId": "m-3"},  # line 5: no event name
            {"type": "page", "name": "Home", "messageId": "m-4"},  # line 6: nobody
            {"type": "page", "anonymousId": "a-9", "name": "Home", "messageId": "m-5",
             "properties": {"url": "https://acme.example/?utm_source=newsletter"}},  # line 7
            b"[1, 2]",  # line 8
            b'{"type": "track", "userId": "u1", "event": "Caf\xe9"}',  # line 9: not UTF-8
        ],
    )  # fmt: skip
    with clock.frozen(NOW):
        out, err = run("events", path, "--report", str(tmp_path / "report.csv"))
    assert "Imported" in out and "3 accepted, 0 duplicates, 5 skipped (8 lines;" in out
    assert err.startswith("5 problems, by field and cause:\n")
    assert report_lines(err) == [
        "line 3: not valid JSON (unexpected character, expected a JSON value at character 44)",
        "line 5: event: a track call needs the event's name",
        "line 6: userId or anonymousId is required",
        "line 8: must be an object",
        "line 9: not UTF-8 text (byte 0xe9 at character 48)",
    ]
    with (tmp_path / "report.csv").open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [
            ["line", "field", "message", "outcome"],
            ["3", "", "not valid JSON (unexpected character, expected a JSON value at character 44)", "row skipped"],
            ["5", "", "event: a track call needs the event's name", "row skipped"],
            ["6", "", "userId or anonymousId is required", "row skipped"],
            ["8", "", "must be an object", "row skipped"],
            ["9", "", "not UTF-8 text (byte 0xe9 at character 48)", "row skipped"],
        ]
    assert sorted(Event.objects.values_list("message_id", flat=True)) == ["m-1", "m-2", "m-5"]
    assert set(Event.objects.values_list("sent_with", flat=True)) == {"import"}
    ana = Contact.objects.get(email="ana@acme.io")
    assert ana.first_name == "Ana" and Event.objects.filter(contact=ana).count() == 2
    viewed = Event.objects.get(type="track")
    assert viewed.timestamp == dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC) and viewed.received_at == NOW
    entry = AuditEntry.objects.get(action="events_import")
    assert (entry.details["accepted"], entry.details["skipped"]) == (3, 5)


def test_reimporting_counts_duplicates_and_stores_nothing_twice(tmp_path):
    lines = [track(n) for n in range(12)]
    lines.append({"type": "track", "userId": "u1", "event": "No Id", "timestamp": "2025-06-02T10:00:00Z"})
    path = write(tmp_path, lines)
    out, _ = run("events", path, "--batch-size", "5")
    assert "13 accepted, 0 duplicates, 0 skipped" in out
    out, _ = run("events", path)
    assert "0 accepted, 13 duplicates, 0 skipped" in out  # a line without messageId too: its id comes from the line
    assert Event.objects.count() == 13
    assert ImportRun.objects.count() == 2


def test_an_exported_message_lands_when_it_happened(tmp_path):
    sent = {"sentAt": "2025-06-01T10:00:05Z", "receivedAt": "2025-06-01T10:00:03Z"}
    own_clock = {k: v for k, v in track(3, **sent).items() if k != "timestamp"}
    path = write(
        tmp_path,
        [
            track(1, **sent),  # Segment's export: its timestamp is corrected already
            track(2, sentAt="2025-06-01T10:00:05Z"),
            {**own_clock, "originalTimestamp": "2025-06-01T10:00:00Z"},  # only the sender's clock
        ],
    )
    with clock.frozen(NOW):
        run("events", path, "--key-prefix", "segment-2025")
    times = dict(Event.objects.values_list("message_id", "timestamp"))
    assert times == {
        "m-1": dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC),  # kept as it is, not corrected a second time
        "m-2": dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC),  # as sent: sentAt dropped, no receivedAt
        "m-3": dt.datetime(2025, 6, 1, 9, 59, 58, tzinfo=dt.UTC),  # corrected against its own receivedAt
    }
    assert set(Event.objects.values_list("sent_with", flat=True)) == {"segment-2025"}


def test_a_crashed_events_import_resumes(tmp_path, monkeypatch):
    path = write(tmp_path, [track(n) for n in range(25)])
    real = actions._write_events_batch
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the machine went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "_write_events_batch", flaky)
    with pytest.raises(RuntimeError):
        run("events", path, "--batch-size", "10")
    monkeypatch.undo()
    assert Event.objects.count() == 10
    assert ImportRun.objects.get().last_line == 10
    out, _ = run("events", path, "--batch-size", "10")
    assert "Resumed an unfinished import after line 10." in out
    assert "25 accepted, 0 duplicates, 0 skipped (25 lines;" in out
    assert Event.objects.count() == 25


def test_a_file_of_only_bad_lines_exits_2(tmp_path):
    path = write(tmp_path, [b"{", {"type": "track", "event": "X"}])
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", "events", path, stdout=out, stderr=err)
    assert caught.value.returncode == 2
    assert report_lines(err.getvalue()) == [
        "line 1: not valid JSON (unexpected end of data at character 2)",
        "line 2: userId or anonymousId is required",
    ]
    assert Event.objects.count() == 0


def test_a_missing_file_or_a_long_key_prefix_exits_1(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("import", "events", str(tmp_path / "nope.jsonl"), stdout=io.StringIO())
    assert caught.value.returncode == 1 and "cannot read" in str(caught.value)
    path = write(tmp_path, [track(1)])
    with pytest.raises(CommandError, match="the key prefix must be 1 to 16 characters"):
        call_command("import", "events", path, "--key-prefix", "x" * 17, stdout=io.StringIO())
    assert ImportRun.objects.count() == 0
