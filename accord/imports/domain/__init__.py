"""Pure rules of imports: file formats and their columns (`columns`), reading a cell
(`values`) and a row (`rows`), and preparing a Segment message from an export (`events`).

No Django, no I/O: the actions read the file and write; this package only turns text into
values or into problems (`line N: field: message`).
"""

from __future__ import annotations

import enum
import hashlib

from accord.imports.domain.columns import (
    IDENTITY_TARGETS,
    Column,
    Format,
    HeaderError,
    Layout,
    RecordObject,
    check_format,
    detect_format,
    header_key,
    layout,
    parse_mapping,
    property_name,
)
from accord.imports.domain.events import line_message_id, prepare_message
from accord.imports.domain.rows import (
    HUBSPOT_BECAME_DATE,
    HUBSPOT_LIFECYCLE_OF,
    HUBSPOT_STAGE_OF,
    LEAD_STATUS_STAGE,
    Problem,
    Row,
    StageDate,
    read_row,
)
from accord.imports.domain.values import (
    country_code,
    fold_source,
    infer_type,
    parse_amount,
    parse_bool,
    parse_moment,
    parse_whole_number,
    person_key,
    salesforce_id18,
    salesforce_id_forms,
    typed_value,
)

ContactFormat = Format  # the name the first imports used

DEFAULT_BATCH_SIZE = 500
HEAD_BYTES = 64 * 1024  # a file is known by its path, its size and the SHA-256 of its first 64 KB
TYPE_SAMPLE_ROWS = 1_000  # rows read before the import to know what each custom-property column holds
SUMMARY_EXAMPLES = 3  # lines shown per cause in the summary of problems


class ImportKind(enum.StrEnum):
    CONTACTS = "contacts"  # a CSV file of contacts, upserted by email, CRM id, or name and company
    ACCOUNTS = "accounts"  # a CSV file of companies, upserted by CRM id, domain or name
    EVENTS = "events"  # a JSON Lines file of Segment messages, handed to ingest


EVENTS_FORMAT = "segment"  # the only events format: one Segment message per line


class RunStatus(enum.StrEnum):
    RUNNING = "running"  # started, or stopped part-way (a crash, Ctrl+C): the same command resumes it
    FINISHED = "finished"  # every line was read; the counts are final
    ABANDONED = "abandoned"  # stopped part-way and replaced by a run started with --restart
    FAILED = "failed"  # a background run stopped on an error it could not report by line


def head_digest(head: bytes) -> str:
    return hashlib.sha256(head[:HEAD_BYTES]).hexdigest()


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "EVENTS_FORMAT",
    "HEAD_BYTES",
    "HUBSPOT_BECAME_DATE",
    "HUBSPOT_LIFECYCLE_OF",
    "HUBSPOT_STAGE_OF",
    "IDENTITY_TARGETS",
    "LEAD_STATUS_STAGE",
    "SUMMARY_EXAMPLES",
    "TYPE_SAMPLE_ROWS",
    "Column",
    "ContactFormat",
    "Format",
    "HeaderError",
    "ImportKind",
    "Layout",
    "Problem",
    "RecordObject",
    "Row",
    "RunStatus",
    "StageDate",
    "check_format",
    "country_code",
    "detect_format",
    "fold_source",
    "head_digest",
    "header_key",
    "infer_type",
    "layout",
    "line_message_id",
    "parse_amount",
    "parse_bool",
    "parse_mapping",
    "parse_moment",
    "parse_whole_number",
    "person_key",
    "prepare_message",
    "property_name",
    "read_row",
    "salesforce_id18",
    "salesforce_id_forms",
    "typed_value",
]
