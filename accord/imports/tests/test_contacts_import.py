"""`accord import contacts`: what lands, what is reported by line, upserts, accounts, resuming."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accord.contacts.models import Account, Contact
from accord.core import clock
from accord.core.models import AuditEntry
from accord.imports import actions
from accord.imports.models import ImportProblem, ImportRun
from accord.lifecycle.models import StageChange

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def write(tmp_path, rows, name="contacts.csv", *, delimiter=","):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return str(path)


def run(*args):
    """(stdout, stderr) of `accord import …`; raises CommandError as the command does."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing(*args):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", *args, stdout=out, stderr=err)
    return caught.value, out.getvalue(), err.getvalue()


def report_lines(err):
    return [line for line in err.splitlines() if line.startswith("line ")]


# --- the three formats ----------------------------------------------------------------------------


def test_an_accord_file_creates_contacts_with_accounts_and_properties(tmp_path, users):
    path = write(
        tmp_path,
        [
            [
                "email",
                "first_name",
                "last_name",
                "title",
                "seniority",
                "country",
                "company",
                "domain",
                "consent",
                "shoe_size",
            ],
            ["Ana@Acme.io", "Ana", "Lima", "CTO", "c_level", "de", "Acme", "acme.io", "yes", "38"],
            ["ben@gmail.com", "Ben", "Okafor", "", "", "", "", "", "", ""],
        ],
    )
    with clock.frozen(NOW):
        out, err = run("contacts", path, "--owner", "marketing@example.com")
    assert "Detected the accord format (first_name, last_name, seniority, domain, consent)." in out
    assert "0 updated, 0 unchanged, 0 skipped (2 rows;" in out and ": 2 created" in out
    assert err == ""
    ana = Contact.objects.get(email="ana@acme.io")
    assert (ana.first_name, ana.title, ana.seniority, ana.country, ana.consent, ana.consent_at) == (
        "Ana", "CTO", "c_level", "DE", True, NOW,
    )  # fmt: skip
    assert ana.properties == {"shoe_size": "38"}
    assert (ana.account.name, ana.account.domain) == ("Acme", "acme.io")
    assert ana.owner == users["marketing"]
    ben = Contact.objects.get(email="ben@gmail.com")
    assert (ben.account, ben.consent, ben.properties, ben.stage) == (None, None, {}, "")


def test_a_hubspot_export_maps_ids_source_country_and_lifecycle_without_moving_stages(tmp_path, users):
    header = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Job Title", "Company Name",
              "Country/Region", "Lifecycle Stage", "Lead Status", "Contact owner", "Create Date", "Original Source",
              "Original Source Drill-Down 1", "Marketing contact status"]  # fmt: skip
    path = write(
        tmp_path,
        [
            header,
            [
                "5101",
                "Ana",
                "Lima",
                "ana@acme.io",
                "+49 30 1234",
                "CTO",
                "Acme GmbH",
                "Germany",
                "Marketing Qualified Lead",
                "Open",
                "Sales Rep",
                "2025-04-01 10:00",
                "Organic Search",
                "google",
                "Marketing contact",
            ],
            [
                "5102",
                "Ben",
                "Okafor",
                "ben@globex.com",
                "",
                "VP Sales",
                "Globex",
                "Atlantis",
                "customer",
                "",
                "Nobody Here",
                "2025-04-02 11:00",
                "Paid Search",
                "",
                "",
            ],
        ],
        name="hubspot-crm-exports-all-contacts-2026-03-01.csv",
    )
    out, _ = run("contacts", path)
    assert out.startswith(
        "Detected the hubspot format (Record ID, Phone Number, Job Title, Company Name, Country/Region,"
    )
    ana, ben = Contact.objects.get(hubspot_id="5101"), Contact.objects.get(hubspot_id="5102")
    assert (ana.email, ana.phone, ana.title, ana.country, ana.first_source) == (
        "ana@acme.io", "+49 30 1234", "CTO", "DE", "Organic Search",
    )  # fmt: skip
    assert ana.properties == {
        "hubspot_lifecycle_stage": "marketingqualifiedlead",
        "lead_status": "Open",
        "create_date": "2025-04-01 10:00",
        "original_source_drill_down_1": "google",
        "marketing_contact_status": "Marketing contact",
    }
    assert ana.owner == users["sales_rep"]  # "Sales Rep" is that user's name
    assert (ana.account.name, ana.account.domain) == ("Acme GmbH", "acme.io")
    assert ben.country == "" and ben.properties["country_region"] == "Atlantis"
    assert ben.owner is None and ben.properties["contact_owner"] == "Nobody Here"
    assert ben.properties["hubspot_lifecycle_stage"] == "customer"
    # the lifecycle stage is recorded, never moved: stage moves go through the stage machine
    assert (ana.stage, ben.stage, StageChange.objects.count()) == ("", "", 0)


