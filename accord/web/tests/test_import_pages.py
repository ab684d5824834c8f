"""The Import pages: upload a CSV, the dry run and its mapping, the run in the background, its outcome
and problems, resuming, and who may do any of it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accord.contacts.models import Contact
from accord.core.models import AuditEntry
from accord.imports import actions, background, tasks, uploads
from accord.imports.models import ImportRun
from accord.web.views import imports as views

pytestmark = pytest.mark.django_db

HUBSPOT = (
    "Record ID,First Name,Email,Company Name,Website URL,Country/Region,Original Traffic Source,Lifecycle Stage,"
    "Became a Lead Date\n"
    "101,Ana,ana@acme.io,Acme,acme.io,Germany,Organic Search,Lead,2025-01-10\n"
    "102,Ben,ben@globex.com,Globex,not a url!,United States,Paid Search,Marketing Qualified Lead,2025-02-01\n"
    "103,Cy,not-an-email,Initech,initech.com,France,Direct Traffic,Lead,2025-03-01\n"
    "104,Di,di@acme.io,Acme,acme.io,Atlantis,Referrals,Subscriber,\n"
)


def text(response: Any) -> str:
    """The body as a person reads it: tags removed, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def inline(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The background thread runs in the test's own thread (it shares the test's transaction)."""
    handed: list[dict[str, Any]] = []

    def run_now(**kwargs: Any) -> None:
        handed.append(kwargs)
        tasks.import_run(**kwargs)

    monkeypatch.setattr(background, "in_thread", run_now)
    return handed


def upload(client: Client, content: str = HUBSPOT, *, name: str = "hubspot export.csv", **fields: str) -> Any:
    file = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
    return client.post("/imports/", {"kind": "contacts", "format": "", "file": file, **fields})


def stored(data_dir: Path) -> list[str]:
    folder = data_dir / "imports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def token_of(response: Any) -> str:
    match = re.fullmatch(r"/imports/uploads/([A-Za-z0-9_-]+)/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def selected(html: str, index: int) -> str:
    """The target chosen in the select of column `index` (0-based)."""
    select = re.search(rf'<select id="map-{index}" name="col-{index}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select for column {index}"
    found = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    assert found, f"nothing selected for column {index}"
    return found.group(1)


def was(html: str) -> dict[str, str]:
    """What the page sends back with a change: every column's current target."""
    return dict(re.findall(r'<input type="hidden" name="(was-\d+)" value="([^"]*)">', html))


# --- upload and dry run ---------------------------------------------------------------------------------


def test_an_upload_is_kept_under_a_random_name_and_its_dry_run_shows_how_each_column_is_read(
    client_as: Any, data_dir: Path
) -> None:
    client = client_as("marketing")

    # when a marketing manager uploads a HubSpot export
    response = upload(client)

    # then it is kept in the data dir under a random name, with the name it had beside it, and
    # the browser is sent to its dry run
    assert response.status_code == 303
    token = token_of(response)
    assert stored(data_dir) == sorted([f"{token}.csv", f"{token}.json"])
    assert (data_dir / "imports" / f"{token}.csv").read_text() == HUBSPOT
    assert json.loads((data_dir / "imports" / f"{token}.json").read_text())["name"] == "hubspot export.csv"
    assert "hubspot" not in token

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "hubspot export.csv" in text(page) and token + ".csv" not in html
    assert (
        "Detected the HubSpot format from its columns Record ID , Company Name , Website URL , Country/Region , "
        "Original Traffic Source , Lifecycle Stage , Became a Lead Date ." in text(page)
    )
    assert [selected(html, i) for i in range(9)] == [
        "hubspot_id", "first_name", "email", "account.name", "account.domain", "country", "first_source",
        "hubspot_lifecycle_stage", "became:lead",
    ]  # fmt: skip
    assert "<code>Organic Search</code> <code>Paid Search</code> <code>Direct Traffic</code>" in html
    assert "4 data rows. Of the first 4, 1 would be skipped and 2 imported without a field." in text(page)
    assert re.findall(r"<li>(line .*?)</li>", html) == [
        "line 3: Website URL: &#x27;not a url!&#x27; is not a valid domain (imported without it)",
        "line 4: Email: &#x27;not-an-email&#x27; is not a valid email address",
        "line 5: Country/Region: &#x27;Atlantis&#x27; is not a country name or ISO code (imported without it)",
    ]
    assert "Import 4 rows" in text(page)
    # and nothing was written
    assert not Contact.objects.exists() and not ImportRun.objects.exists()


