"""`accord import contacts`: what lands, what is reported by line, upserts, accounts, resuming."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accord.contacts.models import Account, Contact, PropertyDefinition
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
    """The example lines the summary of problems shows (at most 3 per field and cause)."""
    return [line.strip() for line in err.splitlines() if line.strip().startswith("line ")]


def report_rows(path):
    """Every problem, as `--report FILE` writes them: [line, field, message, outcome]."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


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
    assert ana.properties == {"shoe_size": 38}  # the column holds numbers, seen in the file's first rows
    assert list(PropertyDefinition.objects.values_list("object", "name", "label", "type")) == [
        ("contact", "shoe_size", "shoe_size", "number")
    ]
    assert (ana.account.name, ana.account.domain) == ("Acme", "acme.io")
    assert ana.owner == users["marketing"]
    ben = Contact.objects.get(email="ben@gmail.com")
    assert (ben.account, ben.consent, ben.properties, ben.stage) == (None, None, {}, "")


def test_a_hubspot_export_maps_ids_source_country_and_lifecycle_with_the_imported_stage(tmp_path, users):
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
    with clock.frozen(NOW):
        out, err = run("contacts", path)
    assert out.startswith(
        "Detected the hubspot format (Record ID, Phone Number, Job Title, Company Name, Country/Region,"
    )
    assert ": 2 created, 0 updated, 0 unchanged, 0 skipped (2 rows;" in out
    assert "; 2 stage changes recorded from the file's history.\n" in out
    assert err.splitlines() == [
        "Owners not found among Accord's active users (imported without an owner): Nobody Here (1).",
        "1 problems, by field and cause:",
        "        1  Country/Region: is not a country name or ISO code (imported without it)",
        "           line 3: Country/Region: 'Atlantis' is not a country name or ISO code (imported without it)",
        "Add --report FILE.csv for every problem line.",
    ]
    ana, ben = Contact.objects.get(hubspot_id="5101"), Contact.objects.get(hubspot_id="5102")
    assert (ana.email, ana.phone, ana.title, ana.country, ana.first_source, ana.first_medium) == (
        "ana@acme.io", "+49 30 1234", "CTO", "DE", "Organic Search", "google",
    )  # fmt: skip
    assert ana.created_at == dt.datetime(2025, 4, 1, 10, 0, tzinfo=dt.UTC)  # the Create Date, not a property
    assert ana.properties == {
        "hubspot_lifecycle_stage": "marketingqualifiedlead",
        "lead_status": "Open",
        "marketing_contact_status": "Marketing contact",
    }
    assert ana.owner == users["sales_rep"]  # "Sales Rep" is that user's name
    assert (ana.account.name, ana.account.domain) == ("Acme GmbH", "acme.io")
    assert ben.country == "" and "country_region" not in ben.properties  # imported without it
    assert ben.owner is None and ben.properties["contact_owner"] == "Nobody Here"
    assert ben.properties["hubspot_lifecycle_stage"] == "customer"
    assert ben.created_at == dt.datetime(2025, 4, 2, 11, 0, tzinfo=dt.UTC)
    assert ImportRun.objects.get().options["unmatched_owners"] == {"Nobody Here": 1}
    # the lifecycle stage is brought in as a record of what happened in HubSpot: an imported stage
    # change, undated (the file has no "Became a … Date"), so recorded at the import's time
    assert (ana.stage, ana.stage_changed_at, ben.stage, ben.stage_changed_at) == ("mql", NOW, "customer", NOW)
    source = {"run": ImportRun.objects.get().pk, "file": "hubspot-crm-exports-all-contacts-2026-03-01.csv", "by": ""}
    changes = StageChange.objects.order_by("contact__hubspot_id")
    assert [(c.contact_id, c.from_stage, c.to_stage, c.kind, c.at, c.details) for c in changes] == [
        (ana.pk, "", "mql", "imported", NOW, {"import": {**source, "line": 2, "column": "Lifecycle Stage"}, "dated": False}),
        (ben.pk, "", "customer", "imported", NOW, {"import": {**source, "line": 3, "column": "Lifecycle Stage"}, "dated": False}),
    ]  # fmt: skip


