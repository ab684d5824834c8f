"""Pure rules of imports: column mapping per format, detection, reading a row. No database."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.contacts.domain import PropertyType
from accord.imports import domain
from accord.imports.domain import ContactFormat, HeaderError, Problem, RecordObject, StageDate

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
    "salesforce_lead_id", "salesforce_contact_id", "salesforce_id", "consent", "first_source", "owner",
    "favourite_colour",
]  # fmt: skip
# The default playbook's stages (accord/playbook/default.yaml).
STAGE_KEYS = frozenset({"visitor", "subscriber", "lead", "mql", "sql", "opportunity", "customer", "recycled",
                        "disqualified"})  # fmt: skip


def targets(header, fmt):
    return {c.header: c.target for c in domain.layout(header, fmt).columns}


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
                "Lifecycle Stage": "hubspot_lifecycle_stage",
                "Lead Status": "properties.lead_status",  # a property only: stage history reads it for Salesforce
                "Contact owner": "owner",
                "Create Date": "created_at",
                "Original Source": "first_source",
                "Original Source Drill-Down 1": "first_medium",
                "Original Source Drill-Down 2": "first_campaign",
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
                "Lead Status": "lead_status",
                "Lead Owner": "owner",
                "Country": "country",
                "Industry": "account.industry",
                "No. of Employees": "account.employees",
                "Annual Revenue": "account.annual_revenue",
                "Rating": "properties.rating",
                "Create Date": "created_at",
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
                "Account ID": "account.salesforce_account_id",
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
                "Status": "lead_status",
                "Industry": "account.industry",
                "NumberOfEmployees": "account.employees",
                "AnnualRevenue": "account.annual_revenue",
                "Country": "country",
                "OwnerId": "owner_id",
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
                "salesforce_lead_id": "salesforce_lead_id",
                "salesforce_contact_id": "salesforce_contact_id",
                "salesforce_id": "salesforce_id",  # the older export's one column: routed by the id's prefix
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
            ["First Name", "Job Title"],
            ContactFormat.HUBSPOT,
            "the header has no column that identifies a contact (Email or Record ID, or a name and a company) "
            "for the hubspot format",
        ),
        (
            ["name", "company"],  # `name` is not a field of Accord's: a property, so no name to know a person by
            ContactFormat.ACCORD,
            "the header has no column that identifies a contact (email, hubspot_id, salesforce_lead_id or "
            "salesforce_contact_id, or a name and a company) for the accord format",
        ),
        (
            ["Title", "Phone"],
            ContactFormat.SALESFORCE,
            "the header has no column that identifies a contact (Email, Lead ID, Contact ID or Id, or a name and a "
            "company) for the salesforce format",
        ),
    ],
)
def test_a_header_that_cannot_be_used_is_refused(header, fmt, message):
    with pytest.raises(HeaderError) as refused:
        domain.layout(header, fmt)
    assert str(refused.value) == message


def test_a_name_and_a_company_are_enough_to_know_a_person_by():
    assert targets(["First Name", "Company Name"], ContactFormat.HUBSPOT) == {
        "First Name": "first_name",
        "Company Name": "account.name",
    }


def test_a_repeated_label_maps_its_first_column_and_keeps_the_others_as_numbered_properties():
    hubspot = domain.layout(["Record ID", "Email", "Company Name", "Company Name"], ContactFormat.HUBSPOT)
    assert [(c.index, c.target) for c in hubspot.columns] == [
        (0, "hubspot_id"),
        (1, "email"),
        (2, "account.name"),
        (3, "properties.company_name_2"),
    ]
    assert hubspot.columns[3].note == "the label appears 2 times; this is occurrence 2"
    accord = domain.layout(["email", "Email ", "EMAIL"], ContactFormat.ACCORD)  # compared without case or spacing
    assert [(c.index, c.target) for c in accord.columns] == [
        (0, "email"),
        (1, "properties.Email_2"),  # Accord's own format keeps a property's name as written
        (2, "properties.EMAIL_3"),
    ]


def test_a_second_column_for_the_same_field_becomes_a_property():
    assert targets(["Email", "Country", "Mailing Country"], ContactFormat.SALESFORCE) == {
        "Email": "email",
        "Country": "country",
        "Mailing Country": "properties.mailing_country",
    }


def test_unnamed_columns_are_left_out():
    layout = domain.layout(["email", "", "first_name", " "], ContactFormat.ACCORD)
    assert [(c.index, c.target) for c in layout.columns] == [(0, "email"), (2, "first_name")]
    assert [(c.index, c.target, c.note) for c in layout.skipped] == [
        (1, "skip", "an unnamed column"),
        (3, "skip", "an unnamed column"),
    ]
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
        ("DEU", "DE"),
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
    ("value", "record", "problems"),
    [
        ("00Q5e00000AbCdE", {"email": "a@x.io", "salesforce_lead_id": "00Q5e00000AbCdEEAV"}, []),
        ("0035e00000AbCdE", {"email": "a@x.io", "salesforce_contact_id": "0035e00000AbCdEAAV"}, []),
        (
            "001A0000006Vm9r",  # an account's id, in a contacts file
            {"email": "a@x.io"},
            [
                "line 2: Id: '001A0000006Vm9r' is not the id of a lead or contact (its prefix is '001'; expected "
                "00Q (lead) or 003 (contact))"
            ],
        ),
    ],
    ids=["lead", "contact", "account"],
)
def test_a_salesforce_id_column_is_routed_by_the_ids_prefix(value, record, problems):
    layout = domain.layout(["Email", "Id"], ContactFormat.SALESFORCE)
    row = domain.read_row(["a@x.io", value], layout, 2)
    assert row.record == record
    assert [str(p) for p in row.problems] == problems
    assert row.dropped is bool(problems)  # an id of another object is a bad identity: the row is skipped


@pytest.mark.parametrize(
    ("value", "property_value", "stage"),
    [
        ("Marketing Qualified Lead", "marketingqualifiedlead", "mql"),
        ("salesqualifiedlead", "salesqualifiedlead", "sql"),
        ("Subscriber", "subscriber", "subscriber"),
        ("customer", "customer", "customer"),
        ("Evangelist", "evangelist", "customer"),
        ("1234567", "1234567", None),  # a custom lifecycle stage: kept as written, no Accord stage
    ],
)
def test_hubspot_lifecycle_stages_by_internal_name(value, property_value, stage):
    layout = domain.layout(["Email", "Lifecycle Stage"], ContactFormat.HUBSPOT)
    row = domain.read_row(["a@x.io", value], layout, 2, stage_keys=STAGE_KEYS)
    assert row.properties == {"hubspot_lifecycle_stage": property_value}
    assert row.current_stage == (StageDate(stage, None, "Lifecycle Stage") if stage else None)
    assert row.stages == [] and row.problems == []


def test_a_lifecycle_stage_the_active_playbook_lacks_moves_nothing():
    layout = domain.layout(["Email", "Lifecycle Stage"], ContactFormat.HUBSPOT)
    row = domain.read_row(["a@x.io", "Marketing Qualified Lead"], layout, 2, stage_keys=frozenset({"lead", "sql"}))
    assert row.properties == {"hubspot_lifecycle_stage": "marketingqualifiedlead"}
    assert (row.current_stage, row.stages) == (None, [])


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


def test_a_hubspot_row_is_read_into_fields_account_attribution_and_properties():
    layout = domain.layout(HUBSPOT_HEADER, ContactFormat.HUBSPOT)
    cells = [
        "5101", "Ana", "Lima", "Ana@Acme.io", "", "+49 170 1234567", "CTO", "Acme GmbH", "Germany", "Berlin",
        "Marketing Qualified Lead", "Open", "Rita Rep", "2025-04-01 10:00", "Organic Search", "google", "",
        "Marketing contact",
    ]  # fmt: skip
    row = domain.read_row(cells, layout, 7, stage_keys=STAGE_KEYS)
    assert row.problems == []
    assert row.record == {
        "hubspot_id": "5101",
        "first_name": "Ana",
        "last_name": "Lima",
        "email": "Ana@Acme.io",
        "phone": "+49 170 1234567",  # the mobile, as there is no other phone
        "title": "CTO",
        "country": "DE",
    }
    assert row.properties == {
        "city": "Berlin",
        "hubspot_lifecycle_stage": "marketingqualifiedlead",
        "lead_status": "Open",
        "marketing_contact_status": "Marketing contact",
    }
    assert row.account == {"name": "Acme GmbH"}
    assert row.attribution == {"first_source": "Organic Search", "first_medium": "google"}
    assert (row.owner, row.owner_id) == ("Rita Rep", "")
    assert row.created_at == dt.datetime(2025, 4, 1, 10, 0, tzinfo=dt.UTC)
    # the lifecycle stage is the current stage, undated (no "Became a … Date" column); HubSpot's
    # Lead Status and Create Date date no stage
    assert row.stages == []
    assert row.current_stage == StageDate("mql", None, "Lifecycle Stage")


def test_a_salesforce_lead_row_brings_its_stage_history():
    layout = domain.layout(SALESFORCE_LEAD_REPORT, ContactFormat.SALESFORCE)
    cells = [""] * len(SALESFORCE_LEAD_REPORT)
    cells[0], cells[5], cells[9], cells[16] = "00Q5e00000AbCdE", "a@x.io", "Working - Contacted", "3/5/2024 2:22 PM"
    row = domain.read_row(cells, layout, 4, stage_keys=STAGE_KEYS)
    assert row.record == {"salesforce_lead_id": "00Q5e00000AbCdEEAV", "email": "a@x.io"}
    assert row.properties == {"lead_status": "Working - Contacted"}
    created = dt.datetime(2024, 3, 5, 14, 22, tzinfo=dt.UTC)
    assert row.created_at == created
    assert row.stages == [StageDate("lead", created, "Create Date")]  # a lead's create date: when it became one
    assert row.current_stage == StageDate("sql", None, "Lead Status")


@pytest.mark.parametrize(
    ("header", "fmt", "value", "field"),
    [
        (["Email", "Country/Region"], ContactFormat.HUBSPOT, "Atlantis", "Country/Region"),
        (["Email", "Mailing Country"], ContactFormat.SALESFORCE, "Atlantis", "Mailing Country"),
        (["email", "country"], ContactFormat.ACCORD, "Atlantis", "country"),
    ],
)
def test_a_country_is_read_the_same_in_every_format_and_an_unknown_one_is_left_out(header, fmt, value, field):
    layout = domain.layout(header, fmt)
    for written in ("Germany", "de", "DEU"):
        known = domain.read_row(["a@x.io", written], layout, 2)
        assert (known.record, known.properties, known.problems) == ({"email": "a@x.io", "country": "DE"}, {}, [])
    row = domain.read_row(["a@x.io", value], layout, 2)
    assert (row.record, row.properties) == ({"email": "a@x.io"}, {})
    assert row.problems == [
        Problem(2, field, "'Atlantis' is not a country name or ISO code", "is not a country name or ISO code", True)
    ]
    assert (
        str(row.problems[0]) == f"line 2: {field}: 'Atlantis' is not a country name or ISO code (imported without it)"
    )
    assert not row.dropped


def test_a_second_phone_is_kept_as_a_property():
    layout = domain.layout(["Email", "Phone", "Mobile"], ContactFormat.SALESFORCE)
    row = domain.read_row(["a@x.io", "+1 555 0100", "+1 555 0199"], layout, 2)
    assert row.record == {"email": "a@x.io", "phone": "+1 555 0100"}
    assert row.properties == {"mobile": "+1 555 0199"}


def test_problems_name_the_files_column():
    layout = domain.layout(SALESFORCE_LEAD_REPORT, ContactFormat.SALESFORCE)
    cells = [""] * len(SALESFORCE_LEAD_REPORT)
    cells[0], cells[5], cells[13], cells[14] = "00Q-bad", "a@x.io", "50-200", "lots"
    row = domain.read_row(cells, layout, 9)
    assert [str(p) for p in row.problems] == [
        "line 9: Lead ID: '00Q-bad' is not a 15- or 18-character Salesforce id",
        "line 9: No. of Employees: '50-200' is not a whole number (imported without it)",
        "line 9: Annual Revenue: 'lots' is not an amount (imported without it)",
    ]
    assert [(p.cause, p.kept) for p in row.problems] == [
        ("is not a Salesforce id", False),
        ("is not a whole number", True),
        ("is not an amount", True),
    ]
    assert row.dropped  # the bad id: a row whose identity is bad is skipped


def test_a_bad_optional_field_is_left_out_and_the_row_kept():
    layout = domain.layout(["email", "consent", "domain", "employees", "country", "title"], ContactFormat.ACCORD)
    row = domain.read_row(["a@x.io", "perhaps", "not a domain", "many", "Atlantis", "CTO"], layout, 5)
    assert (row.record, row.account) == ({"email": "a@x.io", "title": "CTO"}, {})
    assert [str(p) for p in row.problems] == [
        "line 5: consent: 'perhaps' is not true or false (yes/no, 1/0) (imported without it)",
        "line 5: domain: 'not a domain' is not a valid domain (imported without it)",
        "line 5: employees: 'many' is not a whole number (imported without it)",
        "line 5: country: 'Atlantis' is not a country name or ISO code (imported without it)",
    ]
    assert all(p.kept for p in row.problems) and not row.dropped


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["38", "40.5", ""], PropertyType.NUMBER),
        (["0", "1", "1"], PropertyType.NUMBER),  # a column of 0 and 1 is more likely a count than a flag
        (["yes", "No"], PropertyType.BOOLEAN),
        (["2024-03-05", "3/5/2024"], PropertyType.DATE),
        (["38", "n/a"], PropertyType.TEXT),
        ([], PropertyType.TEXT),
    ],
)
def test_a_custom_property_column_is_typed_by_what_it_holds(values, kind):
    assert domain.infer_type(values) is kind


def test_custom_properties_are_stored_as_their_columns_type():
    layout = domain.layout(["Email", "Shoe Size", "Renewal", "Partner", "Notes"], ContactFormat.HUBSPOT)
    types = {"shoe_size": PropertyType.NUMBER, "renewal": PropertyType.DATE, "partner": PropertyType.BOOLEAN}
    row = domain.read_row(["a@x.io", "38", "2026-01-31", "Yes", "38"], layout, 3, types)
    assert row.properties == {"shoe_size": 38, "renewal": "2026-01-31", "partner": True, "notes": "38"}
    assert row.problems == []
    bad = domain.read_row(["a@x.io", "size 38", "soon", "maybe", "x"], layout, 4, types)
    assert bad.properties == {"notes": "x"}
    assert [str(p) for p in bad.problems] == [
        "line 4: Shoe Size: 'size 38' is not a number (the column holds numbers) (imported without it)",
        "line 4: Renewal: 'soon' is not a date (the column holds dates) (imported without it)",
        "line 4: Partner: 'maybe' is not a boolean (the column holds booleans) (imported without it)",
    ]
    assert not bad.dropped


def test_an_accord_accounts_file_keeps_a_salesforce_id_as_the_accounts():
    layout = domain.layout(["name", "salesforce_id"], ContactFormat.ACCORD, RecordObject.ACCOUNT)
    assert domain.read_row(["Acme", "001A0000006Vm9r"], layout, 2).record == {
        "name": "Acme",
        "salesforce_account_id": "001A0000006Vm9rIAC",
    }
    legacy = domain.read_row(["Acme", "A-17"], layout, 2)  # Accord's own file: an id kept as written
    assert legacy.record == {"name": "Acme", "salesforce_account_id": "A-17"}


def test_a_problem_reads_as_line_field_message():
    assert (
        str(Problem(3, "Email", "'x' is not a valid email address"))
        == "line 3: Email: 'x' is not a valid email address"
    )
    assert str(Problem(4, "", "not valid JSON (Expecting value at character 1)")) == (
        "line 4: not valid JSON (Expecting value at character 1)"
    )
    kept = Problem(5, "Country", "'Atlantis' is not a country name or ISO code", "is not a country name", kept=True)
    assert str(kept) == "line 5: Country: 'Atlantis' is not a country name or ISO code (imported without it)"
    assert (kept.grouped_by, Problem(6, "row", "whole message").grouped_by) == (
        "is not a country name",
        "whole message",
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
    # Segment's exported timestamp is the corrected one already: kept, and sentAt dropped so that
    # ingest does not correct it a second time
    assert prepared == {**{k: v for k, v in message.items() if k != "sentAt"}, "messageId": domain.line_message_id(raw)}
    without_received = domain.prepare_message({k: v for k, v in message.items() if k != "receivedAt"}, raw)
    assert without_received["timestamp"] == "2024-05-01T10:00:00Z" and "sentAt" not in without_received
    # only the sender's own clock: receivedAt − (sentAt − originalTimestamp), the sender's clock ran 2 s fast
    original = {k: v for k, v in message.items() if k != "timestamp"} | {"originalTimestamp": "2024-05-01T10:00:00Z"}
    corrected = domain.prepare_message(original, raw)
    assert corrected["timestamp"] == "2024-05-01T09:59:58Z" and "sentAt" not in corrected
    assert corrected["originalTimestamp"] == "2024-05-01T10:00:00Z"
    unreceived = domain.prepare_message({k: v for k, v in original.items() if k != "receivedAt"}, raw)
    assert "timestamp" not in unreceived and "sentAt" not in unreceived  # ingest takes originalTimestamp as it is
    assert domain.prepare_message({**message, "messageId": "m-1"}, raw)["messageId"] == "m-1"
    assert domain.prepare_message([1, 2], raw) == [1, 2]  # ingest says what is wrong with it
