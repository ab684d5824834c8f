"""Day one: real-shaped HubSpot and Salesforce exports come in as they are, with their history.

Each test reproduces a shape seen in real exports: repeated column labels, `Record ID - Contact`,
HubSpot's 2024 `Original Traffic Source` labels, a converted Salesforce lead and its contact,
rows without ids, country names, a bad website on a good row, opt-outs, a Segment export line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from accord.accounts.models import User
from accord.contacts.models import Account, ConsentChange, Contact, PropertyDefinition
from accord.core import clock
from accord.imports import actions
from accord.imports.models import ImportProblem, ImportRun
from accord.lifecycle.models import StageChange
from accord.tracking.models import Event

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def write(tmp_path, rows, name="contacts.csv"):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return str(path)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with clock.frozen(NOW):
        call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def utc(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


# --- HubSpot's all-properties export ----------------------------------------------------------------

HUBSPOT_HEADER = [
    "Record ID - Contact", "First Name", "Last Name", "Email", "Job Title", "Phone Number", "Billing Contact",
    "Company name", "Country/Region", "Original Traffic Source", "Original Traffic Source Drill-Down 1",
    "Original Traffic Source Drill-Down 2", "Latest Traffic Source", "Lifecycle Stage", "Became a Lead Date",
    "Became a Marketing Qualified Lead Date", "Became a Sales Qualified Lead Date", "Create Date",
    "Unsubscribed from all email", "Number of Pageviews", "Contact owner", "Record ID - Company", "Company name",
    "Billing Contact", "Website URL", "Annual Revenue", "Industry", "Industry", "Phone Number", "City", "City",
]  # fmt: skip


def hubspot_rows():
    return [
        HUBSPOT_HEADER,
        ["5101", "Ana", "Lima", "ana@acme.io", "CTO", "+49 30 1", "yes", "Acme GmbH", "Germany", "ORGANIC_SEARCH",
         "google", "pricing guide", "Direct Traffic", "Sales Qualified Lead", "2025-01-10 09:00",
         "2025-02-01 10:30", "2025-02-03 08:00", "2024-12-24 17:45", "", "17", "Sales Rep", "9001", "Acme",
         "Ana Lima", "acme.io", "25000000", "Software", "SaaS", "+49 30 2", "Berlin", "Mitte"],
        ["5102", "Ben", "Okafor", "ben@globex.com", "VP Sales", "", "", "Globex", "India", "Paid Search", "",
         "", "", "Marketing Qualified Lead", "2025-03-01 12:00", "2025-03-05 12:00", "", "2025-02-28 08:00",
         "true", "3", "Nobody Here", "9002", "Globex", "", "http://ttps://globex", "", "", "", "", "", ""],
        ["", "Cleo", "Diaz", "", "Buyer", "", "", "Initech", "", "Offline Sources", "Import", "", "", "Lead",
         "2025-04-01 00:00", "", "", "2025-04-01 00:00", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ]  # fmt: skip


def test_a_hubspot_all_properties_export_lands_with_its_sources_dates_and_history(tmp_path, users):
    path = write(tmp_path, hubspot_rows(), "hubspot-crm-exports-all-contacts-2026-03-01.csv")
    out, err = run("contacts", path)
    assert "Detected the hubspot format" in out
    assert "3 created, 0 updated, 0 unchanged, 0 skipped (3 rows;" in out
    assert "; 6 stage changes recorded from the file's history." in out
    ana = Contact.objects.get(hubspot_id="5101")
    assert (ana.first_source, ana.first_medium, ana.first_campaign, ana.last_source) == (
        "ORGANIC_SEARCH", "google", "pricing guide", "Direct Traffic",
    )  # fmt: skip
    assert (ana.phone, ana.country, ana.owner, ana.created_at, ana.imported_at) == (
        "+49 30 1", "DE", users["sales_rep"], utc("2024-12-24 17:45"), NOW,
    )  # fmt: skip
    # Repeated labels: the first column is read, each later one is kept as its own property.
    assert ana.properties == {
        "billing_contact": True, "number_of_pageviews": 17, "billing_contact_2": "Ana Lima", "company_name_2": "Acme",
        "industry_2": "SaaS", "phone_number_2": "+49 30 2", "city": "Berlin", "city_2": "Mitte",
        "hubspot_lifecycle_stage": "salesqualifiedlead",
    }  # fmt: skip
    assert (ana.account.name, ana.account.hubspot_company_id, ana.account.domain, ana.account.industry) == (
        "Acme GmbH", "9001", "acme.io", "Software",
    )  # fmt: skip
    history = list(StageChange.objects.filter(contact=ana).values_list("from_stage", "to_stage", "kind", "at"))
    assert history == [
        ("", "lead", "imported", utc("2025-01-10 09:00")),
        ("lead", "mql", "imported", utc("2025-02-01 10:30")),
        ("mql", "sql", "imported", utc("2025-02-03 08:00")),
    ]
    assert (ana.stage, ana.stage_changed_at) == ("sql", utc("2025-02-03 08:00"))
    first = StageChange.objects.filter(contact=ana).first()
    assert first.details == {
        "import": {"run": ImportRun.objects.get().pk, "file": "hubspot-crm-exports-all-contacts-2026-03-01.csv",
                   "by": "", "line": 2, "column": "Became a Lead Date"},
        "dated": True,
    }  # fmt: skip
    ben = Contact.objects.get(hubspot_id="5102")
    # India is a country; the bad website is left out of the company and the contact lands.
    assert (ben.country, ben.consent, ben.owner, ben.stage) == ("IN", False, None, "mql")
    assert (ben.account.name, ben.account.domain) == ("Globex", "globex.com")  # from the email, not the bad URL
    assert ben.properties["contact_owner"] == "Nobody Here"
    assert list(ConsentChange.objects.filter(contact=ben).values_list("consent", "via", "page")) == [
        (False, "import", "hubspot-crm-exports-all-contacts-2026-03-01.csv, line 3"),
    ]
    assert list(ImportProblem.objects.values_list("line", "field", "message", "kept")) == [
        (3, "Website URL", "'http://ttps://globex' is not a valid domain", True),
    ]
    assert "Owners not found among Accord's active users (imported without an owner): Nobody Here (1)." in err
    cleo = Contact.objects.get(first_name="Cleo")
    assert (cleo.email, cleo.hubspot_id, cleo.stage, cleo.first_source) == (None, None, "lead", "Offline Sources")
    assert PropertyDefinition.objects.get(name="number_of_pageviews").type == "number"
    assert PropertyDefinition.objects.get(name="billing_contact").type == "boolean"


def test_importing_the_same_export_again_changes_nothing(tmp_path, users):
    path = write(tmp_path, hubspot_rows())
    run("contacts", path)
    changes, contacts = StageChange.objects.count(), Contact.objects.count()
    for _ in range(2):
        out, _ = run("contacts", path, "--restart")
        assert "0 created, 0 updated, 3 unchanged, 0 skipped" in out
    assert (StageChange.objects.count(), Contact.objects.count(), Account.objects.count()) == (changes, contacts, 3)
    assert ConsentChange.objects.count() == 1


def test_rows_without_an_email_or_id_are_known_by_name_and_company(tmp_path):
    rows = [["First Name", "Last Name", "Company Name", "Job Title"], ["Cleo", "Diaz", "Initech", "Buyer"],
            ["Dev", "Rao", "", "CFO"], ["cleo", "DIAZ", " initech ", "Head of Buying"]]  # fmt: skip
    path = write(tmp_path, rows[:3])
    out, err = run("contacts", path, "--format", "hubspot")
    assert "1 created, 0 updated, 0 unchanged, 1 skipped" in out
    assert "line 3: row: has no email, no CRM id, and no name and company to know the person by" in err
    for _ in range(2):
        run("contacts", path, "--format", "hubspot", "--restart")
    again = write(tmp_path, [rows[0], rows[3]], "again.csv")
    out, _ = run("contacts", again, "--format", "hubspot")
    assert "0 created, 1 updated" in out
    assert list(Contact.objects.values_list("first_name", "title")) == [("cleo", "Head of Buying")]  # as written


def test_a_repeated_label_is_no_longer_refused_and_every_column_is_kept(tmp_path):
    header = ["Email", "Billing Contact", "Company name", "Billing Contact", "Company name"]
    path = write(tmp_path, [header, ["a@acme.io", "x", "Acme", "y", "Acme Inc"]])
    out, err = run("contacts", path, "--format", "hubspot")
    assert "1 created" in out and err == ""
    contact = Contact.objects.get()
    assert contact.account.name == "Acme"
    assert contact.properties == {"billing_contact": "x", "billing_contact_2": "y", "company_name_2": "Acme Inc"}


# --- Salesforce: a converted lead and its contact ------------------------------------------------------

LEAD_ID, CONTACT_ID, ACCOUNT_ID = "00Q5e00000AbCdEFGH", "0035e00000XyZabCDE", "0015e00000QwErTYUI"


def salesforce_files(tmp_path):
    leads = write(
        tmp_path,
        [
            ["Id", "FirstName", "LastName", "Email", "Company", "LeadSource", "Status", "CreatedDate",
             "ConvertedDate", "ConvertedContactId", "HasOptedOutOfEmail", "OwnerId", "Owner.Email"],
            [LEAD_ID, "Ana", "Lima", "ana@acme.io", "Acme", "Web", "Closed - Converted", "2025-01-05T10:00:00.000Z",
             "2025-02-10", "", "false", "0055e000001AAAAAAA", "sales_rep@example.com"],
            ["00Q5e00000ZzZzZzZz", "Dev", "Rao", "dev@initech.com", "Initech", "google", "Closed - Not Converted",
             "2025-01-06T10:00:00.000Z", "", "", "1", "0055e000001AAAAAAA", ""],
        ],
        "Lead.csv",
    )  # fmt: skip
    contacts = write(
        tmp_path,
        [
            ["Id", "FirstName", "LastName", "Email", "AccountId", "Title", "MailingCountry", "CreatedDate",
             "Email Opt Out"],
            [CONTACT_ID, "Ana", "Lima", "ana@acme.io", ACCOUNT_ID, "CTO", "Deutschland", "2025-02-10T11:00:00Z", ""],
        ],
        "Contact.csv",
    )  # fmt: skip
    accounts = write(
        tmp_path,
        [["Id", "Name", "Website", "Industry", "NumberOfEmployees", "BillingCountry", "CreatedDate"],
         [ACCOUNT_ID, "Acme GmbH", "https://www.acme.io/", "Software", "1200", "DE", "2020-05-01T00:00:00Z"]],
        "Account.csv",
    )  # fmt: skip
    return leads, contacts, accounts


def test_a_converted_lead_and_its_contact_are_one_contact_with_both_ids(tmp_path, users):
    leads, contacts, accounts = salesforce_files(tmp_path)
    out, _ = run("accounts", accounts)
    assert "1 created, 0 updated, 0 unchanged, 0 skipped" in out
    run("contacts", leads)
    out, _ = run("contacts", contacts)
    assert "0 created, 1 updated" in out
    ana = Contact.objects.get(email="ana@acme.io")
    assert (ana.salesforce_lead_id, ana.salesforce_contact_id, ana.title, ana.country) == (
        LEAD_ID, CONTACT_ID, "CTO", "DE",
    )  # fmt: skip
    assert (ana.account.name, ana.account.salesforce_account_id, ana.account.domain) == (
        "Acme GmbH", ACCOUNT_ID, "acme.io",
    )  # fmt: skip
    assert ana.owner == users["sales_rep"]
    assert ana.created_at == utc("2025-01-05 10:00")  # the lead's, the earlier of the two
    assert list(StageChange.objects.filter(contact=ana).values_list("to_stage", "at")) == [
        ("lead", utc("2025-01-05 10:00")),
        ("sql", utc("2025-02-10 00:00")),
    ]
    out, _ = run("contacts", leads, "--restart")  # the leads again: nothing flips back
    assert "0 created, 0 updated, 2 unchanged" in out
    ana.refresh_from_db()
    assert (ana.salesforce_lead_id, ana.salesforce_contact_id) == (LEAD_ID, CONTACT_ID)
    dev = Contact.objects.get(email="dev@initech.com")
    # Opted out; owned by the user whose Salesforce id the first file taught; disqualified, date unknown.
    assert (dev.consent, dev.owner, dev.stage) == (False, users["sales_rep"], "disqualified")
    assert users["sales_rep"].__class__.objects.get(pk=users["sales_rep"].pk).crm_ids == ["0055e000001AAAAAAA"]
    undated = StageChange.objects.get(contact=dev, to_stage="disqualified")
    assert (undated.at, undated.details["dated"]) == (NOW, False)


def test_a_lead_row_with_its_converted_contact_id_links_both(tmp_path):
    path = write(
        tmp_path,
        [["Id", "LastName", "Company", "ConvertedContactId"], [LEAD_ID, "Lima", "Acme", CONTACT_ID]],
        "Lead.csv",
    )
    run("contacts", path)
    contact = Contact.objects.get()
    assert (contact.salesforce_lead_id, contact.salesforce_contact_id) == (LEAD_ID, CONTACT_ID)


def test_a_format_the_header_disagrees_with_is_refused_and_nothing_is_written(tmp_path):
    leads, _, _ = salesforce_files(tmp_path)
    with pytest.raises(CommandError) as caught:
        run("contacts", leads, "--format", "hubspot")
    assert str(caught.value) == (
        "Lead.csv: the file looks like a salesforce export (Id, FirstName, LastName, LeadSource, CreatedDate, "
        "ConvertedDate and 3 more), not hubspot; use --format salesforce, or --map to say how to read its columns"
    )
    assert (Contact.objects.count(), ImportRun.objects.count(), PropertyDefinition.objects.count()) == (0, 0, 0)


# --- values, and the summary --------------------------------------------------------------------------


def test_countries_are_read_the_same_in_accords_format_and_bad_ones_are_quoted(tmp_path):
    rows = [["email", "country", "employees", "company"]]
    rows += [[f"p{n}@acme.io", "Narnia", "", "Acme"] for n in range(5)]
    rows += [["in@acme.io", "India", "", "Acme"], ["de@acme.io", "DEU", "lots", "Acme"], ["x@", "US", "", ""]]
    path = write(tmp_path, rows)
    out, err = run("contacts", path)
    assert "7 created, 0 updated, 0 unchanged, 1 skipped" in out
    assert Contact.objects.get(email="in@acme.io").country == "IN"
    assert Contact.objects.get(email="de@acme.io").country == "DE"
    assert Contact.objects.get(email="p0@acme.io").country == ""
    assert err.splitlines()[:9] == [
        "7 problems, by field and cause:",
        "        5  country: is not a country name or ISO code (imported without it)",
        "           line 2: country: 'Narnia' is not a country name or ISO code (imported without it)",
        "           line 3: country: 'Narnia' is not a country name or ISO code (imported without it)",
        "           line 4: country: 'Narnia' is not a country name or ISO code (imported without it)",
        "        1  employees: is not a whole number (imported without it)",
        "           line 8: employees: 'lots' is not a whole number (imported without it)",
        "        1  email: is not a valid email address (row skipped)",
        "           line 9: email: 'x@' is not a valid email address",
    ]


@pytest.mark.parametrize(
    ("header", "value", "fmt"),
    [("Do Not Email", "Yes", "hubspot"), ("Email Opt Out", "true", "salesforce"),
     ("Unsubscribed from all email", "TRUE", "hubspot"), ("do_not_email", "1", "accord")],
)  # fmt: skip
def test_opt_outs_withdraw_consent(tmp_path, header, value, fmt):
    contact = Contact.objects.create(email="ana@acme.io", consent=True)
    path = write(tmp_path, [["Email", header], ["ana@acme.io", value]])
    run("contacts", path, "--format", fmt)
    contact.refresh_from_db()
    assert (contact.consent, contact.consent_at) == (False, NOW)
    assert list(ConsentChange.objects.values_list("consent", "via")) == [(False, "import")]


def test_an_opt_out_of_no_grants_no_consent(tmp_path):
    path = write(tmp_path, [["Email", "Unsubscribed from all email"], ["ana@acme.io", "false"]])
    run("contacts", path, "--format", "hubspot")
    assert Contact.objects.get().consent is None
    assert ConsentChange.objects.count() == 0


def test_a_mapping_reads_columns_no_table_knows(tmp_path):
    path = write(tmp_path, [["E-mail", "Lead Score", "Region", "Signed up"], ["ana@acme.io", "42", "EMEA", "3/5/2024"]])
    mapping = tmp_path / "mapping.txt"
    mapping.write_text("# how our old CRM names things\nE-mail=email\nSigned up=created_at\n")
    run("contacts", path, "--mapping", str(mapping), "--map", "Lead Score=properties.lead_score", "--map",
                 "Region=skip")  # fmt: skip
    contact = Contact.objects.get()
    assert (contact.email, contact.properties, contact.created_at) == (
        "ana@acme.io", {"lead_score": 42}, utc("2024-03-05 00:00"),
    )  # fmt: skip


def test_a_mapping_to_a_field_that_does_not_exist_is_refused_naming_it(tmp_path):
    path = write(tmp_path, [["Email", "Score"], ["ana@acme.io", "1"]])
    with pytest.raises(CommandError) as caught:
        run("contacts", path, "--map", "Score=fit")
    assert str(caught.value) == "contacts.csv: the mapping sends 'score' to 'fit', which is not a contact field"
    with pytest.raises(CommandError) as caught:
        run("contacts", path, "--map", "Score")
    assert "--map 'Score': write it as Column=field" in str(caught.value)
    assert Contact.objects.count() == 0


def test_the_dry_run_prints_how_each_column_is_read_and_writes_nothing(tmp_path):
    path = write(tmp_path, hubspot_rows())
    out, _ = run("contacts", path, "--dry-run")
    lines = out.splitlines()
    assert lines[0].startswith("Detected the hubspot format (Record ID - Contact, Job Title, Phone Number,")
    assert lines[1] == "3 data rows; the columns will be read as:"
    assert "Original Traffic Source" in lines[11] and lines[11].endswith("→ first_source")
    assert any(line.strip().startswith("24  Billing Contact") and "properties.billing_contact_2 [text]" in line
               for line in lines)  # fmt: skip
    assert "Of the first 3 rows, 0 would be skipped and 1 imported without a field." in out
    assert "line 3: Website URL: 'http://ttps://globex' is not a valid domain (imported without it)" in out
    assert out.rstrip().endswith("Dry run: nothing was written.")
    assert (Contact.objects.count(), Account.objects.count(), ImportRun.objects.count()) == (0, 0, 0)
    assert PropertyDefinition.objects.count() == 0


def test_only_the_contacts_an_import_touched_are_scored(tmp_path):
    Contact.objects.bulk_create([Contact(email=f"old{n}@acme.io") for n in range(10)])
    path = write(tmp_path, [["email"], ["new@acme.io"]])
    out, _ = run("contacts", path)
    assert "Scored 1 contacts under the active playbook" in out


# --- companies ---------------------------------------------------------------------------------------


def test_hubspot_companies_import_and_contacts_link_by_company_id(tmp_path):
    companies = write(
        tmp_path,
        [["Record ID", "Company name", "Company Domain Name", "Number of Employees", "Country/Region", "Create Date"],
         ["9001", "Acme GmbH", "acme.io", "1,200", "Germany", "2020-01-02"],
         ["9002", "Globex", "globex.com", "abc", "", ""]],
        "hubspot-crm-exports-all-companies.csv",
    )  # fmt: skip
    out, err = run("accounts", companies)
    assert "2 created, 0 updated, 0 unchanged, 0 skipped" in out
    acme = Account.objects.get(hubspot_company_id="9001")
    assert (acme.name, acme.domain, acme.employees, acme.country, acme.created_at) == (
        "Acme GmbH", "acme.io", 1200, "DE", utc("2020-01-02 00:00"),
    )  # fmt: skip
    assert "line 3: Number of Employees: 'abc' is not a whole number (imported without it)" in err
    contacts = write(tmp_path, [["Email", "Associated Company IDs"], ["ana@elsewhere.io", "9001"]])
    run("contacts", contacts, "--format", "hubspot")
    assert Contact.objects.get().account == acme
    out, _ = run("accounts", companies, "--restart")
    assert "0 created, 0 updated, 2 unchanged" in out


# --- Segment exports ---------------------------------------------------------------------------------


def test_a_segment_export_keeps_its_corrected_timestamp(tmp_path):
    # As Segment's warehouses and S3 exports write a message: timestamp already corrected by the skew
    # between the device's sentAt and Segment's receivedAt (here the device ran 90 s fast).
    message = {
        "anonymousId": "a-1", "channel": "client", "context": {"library": {"name": "analytics.js"}},
        "messageId": "ajs-next-1", "originalTimestamp": "2025-06-01T10:01:30.000Z", "properties": {"url": "/p"},
        "receivedAt": "2025-06-01T10:00:05.000Z", "sentAt": "2025-06-01T10:01:35.000Z",
        "timestamp": "2025-06-01T10:00:00.000Z", "type": "page", "userId": None, "version": 2,
    }  # fmt: skip
    path = tmp_path / "segment.jsonl"
    path.write_text(json.dumps(message) + "\n")
    run("events", str(path))
    assert Event.objects.get().timestamp == utc("2025-06-01 10:00:00")


def test_the_problem_summary_groups_by_cause(tmp_path):
    rows = [["email", "country"]] + [[f"p{n}@acme.io", "Xanadu"] for n in range(6)]
    with clock.frozen(NOW):
        result = actions.contacts_import(path=write(tmp_path, rows), acting_user=None)
    [group] = actions.problem_summary(result.run)
    assert (group.field, group.cause, group.kept, group.count) == (
        "country", "is not a country name or ISO code", True, 6,
    )  # fmt: skip
    assert group.examples == tuple(
        f"line {n}: country: 'Xanadu' is not a country name or ISO code (imported without it)" for n in (2, 3, 4)
    )
    assert User.objects.count() == 0


# --- the source, everywhere ---------------------------------------------------------------------------


def test_an_imported_source_is_in_the_api_and_on_the_contact_page(tmp_path, users, api_as, client):
    path = write(tmp_path, hubspot_rows())
    run("contacts", path)
    ana = Contact.objects.get(hubspot_id="5101")
    body = api_as("viewer").get(f"/contacts/{ana.pk}").json()
    assert body["source"] == {
        "origin": "imported",
        "first": {"source": "ORGANIC_SEARCH", "medium": "google", "campaign": "pricing guide", "offer": "", "at": None},
        "last": {"source": "Direct Traffic", "medium": "", "campaign": "", "offer": "", "at": None},
    }
    assert (body["created_at"], body["imported_at"]) == ("2024-12-24T17:45:00Z", "2026-03-02T12:00:00Z")
    assert (body["salesforce_lead_id"], body["salesforce_contact_id"]) == (None, None)
    client.force_login(users["viewer"])
    page = client.get(f"/contacts/{ana.pk}/").content.decode()
    assert "No tracked visits or forms yet" not in page
    assert "Source imported from a CRM export on 2 Mar 2026; no visit tracked yet." in page
    assert "ORGANIC_SEARCH" in page and "pricing guide" in page
    assert "From contacts.csv, line 2 (Became a Lead Date)." in page


# --- round trip -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["hubspot", "salesforce", "accord"])
def test_an_export_imports_into_an_empty_workspace_as_the_same_contacts(tmp_path, users, fmt):
    # given a workspace brought in from a HubSpot export, with stages, sources, owners and companies
    run("contacts", write(tmp_path, hubspot_rows()))
    Contact.objects.filter(hubspot_id="5102").update(stage="disqualified")  # a stage HubSpot has no name for

    def snapshot():
        # Salesforce's lead has no standard field for the latest source: that one stays behind.
        return sorted(
            (c.email or "", c.first_name, c.last_name, c.title, c.country, c.stage, c.first_source,
             c.last_source if fmt != "salesforce" else "", c.consent, c.owner_id, c.account.name if c.account else "")
            for c in Contact.objects.select_related("account")
        )  # fmt: skip

    before = snapshot()
    exported = tmp_path / f"export-{fmt}.csv"
    call_command("export", "contacts", "--format", fmt, "-o", str(exported), stdout=io.StringIO())
    # when it is imported into an empty workspace
    StageChange.objects.all().delete()
    ConsentChange.objects.all().delete()
    Contact.objects.all().delete()
    Account.objects.all().delete()
    out, _ = run("contacts", str(exported), "--format", fmt)
    # then the same contacts, stages and sources come back
    assert "3 created, 0 updated, 0 unchanged, 0 skipped" in out
    assert snapshot() == before
    if fmt == "hubspot":
        ana = Contact.objects.get(email="ana@acme.io")
        assert list(StageChange.objects.filter(contact=ana).values_list("to_stage", "at")) == [
            ("lead", utc("2025-01-10 09:00")),
            ("mql", utc("2025-02-01 10:30")),
            ("sql", utc("2025-02-03 08:00")),
        ]
