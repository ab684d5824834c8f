"""Pure rules of imports: column mapping per format, detection, reading a row. No database."""

from __future__ import annotations

import pytest

from accord.imports import domain
from accord.imports.domain import ContactFormat, HeaderError, Problem

HUBSPOT_HEADER = [
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number", "Job Title",
    "Company Name", "Country/Region", "City", "Lifecycle Stage", "Lead Status", "Contact owner", "Create Date",
    "Original Source", "Original Source Drill-Down 1", "Original Source Drill-Down 2", "Marketing contact status",
]  # fmt: skip
SALESFORCE_LEAD_REPORT = [
    "Lead ID", "First Name", "Last Name", "Title", "Company / Account", "Email", "Phone", "Mobile", "Lead Source",
    "Lead Status", "Lead Owner", "Country", "Industry", "No. of Employees", "Annual Revenue", "Rating", "Create Date",
]  # fmt: skip
SALESFORCE_CONTACT_REPORT = [
    "Contact ID", "First Name", "Last Name", "Title", "Account Name", "Email", "Phone", "Mobile", "Mailing Country",
    "Lead Source", "Contact Owner", "Account ID",
]  # fmt: skip
SALESFORCE_API = [
    "Id", "FirstName", "LastName", "Email", "Title", "Company", "Phone", "MobilePhone", "LeadSource", "Status",
    "Industry", "NumberOfEmployees", "AnnualRevenue", "Country", "OwnerId",
]  # fmt: skip
ACCORD_HEADER = [
    "email", "first_name", "last_name", "title", "seniority", "phone", "country", "company", "domain", "hubspot_id",
    "salesforce_id", "consent", "first_source", "owner", "favourite_colour",
]  # fmt: skip


def targets(header, fmt):
    return {c.header: c.target for c in domain.contact_layout(header, fmt).columns}


@pytest.mark.parametrize(
    ("header", "fmt", "expected"),
    [
        (
            HUBSPOT_HEADER,
            ContactFormat.HUBSPOT,
            {
                "Record ID": "hubspot_id",
                "First Name": "first_name",
                "Last Name": "last_name",
                "Email": "email",
                "Phone Number": "phone",
                "Mobile Phone Number": "mobile_phone",
                "Job Title": "title",
                "Company Name": "account.name",
                "Country/Region": "country",
                "City": "properties.city",
                "Lifecycle Stage": "properties.hubspot_lifecycle_stage",
                "Lead Status": "properties.lead_status",
                "Contact owner": "owner",
                "Create Date": "properties.create_date",
                "Original Source": "first_source",
                "Original Source Drill-Down 1": "properties.original_source_drill_down_1",
                "Original Source Drill-Down 2": "properties.original_source_drill_down_2",
                "Marketing contact status": "properties.marketing_contact_status",
            },
        ),
        (
            SALESFORCE_LEAD_REPORT,
            ContactFormat.SALESFORCE,
            {
                "Lead ID": "salesforce_id",
                "First Name": "first_name",
                "Last Name": "last_name",
                "Title": "title",
                "Company / Account": "account.name",
                "Email": "email",
                "Phone": "phone",
                "Mobile": "mobile_phone",
                "Lead Source": "first_source",
                "Lead Status": "properties.lead_status",
                "Lead Owner": "owner",
                "Country": "country",
                "Industry": "account.industry",
                "No. of Employees": "account.employees",
                "Annual Revenue": "account.annual_revenue",
                "Rating": "properties.rating",
                "Create Date": "properties.create_date",
            },
        ),
        (
            SALESFORCE_CONTACT_REPORT,
            ContactFormat.SALESFORCE,
            {
                "Contact ID": "salesforce_id",
                "First Name": "first_name",
                "Last Name": "last_name",
                "Title": "title",
                "Account Name": "account.name",
                "Email": "email",
                "Phone": "phone",
                "Mobile": "mobile_phone",
                "Mailing Country": "country",
                "Lead Source": "first_source",
                "Contact Owner": "owner",
                "Account ID": "properties.account_id",
            },
        ),
        (
            SALESFORCE_API,
            ContactFormat.SALESFORCE,
            {
                "Id": "salesforce_id",
                "FirstName": "first_name",
                "LastName": "last_name",
                "Email": "email",
                "Title": "title",
                "Company": "account.name",
                "Phone": "phone",
                "MobilePhone": "mobile_phone",
                "LeadSource": "first_source",
                "Status": "properties.lead_status",
                "Industry": "account.industry",
                "NumberOfEmployees": "account.employees",
                "AnnualRevenue": "account.annual_revenue",
                "Country": "country",
                "OwnerId": "properties.ownerid",
            },
        ),
        (
            ACCORD_HEADER,
            ContactFormat.ACCORD,
            {
                "email": "email",
                "first_name": "first_name",
                "last_name": "last_name",
                "title": "title",
                "seniority": "seniority",
                "phone": "phone",
                "country": "country",
                "company": "account.name",
                "domain": "account.domain",
                "hubspot_id": "hubspot_id",
                "salesforce_id": "salesforce_id",
                "consent": "consent",
                "first_source": "first_source",
                "owner": "owner",
                "favourite_colour": "properties.favourite_colour",
            },
        ),
    ],
    ids=["hubspot", "salesforce-lead-report", "salesforce-contact-report", "salesforce-api-names", "accord"],
)
def test_each_column_maps_to_a_field_an_account_field_or_a_property(header, fmt, expected):
    assert targets(header, fmt) == expected