def test_a_salesforce_lead_report_fills_the_id_source_the_account_and_the_stage(tmp_path):
    path = write(
        tmp_path,
        [
            ["Lead ID", "First Name", "Last Name", "Title", "Company / Account", "Email", "Phone", "Mobile",
             "Lead Source", "Lead Status", "Country", "Industry", "No. of Employees", "Annual Revenue"],
            ["00Q5e00000AbCdE", "Ana", "Lima", "CTO", "Acme", "ana@acme.io", "", "+1 555 0199", "Trade Show",
             "Working", "United States", "Manufacturing", "1,200", "$25,000,000.00"],
            # an account's id (001…) where a lead's belongs: the row is skipped
            ["001A0000006Vm9r", "Ben", "Okafor", "CFO", "Globex", "ben@globex.com", "", "", "Web", "Open", "", "",
             "", ""],
        ],
    )  # fmt: skip
    with clock.frozen(NOW):
        out, err = run("contacts", path, "--report", str(tmp_path / "report.csv"))
    assert "Detected the salesforce format" in out
    assert ": 1 created, 0 updated, 0 unchanged, 1 skipped (2 rows;" in out
    assert report_lines(err) == [
        "line 3: Lead ID: '001A0000006Vm9r' is not the id of a lead or contact (its prefix is '001'; expected 00Q "
        "(lead) or 003 (contact))"
    ]
    assert "        1  Lead ID: is an id of another object (row skipped)" in err.splitlines()
    ana = Contact.objects.get()
    assert (ana.salesforce_lead_id, ana.salesforce_contact_id, ana.first_source, ana.phone, ana.country) == (
        "00Q5e00000AbCdEEAV", None, "Trade Show", "+1 555 0199", "US",
    )  # fmt: skip
    assert ana.properties == {"lead_status": "Working"}
    account = ana.account
    assert (account.name, account.domain, account.industry, account.employees, account.annual_revenue) == (
        "Acme", "acme.io", "Manufacturing", 1200, Decimal("25000000.00"),
    )  # fmt: skip
    # a lead status is the lead's current stage: "Working" is sql in the default playbook
    assert (ana.stage, ana.stage_changed_at) == ("sql", NOW)
    change = StageChange.objects.get()
    assert (change.contact_id, change.from_stage, change.to_stage, change.kind, change.details["import"]["column"]) == (
        ana.pk, "", "sql", "imported", "Lead Status",
    )  # fmt: skip
    assert report_rows(tmp_path / "report.csv") == [
        ["line", "field", "message", "outcome"],
        ["3", "Lead ID", "'001A0000006Vm9r' is not the id of a lead or contact (its prefix is '001'; expected 00Q "
         "(lead) or 003 (contact))", "row skipped"],
    ]  # fmt: skip


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


