"""Shared pieces of the wire format: input that is refused field by field, bounded ids and paging,
and the error answers every operation declares."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from ninja.parser import Parser
from pydantic import AfterValidator, ConfigDict, StrictInt, field_validator

from accord.core.text import MAX_ID, problem

# Row ids are 64-bit; 0 and below name nothing.
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
# An id in a path or a query string (text on the wire, so not strict).
PathId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _in_utc(value: dt.datetime) -> dt.datetime:
    """A time as UTC (naive times are UTC): databases store no offset, and some refuse large ones."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


# A date and time in input: ISO 8601, any offset, kept as UTC.
Moment = Annotated[dt.datetime, AfterValidator(_in_utc)]
# Offsets past this many rows are refused rather than handed to the database.
MAX_OFFSET = 10**9
MAX_LIMIT = 500


def _storable(value: Any, info: Any) -> Any:
    found = problem(value, info.field_name)
    if found is not None:
        where, _, reason = found.partition(": ")
        raise ValueError(reason if where == info.field_name else f"{reason} (at {where})")
    return value


class InputSchema(Schema):
    """Input schemas refuse unknown fields, and text or values no database could store (NUL
    characters, unpaired surrogates, numbers past 64 bits), naming the field."""

    model_config = ConfigDict(extra="forbid")

    _check = field_validator("*", mode="before")(_storable)


class QuerySchema(Schema):
    """Filters in a query string: unknown parameters are ignored, unstorable text refused by name."""

    _check = field_validator("*", mode="before")(_storable)


class ErrorOut(Schema):
    detail: str = Field(description="What is wrong, in words; for bad input it starts with the field.")
    field: str | None = Field(None, description="The input at fault, when one is.")
    errors: list[dict[str, str]] | None = Field(None, description="Every problem, each with its field and message.")


def errors(*codes: int) -> dict[int, type[ErrorOut]]:
    """The error answers of an operation, each with the same shape. Every operation can answer 401
    (no or a bad key), 403 (scope or role), 422 (bad input) and 500; bodies can also be too large."""
    return dict.fromkeys(sorted({401, 403, 422, 500, *codes}), ErrorOut)


class Pagination(LimitOffsetPagination):
    """limit (1 to 500, default 100) and offset (0 to a billion)."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"How many, at most {MAX_LIMIT}.")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many to skip.")


class OrjsonParser(Parser):
    """Request bodies parsed as the tracking API parses them: no NaN, no lone surrogates, a bounded
    depth — anything else is answered 400 before a field is read."""

    def parse_body(self, request: HttpRequest) -> Any:
        return orjson.loads(request.body)