def test_changing_a_column_reads_the_preview_again_with_the_mapping(client_as: Any) -> None:
    client = client_as("admin")
    address = upload(client)["Location"]
    html = client.get(address).content.decode()

    # when the person sends Original Traffic Source to a custom property (htmx asks for the part)
    response = client.get(
        address,
        {"format": "", "mapping": "{}", **was(html), "col-6": "properties.original_traffic_source"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="import-preview",
    )

    # then the dry run comes back as the part of the page, read with that mapping
    part = response.content.decode()
    assert response.status_code == 200
    assert part.lstrip().startswith('<div id="import-preview"') and "<html" not in part
    assert selected(part, 6) == "properties.original_traffic_source"
    assert "Mapped by you" in part
    assert '<code>original_traffic_source</code> <span class="tag">text</span>' in part
    mapping = {"Original Traffic Source": "properties.original_traffic_source"}
    assert (
        '<input type="hidden" name="mapping" value="{&quot;Original Traffic Source&quot;:&quot;properties.original_traffic_source&quot;}">'
        in part
    )
    # and the next change keeps it
    again = client.get(
        address,
        {"mapping": json.dumps(mapping), **was(part), "col-7": "skip"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="import-preview",
    ).content.decode()
    assert selected(again, 6) == "properties.original_traffic_source" and selected(again, 7) == "skip"


def test_a_bad_mapping_is_shown_by_its_column_and_the_preview_stays_as_it_was(client_as: Any) -> None:
    client = client_as("admin")
    address = upload(client)["Location"]
    html = client.get(address).content.decode()

    # a target that is not a field
    response = client.get(address, {"mapping": "{}", **was(html), "col-1": "nickname"})
    assert response.status_code == 422
    assert "&#x27;nickname&#x27; is not a contact field Accord can import" in response.content.decode()
    assert selected(response.content.decode(), 1) == "first_name"

    # a change that leaves the file without a column that identifies a contact
    mapping = json.dumps({"Record ID": "skip", "Company Name": "skip"})
    response = client.get(address, {"mapping": mapping, **was(html), "was-0": "skip", "was-3": "skip", "col-2": "skip"})
    part = response.content.decode()
    assert response.status_code == 422
    error = re.search(r'<p class="field__error" id="map-2-error">(.*?)</p>', part)
    assert error and error.group(1).startswith("The header has no column that identifies a contact")
    assert (selected(part, 0), selected(part, 2), selected(part, 3)) == ("skip", "email", "skip")
    assert not ImportRun.objects.exists()


def test_an_unreadable_file_says_why(client_as: Any) -> None:
    client = client_as("admin")
    response = client.get(upload(client, "Name,Phone\nAna,123\n", name="people.csv")["Location"])

    assert response.status_code == 422
    assert "people.csv: the header has no column that identifies a contact" in text(response)


# --- the run ---------------------------------------------------------------------------------------


def test_import_runs_in_the_background_to_the_end_and_shows_its_outcome(
    client_as: Any, users: dict[str, Any], inline: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_as("marketing")
    token = token_of(upload(client))
    mapping = {"Original Traffic Source": "properties.original_traffic_source"}

    # when the person starts the import with their mapping
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/uploads/{token}/start/", {"format": "", "mapping": json.dumps(mapping)})

    # then the browser goes to the run's page, and the run was handed to the background once
    run = ImportRun.objects.get()
    assert response.status_code == 303 and response["Location"] == f"/imports/runs/{run.pk}/"
    assert [kwargs["run_id"] for kwargs in inline] == [run.pk]
    # and the action imported the file as the command line would
    assert (run.status, run.created, run.updated, run.unchanged, run.skipped, run.history) == (
        "finished", 3, 0, 0, 1, 4
    )  # fmt: skip
    assert (run.rows_done, run.total_rows, run.invocations, run.by_user, run.format) == (
        4, 4, 1, users["marketing"], "hubspot"
    )  # fmt: skip
    assert run.path == str(uploads.folder() / f"{token}.csv")
    assert run.options["mapping"] == {"original traffic source": "properties.original_traffic_source"}
    ana = Contact.objects.get(email="ana@acme.io")
    assert ana.properties["original_traffic_source"] == "Organic Search" and ana.first_source == ""
    assert AuditEntry.objects.filter(action="contacts_import", actor=users["marketing"]).count() == 1

    page = client.get(response["Location"])
    shown = text(page)
    html = page.content.decode()
    assert "Finished: 4 of 4 rows (100%)" in shown
    assert '<progress id="import-progress-bar" class="import-progress" max="100" value="100"' in html
    assert "hx-trigger" not in html.partition('<main')[2]  # nothing more to poll (the header's unread count polls)
    counts = dict(re.findall(r'<div data-count="(\w+)"><dt>[^<]+</dt><dd>(\d+)</dd></div>', html))
    assert counts == {"created": "3", "updated": "0", "unchanged": "0", "skipped": "1", "history": "4"}
    assert re.findall(r'<tr data-field="([^"]+)">', html) == ["Website URL", "Email", "Country/Region"]
    assert "Website URL is not a valid domain imported without it 1" in shown
    assert "Email is not a valid email address row skipped 1" in shown
    assert f'href="/imports/runs/{run.pk}/problems.csv" download>Download the problems as CSV' in html
    assert "hubspot export.csv" in shown

    # and the Import page lists it
    listed = client.get("/imports/")
    assert f'<a href="/imports/runs/{run.pk}/">hubspot export.csv</a>' in listed.content.decode()


def test_the_problems_download_lists_every_problem(
    client_as: Any, inline: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_as("admin")
    token = token_of(upload(client))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/uploads/{token}/start/", {"mapping": "{}"})
    run = ImportRun.objects.get()

    response = client.get(f"/imports/runs/{run.pk}/problems.csv")

    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="accord-import-{run.pk}-problems.csv"'
    body = b"".join(response.streaming_content).decode()
    assert list(csv.reader(io.StringIO(body))) == [
        ["line", "field", "message", "outcome"],
        ["3", "Website URL", "'not a url!' is not a valid domain", "imported without it"],
        ["4", "Email", "'not-an-email' is not a valid email address", "row skipped"],
        ["5", "Country/Region", "'Atlantis' is not a country name or ISO code", "imported without it"],
    ]


def test_a_run_in_progress_polls_and_a_second_start_of_the_file_is_refused(
    client_as: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(background, "in_thread", lambda **kwargs: None)  # handed over, not started yet
    client = client_as("admin")
    token = token_of(upload(client))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/uploads/{token}/start/", {"mapping": "{}"})
    run = ImportRun.objects.get()

    page = client.get(f"/imports/runs/{run.pk}/")
    assert "Waiting to start: 4 rows to import." in text(page)
    assert f'hx-get="/imports/runs/{run.pk}/" hx-trigger="every 1s"' in page.content.decode()

    ImportRun.objects.filter(pk=run.pk).update(rows_done=2, invocations=1)
    part = client.get(f"/imports/runs/{run.pk}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="import-run-status")
    assert part.content.decode().lstrip().startswith('<div id="import-run-status"')
    assert "Importing: 2 of 4 rows (50%)." in text(part)
    assert 'max="100" value="50"' in part.content.decode()

    again = client.post(f"/imports/uploads/{token}/start/", {"mapping": "{}"})
    assert again.status_code == 409
    assert "hubspot export.csv is being imported already; follow it on its page" in text(again)
    assert ImportRun.objects.count() == 1


def test_an_error_in_the_background_marks_the_run_failed_with_its_message(
    client_as: Any, monkeypatch: pytest.MonkeyPatch, inline: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(actions, "contacts_import", broken)
    client = client_as("admin")
    token = token_of(upload(client))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/uploads/{token}/start/", {"mapping": "{}"})

    run = ImportRun.objects.get()
    assert (run.status, run.error) == ("failed", "RuntimeError: the disk is full")
    assert run.finished_at is not None
    assert AuditEntry.objects.get(action="contacts_import").details["status"] == "failed"
    page = client.get(f"/imports/runs/{run.pk}/")
    assert "Failed after 0 of 4 rows (0%)." in text(page) and "RuntimeError: the disk is full" in text(page)
    # a task delivered again leaves the failed run as it is
    assert tasks.import_run(**inline[0]) == "failed"


def test_a_run_stopped_part_way_is_resumed_from_its_page(
    client_as: Any, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch, inline: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    client = client_as("admin")
    token = token_of(upload(client))
    path = str(uploads.folder() / f"{token}.csv")
    # given an import whose process went away after its first batch of two rows
    real = actions._Importer._write
    calls = {"n": 0}

    def dies(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("the server restarted")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(actions._Importer, "_write", dies)
    with pytest.raises(SystemExit):
        actions.contacts_import(path=path, batch_size=2, acting_user=users["admin"])
    monkeypatch.setattr(actions._Importer, "_write", real)
    run = ImportRun.objects.get()
    assert (run.status, run.rows_done, run.last_line) == ("running", 2, 3)

    # while it may still be at work, it is not offered, and a resume is refused
    assert "Resume after line" not in text(client.get(f"/imports/runs/{run.pk}/"))
    early = client.post(f"/imports/runs/{run.pk}/resume/")
    assert early.status_code == 409 and "still at work" in text(early)
    assert inline == []

    # once it has been silent for long enough, its page offers to resume it
    ImportRun.objects.filter(pk=run.pk).update(updated_at=run.updated_at - dt.timedelta(minutes=6))
    page = client.get(f"/imports/runs/{run.pk}/")
    assert "Stopped after line 3: 2 of 4 rows (50%)." in text(page)
    assert "Resume after line 3" in text(page) and "hx-trigger" not in page.content.decode().partition("<main")[2]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/runs/{run.pk}/resume/")

    assert response.status_code == 303 and response["Location"] == f"/imports/runs/{run.pk}/"
    run.refresh_from_db()
    assert (run.status, run.rows_done, run.created, run.skipped, run.invocations) == ("finished", 4, 3, 1, 2)
    assert Contact.objects.count() == 3
    # a task delivered twice does nothing the second time
    assert tasks.import_run(**inline[0]) == "finished"


# --- who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "may"), [("admin", True), ("marketing", True), ("viewer", False)])
def test_the_navigation_shows_import_to_those_who_may(client_as: Any, role: str, may: bool) -> None:
    html = client_as(role).get("/").content.decode()
    assert ('<a href="/imports/">Import</a>' in html) is may


def test_a_viewer_is_refused_everywhere_and_nothing_is_written(
    client_as: Any, data_dir: Path, inline: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    token = token_of(upload(client_as("admin")))
    before = stored(data_dir)
    viewer = client_as("viewer")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            viewer.get("/imports/"),
            upload(viewer),
            viewer.get(f"/imports/uploads/{token}/"),
            viewer.post(f"/imports/uploads/{token}/start/", {"mapping": "{}"}),
        ]

    assert [a.status_code for a in answers] == [403, 403, 403, 403]
    assert "Only RevOps admins and marketing managers can import contacts, accounts and events from files." in text(
        answers[0]
    )
    assert stored(data_dir) == before and not ImportRun.objects.exists() and not Contact.objects.exists()


def test_forms_need_the_csrf_token(client_as: Any, users: dict[str, Any], data_dir: Path) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])

    assert upload(client).status_code == 403
    assert stored(data_dir) == []


def test_a_file_over_the_limit_is_refused_and_not_kept(
    client_as: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 100)
    client = client_as("admin")

    response = upload(client)

    assert response.status_code == 413
    assert "The file is larger than 100 bytes, the most Accord takes from the browser" in text(response)
    assert stored(data_dir) == []

    # the page takes bodies above the limit of other requests, up to its own; larger ones are
    # answered before they are read
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 10_000)
    monkeypatch.setattr(views.import_page, "max_body_bytes", 2_000)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 500
    assert client.post("/contacts/new/", {"email": "x" * 600 + "@example.com"}).status_code == 413
    assert upload(client).status_code == 303
    response = upload(client, HUBSPOT * 5)
    assert response.status_code == 413 and "the limit is 2000 bytes" in response.json()["detail"]
    assert len(stored(data_dir)) == 2


def test_with_a_broker_the_run_goes_to_a_worker(
    client_as: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks.import_run, "delay", lambda **kwargs: queued.append(kwargs))
    monkeypatch.setattr(background, "in_thread", lambda **kwargs: pytest.fail("no thread with a broker"))
    client = client_as("admin")
    token = token_of(upload(client))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/uploads/{token}/start/", {"mapping": "{}"})

    run = ImportRun.objects.get()
    assert queued == [{"run_id": run.pk, "acting_user_id": run.by_user_id, "claimed_at": run.updated_at.isoformat()}]
    assert (run.status, run.invocations, run.rows_done) == ("running", 0, 0)


def test_a_task_overtaken_by_a_resume_does_nothing(
    client_as: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    handed: list[dict[str, Any]] = []
    monkeypatch.setattr(background, "in_thread", lambda **kwargs: handed.append(kwargs))
    client = client_as("admin")
    token = token_of(upload(client))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/uploads/{token}/start/", {"mapping": "{}"})
    run = ImportRun.objects.get()
    # given a queued task that never started, and a resume once the run had been silent
    ImportRun.objects.filter(pk=run.pk).update(updated_at=run.updated_at - dt.timedelta(minutes=6))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/imports/runs/{run.pk}/resume/").status_code == 303
    assert len(handed) == 2

    # when the first task starts at last, it leaves the run to the second
    assert tasks.import_run(**handed[0]) == "running"
    assert not Contact.objects.exists()
    assert tasks.import_run(**handed[1]) == "finished"
    run.refresh_from_db()
    assert (run.status, run.created, run.invocations) == ("finished", 3, 1)