def test_a_salesforce_lead_report_fills_the_id_source_and_the_account(tmp_path):
    path = write(
        tmp_path,
        [
            ["Lead ID", "First Name", "Last Name", "Title", "Company / Account", "Email", "Phone", "Mobile",
             "Lead Source", "Lead Status", "Country", "Industry", "No. of Employees", "Annual Revenue"],
            ["001A0000006Vm9r", "Ana", "Lima", "CTO", "Acme", "ana@acme.io", "", "+1 555 0199", "Trade Show",
             "Working", "United States", "Manufacturing", "1,200", "$25,000,000.00"],
        ],
    )  # fmt: skip
    out, _ = run("contacts", path)
    assert "Detected the salesforce format" in out
    ana = Contact.objects.get()
    assert (ana.salesforce_id, ana.first_source, ana.phone, ana.country) == (
        "001A0000006Vm9rIAC", "Trade Show", "+1 555 0199", "US",
    )  # fmt: skip
    assert ana.properties == {"lead_status": "Working"}
    account = ana.account
    assert (account.name, account.domain, account.industry, account.employees, account.annual_revenue) == (
        "Acme", "acme.io", "Manufacturing", 1200, Decimal("25000000.00"),
    )  # fmt: skip


def test_a_semicolon_separated_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffemail;first_name\nana@acme.io;Ana\n".encode())
    run("contacts", str(path))
    assert Contact.objects.get().first_name == "Ana"


def test_the_format_given_wins_over_detection(tmp_path):
    path = write(tmp_path, [["Email", "Title", "Original Source"], ["ana@acme.io", "CTO", "Referrals"]])
    out, _ = run("contacts", path, "--format", "accord")
    assert "Detected" not in out
    contact = Contact.objects.get()
    assert (contact.title, contact.first_source) == ("CTO", "")  # Accord's names, in any case
    assert contact.properties == {"Original Source": "Referrals"}


# --- the bad-line report --------------------------------------------------------------------------