def test_bad_lines_are_reported_by_physical_line_and_skipped_rows_write_nothing(tmp_path):
    path = tmp_path / "mixed.csv"
    lines = [
        b"email,first_name,country,notes",  # line 1
        b'ana@acme.io,Ana,DE,"two\nlines"',  # lines 2-3: one row
        b"not-an-email,Bo,DE,",  # line 4: a bad identity, skipped
        b"cy@acme.io,Cy,Atlantis,",  # line 5: imported without the country
        b"",  # line 6: blank, passed over
        b"dee@acme.io," + b"D" * 101 + b",DE,",  # line 7: imported without the first name
        b"ANA@acme.io,Ana again,DE,",  # line 8: a repeat, skipped
        b"eve@acme.io,Eve,DE",  # line 9: a cell short, read as empty
        b"fay@acme.io,F\xe9,DE,",  # line 10: not UTF-8, skipped
        b"gus@acme.io,Gus,FR,ok",  # line 11
        b"hal@acme.io,Hal,DE,x,extra",  # line 12: a cell more than the header, skipped
        b"ida@acme.io,Ida,DE,,,",  # line 13: more cells, but empty ones
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    out, err = run("contacts", str(path), "--report", str(tmp_path / "report.csv"))
    dees = "'" + "D" * 60 + "'"  # a long value is shown by its first 60 characters
    assert err.splitlines() == [
        "7 problems, by field and cause:",
        "        1  email: is not a valid email address (row skipped)",
        "           line 4: email: 'not-an-email' is not a valid email address",
        "        1  country: is not a country name or ISO code (imported without it)",
        "           line 5: country: 'Atlantis' is not a country name or ISO code (imported without it)",
        "        1  first_name: must be at most 100 characters (imported without it)",
        f"           line 7: first_name: {dees} must be at most 100 characters (imported without it)",
        "        1  email: repeats an earlier line (row skipped)",
        "           line 8: email: the same email as line 2 ('ana@acme.io'); only the first is imported",
        "        1  row: has fewer cells than the header (imported without it)",
        "           line 9: row: has 3 cells; the header has 4 (the missing ones are read as empty) (imported without it)",
        "        1  row: is not UTF-8 text (byte 0xe9 at character 14); save the file as UTF-8 (row skipped)",
        "           line 10: row: is not UTF-8 text (byte 0xe9 at character 14); save the file as UTF-8",
        "        1  row: has more cells than the header (row skipped)",
        "           line 12: row: has 5 cells; the header has 4",
    ]
    assert "6 created, 0 updated, 0 unchanged, 4 skipped (10 rows;" in out  # only skipped rows count as skipped
    assert list(Contact.objects.order_by("email").values_list("email", "first_name", "country", "properties")) == [
        ("ana@acme.io", "Ana", "DE", {"notes": "two\nlines"}),  # line 8 changed nothing
        ("cy@acme.io", "Cy", "", {}),
        ("dee@acme.io", "", "DE", {}),
        ("eve@acme.io", "Eve", "DE", {}),
        ("gus@acme.io", "Gus", "FR", {"notes": "ok"}),
        ("ida@acme.io", "Ida", "DE", {}),
    ]
    assert report_rows(tmp_path / "report.csv") == [
        ["line", "field", "message", "outcome"],
        ["4", "email", "'not-an-email' is not a valid email address", "row skipped"],
        ["5", "country", "'Atlantis' is not a country name or ISO code", "imported without it"],
        ["7", "first_name", f"{dees} must be at most 100 characters", "imported without it"],
        ["8", "email", "the same email as line 2 ('ana@acme.io'); only the first is imported", "row skipped"],
        ["9", "row", "has 3 cells; the header has 4 (the missing ones are read as empty)", "imported without it"],
        ["10", "row", "is not UTF-8 text (byte 0xe9 at character 14); save the file as UTF-8", "row skipped"],
        ["12", "row", "has 5 cells; the header has 4", "row skipped"],
    ]
    assert f"Wrote the report of bad lines to {tmp_path / 'report.csv'}." in out


def test_the_summary_groups_problems_by_field_and_cause_with_three_examples(tmp_path):
    rows = [["email", "country"]] + [[f"p{i}@acme.io", "Atlantis" if i % 2 else "Narnia"] for i in range(9)]
    rows += [["nope", "DE"]]
    _, err = run("contacts", write(tmp_path, rows))
    assert err.splitlines() == [
        "10 problems, by field and cause:",
        "        9  country: is not a country name or ISO code (imported without it)",
        "           line 2: country: 'Narnia' is not a country name or ISO code (imported without it)",
        "           line 3: country: 'Atlantis' is not a country name or ISO code (imported without it)",
        "           line 4: country: 'Narnia' is not a country name or ISO code (imported without it)",
        "        1  email: is not a valid email address (row skipped)",
        "           line 11: email: 'nope' is not a valid email address",
        "Add --report FILE.csv for every problem line.",
    ]
    assert Contact.objects.filter(country="").count() == 9


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
        "line 4: Number of Employees: 'about 50' is not a whole number (imported without it)",
        "line 5: Record ID: the same hubspot_id as line 2 ('1'); only the first is imported",
    ]
    assert list(Contact.objects.order_by("email").values_list("email", flat=True)) == ["ana@acme.io", "cy@acme.io"]


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
    by_contact_id = Contact.objects.create(email="sf@acme.io", salesforce_contact_id="0035e00000AbCdEAAV")
    by_lead_id = Contact.objects.create(email="lead@acme.io", salesforce_lead_id="00Q5e00000AbCdEEAV")
    path = write(
        tmp_path,
        [
            ["email", "hubspot_id", "salesforce_id", "title"],
            ["new@acme.io", "77", "", "CEO"],
            ["", "", "0035e00000AbCdE", "CFO"],  # a contact's id (003…), in its 15-character form
            ["", "", "00Q5e00000AbCdEEAV", "CMO"],  # a lead's (00Q…)
        ],
    )
    out, err = run("contacts", path)
    assert "0 created, 3 updated, 0 unchanged, 0 skipped" in out and err == ""
    by_hubspot.refresh_from_db()
    by_contact_id.refresh_from_db()
    by_lead_id.refresh_from_db()
    assert (by_hubspot.email, by_hubspot.title) == ("new@acme.io", "CEO")
    assert (by_contact_id.email, by_contact_id.title, by_contact_id.salesforce_lead_id) == ("sf@acme.io", "CFO", None)
    assert (by_lead_id.email, by_lead_id.title, by_lead_id.salesforce_contact_id) == ("lead@acme.io", "CMO", None)