@pytest.mark.parametrize(
    ("header", "fmt", "because"),
    [
        (HUBSPOT_HEADER, ContactFormat.HUBSPOT, "Record ID"),
        (SALESFORCE_LEAD_REPORT, ContactFormat.SALESFORCE, "Lead ID"),
        (SALESFORCE_CONTACT_REPORT, ContactFormat.SALESFORCE, "Account Name"),
        (SALESFORCE_API, ContactFormat.SALESFORCE, "FirstName"),
        (ACCORD_HEADER, ContactFormat.ACCORD, "first_name"),
        (["Email", "Title", "Phone"], ContactFormat.ACCORD, None),  # nothing specific: Accord's own
        (["\ufeffEmail", "First Name", "Lifecycle Stage"], ContactFormat.HUBSPOT, "Lifecycle Stage"),
    ],
)
def test_the_format_is_detected_from_the_columns_only_its_system_writes(header, fmt, because):
    detected, columns = domain.detect_format(header)
    assert detected is fmt
    assert (because in columns) if because else columns == ()


@pytest.mark.parametrize(
    ("header", "fmt", "message"),
    [
        (
            ["First Name", "Company Name"],
            ContactFormat.HUBSPOT,
            "no column that identifies a contact (Email or Record ID)",
        ),
        (["name", "company"], ContactFormat.ACCORD, "(email, hubspot_id or salesforce_id)"),
        (["email", "Email "], ContactFormat.ACCORD, "the column 'Email' appears twice (columns 1 and 2)"),
    ],
)
def test_a_header_that_cannot_be_used_is_refused(header, fmt, message):
    with pytest.raises(HeaderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        domain.contact_layout(header, fmt)


def test_a_second_column_for_the_same_field_becomes_a_property():
    assert targets(["Email", "Country", "Mailing Country"], ContactFormat.SALESFORCE) == {
        "Email": "email",
        "Country": "country",
        "Mailing Country": "properties.mailing_country",
    }


def test_unnamed_columns_are_left_out():
    layout = domain.contact_layout(["email", "", "first_name", " "], ContactFormat.ACCORD)
    assert [(c.index, c.target) for c in layout.columns] == [(0, "email"), (2, "first_name")]
    assert layout.width == 4


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Germany", "DE"),
        ("united states", "US"),
        ("USA", "US"),
        ("United  Kingdom", "GB"),
        ("UK", "GB"),
        ("de", "DE"),
        ("Deutschland", "DE"),
        ("Türkiye", "TR"),
        ("Atlantis", None),
        ("D", None),
    ],
)
def test_country_names_and_codes(value, code):
    assert domain.country_code(value) == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("001A0000006Vm9r", "001A0000006Vm9rIAC"),  # the example in Salesforce's documentation
        ("00Q5e00000AbCdE", "00Q5e00000AbCdEEAV"),
        ("001000000000001", "001000000000001AAA"),
        ("00Q5e00000AbCdEEAV", "00Q5e00000AbCdEEAV"),
        ("00Q5e00000AbCd", None),
        ("00Q5e00000AbCdE-AT", None),
    ],
)
def test_salesforce_ids_take_their_18_character_form(value, expected):
    assert domain.salesforce_id18(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Marketing Qualified Lead", "marketingqualifiedlead"),
        ("salesqualifiedlead", "salesqualifiedlead"),
        ("Subscriber", "subscriber"),
        ("Evangelist", "evangelist"),
        ("1234567", "1234567"),
    ],
)
def test_hubspot_lifecycle_stages_by_internal_name(value, expected):
    assert domain.hubspot_lifecycle_stage(value) == expected


@pytest.mark.parametrize(
    ("parse", "value", "expected"),
    [
        (domain.parse_whole_number, "1,200", 1200),
        (domain.parse_whole_number, "250.0", 250),
        (domain.parse_whole_number, "50-200", None),
        (domain.parse_whole_number, "12.5", None),
        (domain.parse_amount, "$1,200,000.00", "1200000.00"),
        (domain.parse_amount, "EUR 5000", "5000"),
        (domain.parse_amount, "5000 USD", "5000"),
        (domain.parse_amount, "lots", None),
        (domain.parse_bool, "Yes", True),
        (domain.parse_bool, "0", False),
        (domain.parse_bool, "maybe", None),
    ],
)
def test_numbers_amounts_and_yes_no(parse, value, expected):
    assert parse(value) == expected