def test_bad_lines_are_reported_by_physical_line_and_write_nothing(tmp_path):
    path = tmp_path / "mixed.csv"
    lines = [
        b"email,first_name,country,notes",  # line 1
        b'ana@acme.io,Ana,DE,"two\nlines"',  # lines 2-3: one row
        b"not-an-email,Bo,DE,",  # line 4
        b"cy@acme.io,Cy,Germany,",  # line 5
        b"",  # line 6: blank, passed over
        b"dee@acme.io," + b"D" * 101 + b",DE,",  # line 7
        b"ANA@acme.io,Ana again,DE,",  # line 8
        b"eve@acme.io,Eve,DE",  # line 9
        b"fay@acme.io,F\xe9,DE,",  # line 10
        b"gus@acme.io,Gus,FR,ok",  # line 11
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    out, err = run("contacts", str(path), "--report", str(tmp_path / "report.csv"))
    assert report_lines(err) == [
        "line 4: email: 'not-an-email' is not a valid email address",
        "line 5: country: must be a two-letter ISO country code such as US or DE",
        "line 7: first_name: must be at most 100 characters",
        "line 8: email: 'ana@acme.io' is already on line 2; only the first is imported",
        "line 9: row: has 3 cells; the header has 4",
        "line 10: row: is not UTF-8 text (byte 0xe9 at character 14); save the file as UTF-8",
    ]
    assert err.startswith("6 skipped; the bad lines:\n")
    assert "2 created, 0 updated, 0 unchanged, 6 skipped (8 rows;" in out
    assert sorted(Contact.objects.values_list("email", flat=True)) == ["ana@acme.io", "gus@acme.io"]
    assert Contact.objects.get(email="ana@acme.io").properties == {"notes": "two\nlines"}
    with (tmp_path / "report.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "field", "message"]
    assert rows[1] == ["4", "email", "'not-an-email' is not a valid email address"]
    assert len(rows) == 7


def test_problems_name_the_crm_exports_columns(tmp_path):
    path = write(
        tmp_path,
        [
            ["Record ID", "Email", "First Name", "Number of Employees"],
            ["1", "ana@acme.io", "Ana", ""],
            ["2", "ben@acme", "Ben", ""],
            ["3", "cy@acme.io", "Cy", "about 50"],
            ["1", "dee@acme.io", "Dee", ""],
        ],
    )
    _, err = run("contacts", path)
    assert report_lines(err) == [
        "line 3: Email: 'ben@acme' is not a valid email address",
        "line 4: Number of Employees: must be a whole number, not 'about 50'",
        "line 5: Record ID: '1' is already on line 2; only the first is imported",
    ]
    assert list(Contact.objects.values_list("email", flat=True)) == ["ana@acme.io"]


# --- upserts --------------------------------------------------------------------------------------


def test_an_existing_contact_is_updated_by_email_and_empty_cells_clear_nothing(tmp_path):
    existing = Contact.objects.create(
        email="ana@acme.io",
        first_name="Ana",
        title="CTO",
        phone="+1 1",
        properties={"keep": "me"},
        first_source="google",
    )
    path = write(
        tmp_path,
        [
            ["email", "first_name", "title", "phone", "first_source", "tier"],
            ["ANA@ACME.IO", "Ana Maria", "", "", "linkedin", "gold"],
            ["ben@acme.io", "Ben", "", "", "", ""],
        ],
    )
    out, _ = run("contacts", path)
    assert "1 created, 1 updated, 0 unchanged, 0 skipped" in out
    existing.refresh_from_db()
    assert (existing.first_name, existing.title, existing.phone) == ("Ana Maria", "CTO", "+1 1")
    assert existing.properties == {"keep": "me", "tier": "gold"}
    assert existing.first_source == "google"  # first touch is kept: only a blank one is filled
    assert Contact.objects.count() == 2


def test_contacts_are_matched_by_crm_ids_when_the_email_is_new(tmp_path):
    by_hubspot = Contact.objects.create(email="old@acme.io", hubspot_id="77")
    # stored in its 15-character form
    by_salesforce = Contact.objects.create(email="sf@acme.io", salesforce_id="001A0000006Vm9r")
    path = write(
        tmp_path,
        [
            ["email", "hubspot_id", "salesforce_id", "title"],
            ["new@acme.io", "77", "", "CEO"],
            ["", "", "001A0000006Vm9rIAC", "CFO"],
        ],
    )
    out, _ = run("contacts", path)
    assert "0 created, 2 updated" in out
    by_hubspot.refresh_from_db()
    by_salesforce.refresh_from_db()
    assert (by_hubspot.email, by_hubspot.title) == ("new@acme.io", "CEO")
    assert (by_salesforce.title, by_salesforce.salesforce_id) == ("CFO", "001A0000006Vm9rIAC")


def test_a_row_whose_ids_belong_to_two_contacts_is_refused(tmp_path):
    ana = Contact.objects.create(email="ana@acme.io")
    other = Contact.objects.create(email="other@acme.io", hubspot_id="9")
    path = write(tmp_path, [["email", "hubspot_id", "title"], ["ana@acme.io", "9", "CTO"], ["ben@acme.io", "", "CEO"]])
    _, err = run("contacts", path)
    assert report_lines(err) == [f"line 2: hubspot_id: '9' belongs to another contact (id {other.pk})"]
    ana.refresh_from_db()
    assert (ana.hubspot_id, ana.title) == (None, "")


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write(
        tmp_path, [["email", "first_name", "company"], ["ana@acme.io", "Ana", "Acme"], ["ben@b.io", "Ben", ""]]
    )
    run("contacts", path)
    out, _ = run("contacts", path)
    assert "0 created, 0 updated, 2 unchanged, 0 skipped" in out
    assert (Contact.objects.count(), Account.objects.count(), ImportRun.objects.count()) == (2, 1, 2)
    assert list(AuditEntry.objects.filter(action="contacts_import").values_list("details__created", flat=True)) == [
        0,
        2,
    ]


def test_an_unknown_owner_in_an_accord_file_is_a_bad_row(tmp_path, users):
    path = write(
        tmp_path, [["email", "owner"], ["ana@acme.io", "SALES_REP@example.com"], ["ben@acme.io", "ghost@example.com"]]
    )
    _, err = run("contacts", path)
    assert report_lines(err) == ["line 3: owner: no active user with email 'ghost@example.com'"]
    assert Contact.objects.get().owner == users["sales_rep"]


# --- accounts -------------------------------------------------------------------------------------


def test_accounts_are_found_by_domain_then_name_and_created_once(tmp_path):
    by_domain = Account.objects.create(name="Initech Corp", domain="initech.com")
    by_name = Account.objects.create(name="Umbrella")
    path = write(
        tmp_path,
        [
            ["email", "company", "domain", "industry"],
            ["a@initech.com", "Initech", "", ""],  # the email's domain finds Initech Corp
            ["b@umbrella.example", "UMBRELLA", "", "Pharma"],  # by name, ignoring case; fills the industry
            ["c@hooli.xyz", "Hooli", "", ""],  # new: created with the email's domain
            ["d@hooli.xyz", "", "", ""],  # no company: joins the one account with its email's domain
            ["e@gmail.com", "Hooli", "", ""],  # by name, the one just created
            ["f@x.io", "", "https://www.piedpiper.com/about", ""],  # a domain only: named after it
        ],
    )
    run("contacts", path)
    account_of = dict(Contact.objects.values_list("email", "account__name"))
    assert account_of == {
        "a@initech.com": "Initech Corp",
        "b@umbrella.example": "Umbrella",
        "c@hooli.xyz": "Hooli",
        "d@hooli.xyz": "Hooli",
        "e@gmail.com": "Hooli",
        "f@x.io": "piedpiper.com",
    }
    by_name.refresh_from_db()
    assert by_name.industry == "Pharma"
    assert sorted(Account.objects.values_list("name", "domain")) == [
        ("Hooli", "hooli.xyz"), ("Initech Corp", "initech.com"), ("Umbrella", ""), ("piedpiper.com", "piedpiper.com"),
    ]  # fmt: skip
    assert by_domain.contacts.count() == 1


# --- resuming -------------------------------------------------------------------------------------


def numbered(n, *, start=0):
    return [["email", "first_name", "company"]] + [
        [f"p{i}@c{i % 7}.example", f"P{i}", f"Company {i % 7}"] for i in range(start, start + n)
    ]


def crash_on(monkeypatch, target, call):
    real = getattr(actions, target)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise RuntimeError("the machine went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, target, flaky)


def test_a_crashed_import_resumes_after_its_last_committed_batch(tmp_path, monkeypatch):
    rows = numbered(45)
    rows.insert(30, ["p3@c3.example", "Again", "Company 3"])  # a duplicate of line 5, on line 31 (after the crash)
    path = write(tmp_path, rows)
    crash_on(monkeypatch, "_write_contact_batch", 3)
    with pytest.raises(RuntimeError, match="the machine went away"):
        run("contacts", path, "--batch-size", "10")
    monkeypatch.undo()
    interrupted = ImportRun.objects.get()
    assert (interrupted.status, interrupted.rows_done, interrupted.last_line, interrupted.created) == (
        "running",
        20,
        21,
        20,
    )
    assert Contact.objects.count() == 20
    assert not AuditEntry.objects.filter(action="contacts_import").exists()

    out, err = run("contacts", path, "--batch-size", "10")
    assert "Resumed an unfinished import after line 21." in out
    assert "45 created, 0 updated, 0 unchanged, 1 skipped (46 rows;" in out
    assert report_lines(err) == ["line 31: email: 'p3@c3.example' is already on line 5; only the first is imported"]
    assert Contact.objects.count() == 45 and Account.objects.count() == 7
    assert Contact.objects.values("email").distinct().count() == 45
    finished = ImportRun.objects.get()
    assert (finished.pk, finished.status, finished.invocations, finished.rows_done) == (
        interrupted.pk,
        "finished",
        2,
        46,
    )
    assert AuditEntry.objects.filter(action="contacts_import").count() == 1


def test_restart_abandons_the_unfinished_run_and_starts_over(tmp_path, monkeypatch):
    path = write(tmp_path, numbered(45))
    crash_on(monkeypatch, "_write_contact_batch", 3)
    with pytest.raises(RuntimeError):
        run("contacts", path, "--batch-size", "10")
    monkeypatch.undo()
    out, _ = run("contacts", path, "--batch-size", "10", "--restart")
    assert "Resumed" not in out
    assert "25 created, 0 updated, 20 unchanged, 0 skipped (45 rows;" in out
    assert list(ImportRun.objects.order_by("pk").values_list("status", "rows_done")) == [
        ("abandoned", 20),
        ("finished", 45),
    ]
    assert list(AuditEntry.objects.filter(action="contacts_import").order_by("pk").values_list("details__status", flat=True)) == [
        "abandoned", "finished",
    ]  # fmt: skip
    assert Contact.objects.count() == 45


def test_a_changed_file_is_a_new_import(tmp_path, monkeypatch):
    path = write(tmp_path, numbered(25))
    crash_on(monkeypatch, "_write_contact_batch", 2)
    with pytest.raises(RuntimeError):
        run("contacts", path, "--batch-size", "10")
    monkeypatch.undo()
    write(tmp_path, numbered(26))
    out, _ = run("contacts", path, "--batch-size", "10")
    assert "Resumed" not in out and "16 created, 0 updated, 10 unchanged" in out


def test_resuming_in_another_format_is_refused(tmp_path, monkeypatch):
    path = write(tmp_path, numbered(25))
    crash_on(monkeypatch, "_write_contact_batch", 2)
    with pytest.raises(RuntimeError):
        run("contacts", path, "--batch-size", "10")
    monkeypatch.undo()
    error, _, _ = failing("contacts", path, "--format", "salesforce")
    assert "in the accord format stopped after line 11; use --format accord to resume it, or --restart" in str(error)


# --- exit codes -----------------------------------------------------------------------------------


def test_a_file_that_cannot_be_read_exits_1(tmp_path):
    error, _, _ = failing("contacts", str(tmp_path / "missing.csv"))
    assert error.returncode == 1 and "cannot read" in str(error) and "No such file or directory" in str(error)
    (tmp_path / "latin1.csv").write_bytes("e-mail,prénom\n".encode("latin-1"))
    error, _, _ = failing("contacts", str(tmp_path / "latin1.csv"))
    assert error.returncode == 1 and "the header is not UTF-8 text (byte 0xe9" in str(error)
    (tmp_path / "empty.csv").write_bytes(b"")
    error, _, _ = failing("contacts", str(tmp_path / "empty.csv"))
    assert "the file is empty" in str(error)
    error, _, _ = failing("contacts", write(tmp_path, [["name", "company"], ["Ana", "Acme"]]))
    assert error.returncode == 1 and "no column that identifies a contact" in str(error)
    error, _, _ = failing("contacts", write(tmp_path, [["email"], ["a@b.io"]]), "--owner", "ghost@example.com")
    assert error.returncode == 1 and "--owner: no active user with email 'ghost@example.com'" in str(error)
    assert (Contact.objects.count(), ImportRun.objects.count()) == (0, 0)


def test_a_file_of_only_bad_rows_exits_2_and_writes_no_contact(tmp_path):
    path = write(tmp_path, [["email", "country"], ["nope", "DE"], ["ana@acme.io", "Germany"]])
    error, out, err = failing("contacts", path)
    assert error.returncode == 2 and "no row of" in str(error)
    assert "0 created, 0 updated, 0 unchanged, 2 skipped" in out
    assert len(report_lines(err)) == 2
    assert Contact.objects.count() == 0 and Account.objects.count() == 0
    assert ImportProblem.objects.count() == 2


def test_a_header_without_rows_is_not_an_error(tmp_path):
    out, err = run("contacts", write(tmp_path, [["email"]]))
    assert "0 created, 0 updated, 0 unchanged, 0 skipped (0 rows;" in out and err == ""


# --- size -----------------------------------------------------------------------------------------


def test_two_thousand_rows_land_in_batches(tmp_path, django_assert_max_num_queries):
    rows = [["email", "first_name", "last_name", "company", "country", "tier"]]
    rows += [
        [f"person{i}@company{i % 150}.example", f"First{i}", f"Last{i}", f"Company {i % 150}", "DE", str(i % 3)]
        for i in range(2000)
    ]
    path = write(tmp_path, rows)
    with django_assert_max_num_queries(120):  # a handful per batch of 500, never one per row
        out, err = run("contacts", path)
    assert "2,000 created, 0 updated, 0 unchanged, 0 skipped (2,000 rows;" in out and err == ""
    assert "Scored 2,000 contacts under the active playbook: 2,000 changed (" in out
    assert Contact.objects.count() == 2000 and Account.objects.count() == 150
    assert not Contact.objects.filter(fit_grade="").exists()  # every new contact has its fit
    assert Contact.objects.filter(account__isnull=True).count() == 0
    run_ = ImportRun.objects.get()
    assert (run_.rows_done, run_.last_line, run_.status) == (2000, 2001, "finished")


def test_an_existing_contact_joins_the_account_its_row_names(tmp_path):
    acme = Account.objects.create(name="Acme", domain="acme.io")
    ana = Contact.objects.create(email="ana@gmail.com")
    ben = Contact.objects.create(email="ben@acme.io")  # no account, and the row names none: left alone
    path = write(tmp_path, [["email", "company"], ["ana@gmail.com", "acme"], ["ben@acme.io", ""]])
    out, _ = run("contacts", path)
    assert "0 created, 1 updated, 1 unchanged" in out
    ana.refresh_from_db()
    ben.refresh_from_db()
    assert (ana.account, ben.account) == (acme, None)


def test_a_contact_written_meanwhile_refuses_only_its_row(tmp_path, monkeypatch):
    """Another writer stores one of the batch's emails between the plan and the write: that row is
    reported, the rest of the batch lands."""
    path = write(
        tmp_path, [["email", "first_name"], ["ana@acme.io", "Ana"], ["ben@acme.io", "Ben"], ["cy@acme.io", "Cy"]]
    )
    real_plan = actions._ContactImporter.plan

    def plan_then_race(self, items):
        plan = real_plan(self, items)
        Contact.objects.create(email="ben@acme.io", first_name="Someone else")
        return plan

    monkeypatch.setattr(actions._ContactImporter, "plan", plan_then_race)
    out, err = run("contacts", path)
    assert report_lines(err) == ["line 3: email: another contact already has 'ben@acme.io'"]
    assert "2 created, 0 updated, 0 unchanged, 1 skipped" in out
    assert dict(Contact.objects.values_list("email", "first_name")) == {
        "ana@acme.io": "Ana",
        "ben@acme.io": "Someone else",
        "cy@acme.io": "Cy",
    }


def test_a_cell_too_large_for_csv_is_a_bad_row(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"email,notes\nana@acme.io," + b"x" * 200_000 + b"\nben@acme.io,ok\n")
    _, err = run("contacts", str(path))
    assert report_lines(err) == ["line 2: row: cannot be read as CSV: field larger than field limit (131072)"]
    assert list(Contact.objects.values_list("email", flat=True)) == ["ben@acme.io"]
