"""Preparing a Segment message from an export for ingest."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from accord.tracking.domain import Rejected, corrected, parse_time


def line_message_id(raw_line: bytes) -> str:
    """A stable message id for a line without one, so that importing a file twice stores it once."""
    return "import-" + hashlib.sha256(raw_line.strip()).hexdigest()[:32]


def prepare_message(message: Any, raw_line: bytes) -> Any:
    """A message from an export, made ready for ingest, which stamps it as received now.

    Ingest corrects a sender's clock with receivedAt − (sentAt − timestamp), which is right only
    for a message arriving now. A message that was received before (it carries `receivedAt`, as
    Segment's exports and warehouses write them) already has the corrected `timestamp`: it is kept
    as it is, and `sentAt` is dropped so that ingest does not correct it a second time. A message
    with `sentAt` but no `timestamp` (only `originalTimestamp`) is corrected here against its own
    `receivedAt`. A message without a messageId gets one derived from the line. Anything else is
    left for ingest to judge.
    """
    if not isinstance(message, dict):
        return message
    prepared = dict(message)
    if prepared.get("messageId") in (None, ""):
        prepared["messageId"] = line_message_id(raw_line)
    sent = prepared.pop("sentAt", None)
    if prepared.get("timestamp") not in (None, "") or sent in (None, ""):
        return prepared  # Segment's own timestamp is the corrected one
    try:
        sent_at = parse_time(sent, "sentAt")
        received_at = parse_time(prepared.get("receivedAt"), "receivedAt")
        original = parse_time(prepared.get("originalTimestamp"), "originalTimestamp")
    except Rejected:
        return prepared  # ingest names the bad field
    if received_at is not None and original is not None and sent_at is not None:
        try:
            prepared["timestamp"] = _iso(corrected(original, sent_at, received_at))
        except Rejected:
            return prepared
    return prepared


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