def test_a_salesforce_id_stored_in_its_15_character_form_takes_its_18_character_form(tmp_path):
    stored = Contact.objects.create(email="sf@acme.io", salesforce_contact_id="0035e00000AbCdE")
    path = write(tmp_path, [["email", "salesforce_id", "title"], ["", "0035e00000AbCdEAAV", "CFO"]])
    out, _ = run("contacts", path)
    assert "0 created, 1 updated" in out
    stored.refresh_from_db()
    assert (stored.title, stored.salesforce_contact_id) == ("CFO", "0035e00000AbCdEAAV")


def test_a_row_whose_ids_belong_to_two_contacts_is_refused(tmp_path):
    ana = Contact.objects.create(email="ana@acme.io")
    other = Contact.objects.create(email="other@acme.io", hubspot_id="9")
    path = write(tmp_path, [["email", "hubspot_id", "title"], ["ana@acme.io", "9", "CTO"], ["ben@acme.io", "", "CEO"]])
    out, err = run("contacts", path)
    # a CRM id finds the contact before the email does: the email is the one that belongs to another
    assert report_lines(err) == [f"line 2: email: 'ana@acme.io' belongs to another contact (id {ana.pk})"]
    assert "1 created, 0 updated, 0 unchanged, 1 skipped" in out
    ana.refresh_from_db()
    other.refresh_from_db()
    assert (ana.hubspot_id, ana.title) == (None, "")
    assert (other.email, other.title) == ("other@acme.io", "")


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


def test_an_unknown_owner_is_left_empty_and_listed_once(tmp_path, users):
    path = write(
        tmp_path,
        [
            ["email", "owner"],
            ["ana@acme.io", "SALES_REP@example.com"],
            ["ben@acme.io", "ghost@example.com"],
            ["cy@acme.io", "ghost@example.com"],
        ],
    )
    out, err = run("contacts", path)
    assert "3 created, 0 updated, 0 unchanged, 0 skipped" in out
    assert err.splitlines() == [
        "Owners not found among Accord's active users (imported without an owner): ghost@example.com (2)."
    ]
    owners = dict(Contact.objects.values_list("email", "owner"))
    assert owners == {"ana@acme.io": users["sales_rep"].pk, "ben@acme.io": None, "cy@acme.io": None}
    # Accord's own file keeps no text of an owner it cannot find (a CRM export keeps it as a property)
    assert list(Contact.objects.order_by("email").values_list("properties", flat=True)) == [{}, {}, {}]
    assert ImportRun.objects.get().options["unmatched_owners"] == {"ghost@example.com": 2}
    assert not ImportProblem.objects.exists()


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


def crash_on(monkeypatch, call):
    """The importer's batch writer (one transaction per batch) raises on its `call`-th batch."""
    real = actions._Importer._write
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise RuntimeError("the machine went away")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(actions._Importer, "_write", flaky)


