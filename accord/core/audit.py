"""Write an audit row; called by actions inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from accord.core.models import AuditEntry


def record(
    *,
    action: str,
    actor: Any,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    details: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """One audit row: `obj` names what changed (or `object_type` and `object_id` when it is not a
    row, e.g. a sign-in attempt). `actor` is the person or the key's owner; None is Accord itself.
    `before` and `after` hold the changed fields' values (JSON-ready) as they were and became."""
    return AuditEntry.objects.create(
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        actor=actor if getattr(actor, "pk", None) else None,
        via_api_key=getattr(actor, "_accord_api_key_prefix", "") or "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else object_id[:64],
        details=details or {},
    )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, (str, int, float, bool, dict, list)) or v is None else str(v) for k, v in values.items()
    }


def changes(obj: models.Model, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields in `values` that differ from `obj`'s, for `record`."""
    before = {k: getattr(obj, k) for k, v in values.items() if getattr(obj, k) != v}
    return before, {k: values[k] for k in before}
