"""Shared pieces of the wire format."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict


class InputSchema(Schema):
    """Input schemas refuse unknown fields, naming them."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    detail: str
    field: str | None = None