def test_a_hubspot_row_is_read_into_fields_account_and_properties():
    layout = domain.contact_layout(HUBSPOT_HEADER, ContactFormat.HUBSPOT)
    cells = [
        "5101", "Ana", "Lima", "Ana@Acme.io", "", "+49 170 1234567", "CTO", "Acme GmbH", "Germany", "Berlin",
        "Marketing Qualified Lead", "Open", "Rita Rep", "2025-04-01 10:00", "Organic Search", "google", "",
        "Marketing contact",
    ]  # fmt: skip
    row = domain.read_contact_row(cells, layout, 7)
    assert row.problems == []
    assert row.contact == {
        "hubspot_id": "5101",
        "first_name": "Ana",
        "last_name": "Lima",
        "email": "Ana@Acme.io",
        "phone": "+49 170 1234567",  # the mobile, as there is no other phone
        "title": "CTO",
        "country": "DE",
        "properties": {
            "city": "Berlin",
            "hubspot_lifecycle_stage": "marketingqualifiedlead",
            "lead_status": "Open",
            "create_date": "2025-04-01 10:00",
            "original_source_drill_down_1": "google",
            "marketing_contact_status": "Marketing contact",
        },
    }
    assert row.account == {"name": "Acme GmbH"}
    assert row.attribution == {"first_source": "Organic Search"}
    assert row.owner == "Rita Rep"


def test_an_unknown_country_name_is_kept_as_a_property_in_crm_exports_only():
    hubspot = domain.contact_layout(["Email", "Country/Region"], ContactFormat.HUBSPOT)
    assert domain.read_contact_row(["a@x.io", "Atlantis"], hubspot, 2).contact == {
        "email": "a@x.io",
        "properties": {"country_region": "Atlantis"},
    }
    accord = domain.contact_layout(["email", "country"], ContactFormat.ACCORD)
    assert domain.read_contact_row(["a@x.io", "Atlantis"], accord, 2).contact == {
        "email": "a@x.io",
        "country": "Atlantis",  # left for validation to refuse
    }


def test_a_second_phone_is_kept_as_a_property():
    layout = domain.contact_layout(["Email", "Phone", "Mobile"], ContactFormat.SALESFORCE)
    row = domain.read_contact_row(["a@x.io", "+1 555 0100", "+1 555 0199"], layout, 2)
    assert row.contact == {"email": "a@x.io", "phone": "+1 555 0100", "properties": {"mobile": "+1 555 0199"}}


def test_problems_name_the_files_column():
    layout = domain.contact_layout(SALESFORCE_LEAD_REPORT, ContactFormat.SALESFORCE)
    cells = [""] * len(SALESFORCE_LEAD_REPORT)
    cells[0], cells[5], cells[13], cells[14] = "00Q-bad", "a@x.io", "50-200", "lots"
    row = domain.read_contact_row(cells, layout, 9)
    assert [str(p) for p in row.problems] == [
        "line 9: Lead ID: '00Q-bad' is not a 15- or 18-character Salesforce id",
        "line 9: No. of Employees: must be a whole number, not '50-200'",
        "line 9: Annual Revenue: must be an amount, not 'lots'",
    ]


def test_a_problem_reads_as_line_field_message():
    assert (
        str(Problem(3, "Email", "'x' is not a valid email address"))
        == "line 3: Email: 'x' is not a valid email address"
    )
    assert str(Problem(4, "", "not valid JSON (Expecting value at character 1)")) == (
        "line 4: not valid JSON (Expecting value at character 1)"
    )


def test_an_exported_message_keeps_when_it_happened():
    raw = b'{"type": "track"}\n'
    message = {
        "type": "track",
        "event": "Signed Up",
        "userId": "u1",
        "timestamp": "2024-05-01T10:00:00Z",
        "sentAt": "2024-05-01T10:00:05Z",
        "receivedAt": "2024-05-01T10:00:03Z",
    }
    prepared = domain.prepare_message(message, raw)
    # receivedAt − (sentAt − timestamp): the sender's clock ran 2 s fast
    assert prepared["timestamp"] == "2024-05-01T09:59:58Z"
    assert "sentAt" not in prepared and prepared["messageId"] == domain.line_message_id(raw)
    without_received = domain.prepare_message({k: v for k, v in message.items() if k != "receivedAt"}, raw)
    assert without_received["timestamp"] == "2024-05-01T10:00:00Z" and "sentAt" not in without_received
    assert domain.prepare_message({**message, "messageId": "m-1"}, raw)["messageId"] == "m-1"
    assert domain.prepare_message([1, 2], raw) == [1, 2]  # ingest says what is wrong with it
