"""`accord export contacts|accounts`: the exact file in each format, filters, stage dates from the
history, who may export, the audit row, and a constant number of queries per chunk."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.contacts.models import Account, Contact
from accord.contacts.tests.scores import given_scores
from accord.core.errors import PermissionDenied
from accord.core.models import AuditEntry
from accord.imports import export
from accord.imports.domain import exports as domain
from accord.imports.domain.columns import Format
from accord.lifecycle.models import StageChange
from accord.playbook.queries import active_playbook

pytestmark = pytest.mark.django_db


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def acme(db):
    return Account.objects.create(
        name="Acme, Inc.", domain="acme.com", industry="Software", employees=1200,
        annual_revenue=Decimal("25000000.00"), country="US", hubspot_company_id="77",
        salesforce_account_id="001000000000001AAA", created_at=at("2025-11-04 08:00:00"),
    )  # fmt: skip


@pytest.fixture
def people(acme, users):
    """Ada (an SQL with a history that went back and came again), Bob (no account, owner or
    stage) and an erased contact, which no export writes."""
    ada = Contact.objects.create(
        email="ada@acme.com", first_name="Ada", last_name="Lovelace", title="VP Marketing", seniority="vp",
        phone="+44 20 7946 0000", country="GB", consent=False, hubspot_id="901",
        salesforce_lead_id="00Q000000000001AAA", salesforce_contact_id="003000000000001AAA",
        owner=users["marketing"], account=acme, first_source="google", first_medium="cpc", first_campaign="brand",
        last_source="linkedin", last_medium="paid_social", last_campaign="q4", first_offer="RevOps guide",
        last_offer="Pricing demo", stage="sql",
        properties={"city": "London", "webinars": 3, "vip": True}, created_at=at("2026-01-31 09:15:00.250000"),
    )  # fmt: skip
    given_scores(ada, fit_score=85, fit_grade="A", interest_score=42.5, quadrant="ready")
    version = active_playbook()
    moves = [
        ("", "lead", "2026-02-01 10:00:00"),
        ("lead", "mql", "2026-02-03 11:30:00"),
        ("mql", "sql", "2026-02-05 12:00:00"),
        ("sql", "recycled", "2026-02-10 09:00:00"),
        ("recycled", "lead", "2026-02-20 09:00:00"),
        ("lead", "mql", "2026-02-21 09:00:00"),
        ("mql", "sql", "2026-02-22 09:00:00"),
    ]
    for from_stage, to_stage, when in moves:
        StageChange.objects.create(
            contact=ada, from_stage=from_stage, to_stage=to_stage, kind="advance", at=at(when),
            playbook_version=version,
        )  # fmt: skip
    bob = Contact.objects.create(
        email="bob@gmail.com", first_name="Bob", last_name="Stone", created_at=at("2026-02-02 08:00:00")
    )
    Contact.objects.create(first_name="", created_at=at("2026-02-03 08:00:00"), erased_at=at("2026-03-01 00:00:00"))
    return ada, bob


def csv_of(result: export.Export) -> str:
    return "".join(result.csv())


def lines(text: str) -> list[str]:
    return text.split("\r\n")


# --- the three formats, exactly ---------------------------------------------------------------------


def test_accord_format_writes_accords_own_columns_and_each_property(people):
    result = export.contacts_export(filters=export.ContactFilters(), format=Format.ACCORD, acting_user=None)
    assert lines(csv_of(result)) == [
        "email,first_name,last_name,title,seniority,phone,country,consent,hubspot_id,salesforce_lead_id,"
        "salesforce_contact_id,owner,company,domain,industry,employees,annual_revenue,hubspot_company_id,"
        "salesforce_account_id,first_source,first_medium,first_campaign,stage,fit_score,fit_grade,interest_score,"
        "quadrant,last_source,last_medium,last_campaign,first_offer,last_offer,created_at,properties.city,"
        "properties.vip,properties.webinars",
        "ada@acme.com,Ada,Lovelace,VP Marketing,vp,+44 20 7946 0000,GB,false,901,00Q000000000001AAA,"
        '003000000000001AAA,marketing@example.com,"Acme, Inc.",acme.com,Software,1200,25000000,77,'
        "001000000000001AAA,google,cpc,brand,sql,85,A,42.5,ready,linkedin,paid_social,q4,RevOps guide,"
        "Pricing demo,2026-01-31T09:15:00Z,London,true,3",
        "bob@gmail.com,Bob,Stone,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,2026-02-02T08:00:00Z,,,",
        "",
    ]
    assert result.total == result.written == 2


def test_hubspot_format_writes_labels_lifecycle_and_the_first_date_of_each_stage(people):
    result = export.contacts_export(filters=export.ContactFilters(), format=Format.HUBSPOT, acting_user=None)
    assert lines(csv_of(result)) == [
        "Record ID,First Name,Last Name,Email,Job Title,Phone Number,Country/Region,Company Name,Website URL,"
        "Industry,Number of Employees,Annual Revenue,Contact owner,Lifecycle Stage,Accord Stage,Original Source,"
        "Original Source Drill-Down 1,Original Source Drill-Down 2,Latest Source,Latest Source Drill-Down 1,"
        "Latest Source Drill-Down 2,First Conversion,Recent Conversion,Create Date,Unsubscribed from all email,"
        "Fit Score,Fit Grade,Interest Score,Quadrant,Became a Subscriber Date,Became a Lead Date,"
        "Became a Marketing Qualified Lead Date,Became a Sales Qualified Lead Date,Became an Opportunity Date,"
        "Became a Customer Date",
        '901,Ada,Lovelace,ada@acme.com,VP Marketing,+44 20 7946 0000,GB,"Acme, Inc.",acme.com,Software,1200,'
        "25000000,marketing@example.com,salesqualifiedlead,sql,google,cpc,brand,linkedin,paid_social,q4,"
        "RevOps guide,Pricing demo,2026-01-31T09:15:00Z,true,85,A,42.5,ready,,2026-02-01T10:00:00Z,"
        "2026-02-03T11:30:00Z,2026-02-05T12:00:00Z,,",
        ",Bob,Stone,bob@gmail.com,,,,,,,,,,,,,,,,,,,,2026-02-02T08:00:00Z,,,,,,,,,,,",
        "",
    ]


def test_salesforce_format_writes_lead_api_names_status_and_conversion(people):
    result = export.contacts_export(filters=export.ContactFilters(), format=Format.SALESFORCE, acting_user=None)
    assert lines(csv_of(result)) == [
        "Id,ConvertedContactId,FirstName,LastName,Email,Title,Phone,Country,Company,Website,Industry,"
        "NumberOfEmployees,AnnualRevenue,Owner.Email,LeadSource,Status,HasOptedOutOfEmail,CreatedDate,"
        "ConvertedDate,Accord_Stage__c,Fit_Score__c,Interest_Score__c,Quadrant__c",
        "00Q000000000001AAA,003000000000001AAA,Ada,Lovelace,ada@acme.com,VP Marketing,+44 20 7946 0000,GB,"
        '"Acme, Inc.",acme.com,Software,1200,25000000,marketing@example.com,google,Working - Contacted,true,'
        "2026-01-31T09:15:00Z,2026-02-05T12:00:00Z,sql,85,42.5,ready",
        ",,Bob,Stone,bob@gmail.com,,,,,,,,,,,,,2026-02-02T08:00:00Z,,,,,",
        "",
    ]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (
            Format.ACCORD,
            [
                "name,domain,industry,employees,annual_revenue,country,owner,hubspot_company_id,"
                "salesforce_account_id,created_at,properties.tier",
                '"Acme, Inc.",acme.com,Software,1200,25000000,US,sales_manager@example.com,77,001000000000001AAA,'
                "2025-11-04T08:00:00Z,gold",
                "Globex,globex.io,,,1234.5,,,,,2025-12-01T00:00:00Z,",
            ],
        ),
        (
            Format.HUBSPOT,
            [
                "Record ID,Company name,Company Domain Name,Industry,Number of Employees,Annual Revenue,"
                "Country/Region,Company owner,Create Date",
                '77,"Acme, Inc.",acme.com,Software,1200,25000000,US,sales_manager@example.com,2025-11-04T08:00:00Z',
                ",Globex,globex.io,,,1234.5,,,2025-12-01T00:00:00Z",
            ],
        ),
        (
            Format.SALESFORCE,
            [
                "Id,Name,Website,Industry,NumberOfEmployees,AnnualRevenue,BillingCountry,Owner.Email,CreatedDate",
                '001000000000001AAA,"Acme, Inc.",acme.com,Software,1200,25000000,US,sales_manager@example.com,'
                "2025-11-04T08:00:00Z",
                ",Globex,globex.io,,,1234.5,,,2025-12-01T00:00:00Z",
            ],
        ),
    ],
)
def test_accounts_in_each_format(acme, users, fmt, expected):
    acme.owner, acme.properties = users["sales_manager"], {"tier": "gold"}
    acme.save()
    Account.objects.create(
        name="Globex", domain="globex.io", annual_revenue=Decimal("1234.50"), created_at=at("2025-12-01 00:00:00")
    )
    result = export.accounts_export(filters=export.AccountFilters(), format=fmt, acting_user=None)
    assert lines(csv_of(result)) == [*expected, ""]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (None, ""),
        (0, "0"),
        (1200, "1200"),
        (42.5, "42.5"),
        (42.375, "42.38"),
        (40.0, "40"),
        (-0.001, "0"),
        (Decimal("25000000.00"), "25000000"),
        (Decimal("1234.50"), "1234.5"),
        (Decimal("0.00"), "0"),
    ],
)
def test_numbers_are_written_plain(value, written):
    assert domain.number(value) == written


def test_moments_are_iso_8601_utc_to_the_second():
    cet = dt.timezone(dt.timedelta(hours=1))
    assert domain.moment(dt.datetime(2026, 1, 31, 10, 15, 0, 999_999, tzinfo=cet)) == "2026-01-31T09:15:00Z"
    assert domain.moment(dt.datetime(2026, 1, 31, 9, 15, tzinfo=dt.UTC)) == "2026-01-31T09:15:00Z"
    assert domain.moment(None) == ""


def test_every_stage_of_the_default_playbook_has_a_lead_status_or_is_left_to_salesforce():
    statuses = {stage.key: domain.lead_status(stage.key) for stage in active_playbook().playbook.stages}
    assert statuses == {
        "visitor": "",
        "subscriber": "Open - Not Contacted",
        "lead": "Open - Not Contacted",
        "mql": "Open - Not Contacted",
        "sql": "Working - Contacted",
        "opportunity": "Closed - Converted",
        "customer": "Closed - Converted",
        "recycled": "Open - Not Contacted",
        "disqualified": "Closed - Not Converted",
    }


# --- filters ------------------------------------------------------------------------------------------


def emails(filters: export.ContactFilters) -> list[str]:
    result = export.contacts_export(filters=filters, format=Format.ACCORD, acting_user=None)
    return [line.split(",")[0] for line in lines(csv_of(result))[1:-1]]


def test_the_filters_of_the_contacts_list_narrow_the_export(people, acme, users):
    assert emails(export.ContactFilters()) == ["ada@acme.com", "bob@gmail.com"]
    assert emails(export.ContactFilters(stage="sql")) == ["ada@acme.com"]
    assert emails(export.ContactFilters(stage="none")) == ["bob@gmail.com"]
    assert emails(export.ContactFilters(search="acme")) == ["ada@acme.com"]  # the account's name
    assert emails(export.ContactFilters(search="bob stone")) == ["bob@gmail.com"]
    assert emails(export.ContactFilters(owner_id=users["marketing"].pk)) == ["ada@acme.com"]
    assert emails(export.ContactFilters(unowned=True)) == ["bob@gmail.com"]
    assert emails(export.ContactFilters(account_id=acme.pk)) == ["ada@acme.com"]
    assert emails(export.ContactFilters(quadrant="ready")) == ["ada@acme.com"]
    assert emails(export.ContactFilters(quadrant="low")) == []
    assert emails(export.ContactFilters(heating=True)) == []  # nobody's interest rose this week


def test_accounts_are_filtered_by_search_and_industry(acme):
    Account.objects.create(name="Globex", domain="globex.io", industry="Retail")

    def names(filters: export.AccountFilters) -> list[str]:
        result = export.accounts_export(filters=filters, format=Format.ACCORD, acting_user=None)
        return [line.split(",")[0] for line in lines(csv_of(result))[1:-1]]

    assert names(export.AccountFilters(search="globex.io")) == ["Globex"]
    assert names(export.AccountFilters(industry="Software")) == ['"Acme']
    assert names(export.AccountFilters()) == ['"Acme', "Globex"]


# --- who may export, and the audit row -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "marketing", "sales_manager"])
def test_admins_and_the_two_leads_export_with_one_audit_row(people, users, role):
    result = export.contacts_export(
        filters=export.ContactFilters(stage="sql", search="ada"), format=Format.HUBSPOT, acting_user=users[role]
    )
    entry = AuditEntry.objects.get(action="contacts_export")
    assert (entry.actor, entry.object_type) == (users[role], "contacts.contact")
    assert entry.details == {"format": "hubspot", "filters": {"search": "ada", "stage": "sql"}, "rows": 1}
    assert len(lines(csv_of(result))) == 3


@pytest.mark.parametrize("role", ["sales_rep", "viewer"])
def test_reps_and_viewers_may_not_export_and_nothing_is_written(people, users, role):
    with pytest.raises(PermissionDenied):
        export.contacts_export(filters=export.ContactFilters(), format=Format.ACCORD, acting_user=users[role])
    with pytest.raises(PermissionDenied):
        export.accounts_export(filters=export.AccountFilters(), format=Format.ACCORD, acting_user=users[role])
    assert not AuditEntry.objects.filter(action__in=["contacts_export", "accounts_export"]).exists()


# --- streamed: a constant number of queries per chunk -----------------------------------------------------


def many(count: int) -> None:
    version = active_playbook()
    account = Account.objects.create(name=f"Company {count}", domain=f"c{count}.example")
    contacts = Contact.objects.bulk_create(
        Contact(email=f"p{count}-{n}@c{count}.example", account=account, stage="mql") for n in range(count)
    )
    StageChange.objects.bulk_create(
        StageChange(contact=c, from_stage="lead", to_stage="mql", kind="advance", playbook_version=version)
        for c in contacts
    )


def queries_for(fmt: Format, *, chunk_size: int = export.CHUNK_SIZE) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        result = export.contacts_export(
            filters=export.ContactFilters(), format=fmt, acting_user=None, chunk_size=chunk_size
        )
        rows = len(lines(csv_of(result))) - 2
    return rows, len(captured.captured_queries)


@pytest.mark.parametrize("fmt", list(Format))
def test_the_number_of_queries_does_not_grow_with_the_rows(fmt):
    many(10)
    ten = queries_for(fmt)
    many(90)
    hundred = queries_for(fmt)
    assert (ten[0], hundred[0]) == (10, 100)
    assert hundred[1] == ten[1]


def test_each_chunk_costs_one_stage_history_query():
    many(100)
    _, one_chunk = queries_for(Format.HUBSPOT)
    rows, ten_chunks = queries_for(Format.HUBSPOT, chunk_size=10)
    assert rows == 100 and ten_chunks == one_chunk + 9


# --- the command -------------------------------------------------------------------------------------------


def test_the_command_writes_a_file_with_the_filters(people, users, tmp_path):
    out = io.StringIO()
    path = tmp_path / "sql.csv"
    call_command("export", "contacts", "--format", "salesforce", "--stage", "sql", "-o", str(path), stdout=out)
    assert out.getvalue() == f"Exported 1 contact in the salesforce format to {path} (0.0 s).\n"
    text = path.read_bytes().decode()
    assert text.startswith("Id,ConvertedContactId,") and text.count("\r\n") == 2 and "ada@acme.com" in text
    entry = AuditEntry.objects.get(action="contacts_export")
    assert entry.actor is None and entry.details["filters"] == {"stage": "sql"}


def test_the_command_writes_to_standard_output_and_reports_on_stderr(people, users):
    out, err = io.StringIO(), io.StringIO()
    call_command("export", "contacts", "--owner", "MARKETING@example.com", stdout=out, stderr=err)
    assert out.getvalue().splitlines()[1].startswith("ada@acme.com,")
    assert len(out.getvalue().splitlines()) == 2
    assert err.getvalue().startswith("Exported 1 contact in the accord format to standard output")


def test_the_command_exports_accounts(acme):
    out = io.StringIO()
    call_command("export", "accounts", "--format", "hubspot", "--search", "acme", stdout=out, stderr=io.StringIO())
    assert out.getvalue().splitlines()[0].startswith("Record ID,Company name,")


def test_the_command_refuses_an_unknown_owner(people):
    with pytest.raises(CommandError, match=r"no user has the email 'nobody@example\.com'"):
        call_command("export", "contacts", "--owner", "nobody@example.com", stdout=io.StringIO())
    assert not AuditEntry.objects.filter(action="contacts_export").exists()