def test_a_crashed_import_resumes_after_its_last_committed_batch(tmp_path, monkeypatch):
    rows = numbered(45)
    rows.insert(30, ["p3@c3.example", "Again", "Company 3"])  # a duplicate of line 5, on line 31 (after the crash)
    path = write(tmp_path, rows)
    crash_on(monkeypatch, 3)
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
    assert report_lines(err) == [
        "line 31: email: the same email as line 5 ('p3@c3.example'); only the first is imported"
    ]
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
    crash_on(monkeypatch, 3)
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
    crash_on(monkeypatch, 2)
    with pytest.raises(RuntimeError):
        run("contacts", path, "--batch-size", "10")
    monkeypatch.undo()
    write(tmp_path, numbered(26))
    out, _ = run("contacts", path, "--batch-size", "10")
    assert "Resumed" not in out and "16 created, 0 updated, 10 unchanged" in out


def test_resuming_in_another_format_is_refused(tmp_path, monkeypatch):
    path = write(tmp_path, numbered(25))
    crash_on(monkeypatch, 2)
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
    path = write(tmp_path, [["email", "country"], ["nope", "DE"], ["ana@acme.io", "Germany", "DE"]])
    error, out, err = failing("contacts", path)
    assert error.returncode == 2 and "no row of" in str(error)
    assert "0 created, 0 updated, 0 unchanged, 2 skipped" in out
    assert report_lines(err) == [
        "line 2: email: 'nope' is not a valid email address",
        "line 3: row: has 3 cells; the header has 2",
    ]
    assert Contact.objects.count() == 0 and Account.objects.count() == 0
    assert list(ImportProblem.objects.values_list("line", "field", "cause", "kept")) == [
        (2, "email", "is not a valid email address", False),
        (3, "row", "has more cells than the header", False),
    ]


def test_a_file_whose_rows_only_lack_optional_fields_is_imported(tmp_path):
    path = write(tmp_path, [["email", "country", "consent"], ["ana@acme.io", "Atlantis", "perhaps"]])
    out, _ = run("contacts", path, "--report", str(tmp_path / "report.csv"))
    assert "1 created, 0 updated, 0 unchanged, 0 skipped" in out
    assert report_rows(tmp_path / "report.csv") == [
        ["line", "field", "message", "outcome"],
        ["2", "country", "'Atlantis' is not a country name or ISO code", "imported without it"],
        ["2", "consent", "'perhaps' is not true or false (yes/no, 1/0)", "imported without it"],
    ]
    ana = Contact.objects.get()
    assert (ana.email, ana.country, ana.consent, ana.consent_at) == ("ana@acme.io", "", None, None)


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
    assert Contact.objects.filter(score__fit_grade__gt="").count() == 2000  # every new contact has its fit
    assert Contact.objects.filter(account__isnull=True).count() == 0
    run_ = ImportRun.objects.get()
    assert (run_.rows_done, run_.last_line, run_.status) == (2000, 2001, "finished")


def test_custom_properties_are_typed_by_the_files_first_thousand_rows(tmp_path):
    rows = [["email", "score", "renewal"]] + [[f"p{i}@acme.io", str(i), "2026-01-31"] for i in range(1000)]
    rows.append(["late@acme.io", "high", "soon"])  # line 1002: past the rows the types are read from
    out, err = run("contacts", write(tmp_path, rows))
    assert "1,001 created, 0 updated, 0 unchanged, 0 skipped" in out
    assert sorted(report_lines(err)) == [  # two causes of one line: the summary's groups in either order
        "line 1002: renewal: 'soon' is not a date (the column holds dates) (imported without it)",
        "line 1002: score: 'high' is not a number (the column holds numbers) (imported without it)",
    ]
    assert Contact.objects.get(email="p38@acme.io").properties == {"score": 38, "renewal": "2026-01-31"}
    assert Contact.objects.get(email="late@acme.io").properties == {}
    assert dict(PropertyDefinition.objects.values_list("name", "type")) == {"score": "number", "renewal": "date"}


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
    real_plan = actions._Importer._plan

    def plan_then_race(self, items):
        plan = real_plan(self, items)
        Contact.objects.create(email="ben@acme.io", first_name="Someone else")
        return plan

    monkeypatch.setattr(actions._Importer, "_plan", plan_then_race)
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
