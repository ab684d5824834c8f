from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field, model_validator

from accord.core.schemas import InputSchema


class SignatureOut(Schema):
    side: str
    user: str = Field(alias="user.email")
    signed_at: dt.datetime


class VersionOut(Schema):
    number: int
    status: str
    note: str
    created_by: str | None = Field(None, alias="created_by.email")
    created_at: dt.datetime
    activated_at: dt.datetime | None
    retired_at: dt.datetime | None
    signatures: list[SignatureOut]

    @staticmethod
    def resolve_signatures(obj: Any) -> list[Any]:
        return list(obj.signatures.all())


class VersionDetailOut(VersionOut):
    document: dict[str, Any]
    source: str

    @staticmethod
    def resolve_document(obj: Any) -> dict[str, Any]:
        return dict(obj.playbook.data)


class PlaybookSourceIn(InputSchema):
    source: str | None = Field(None, description="The playbook as YAML text.", max_length=500_000)
    document: dict[str, Any] | None = Field(None, description="The playbook as a JSON object.")
    note: str = Field("", max_length=500)

    @model_validator(mode="after")
    def one_form(self) -> PlaybookSourceIn:
        if (self.source is None) == (self.document is None):
            raise ValueError("send exactly one of 'source' (YAML text) or 'document' (an object)")
        return self


class ValidationProblem(Schema):
    path: str
    message: str


class ValidationOut(Schema):
    valid: bool
    errors: list[ValidationProblem]
