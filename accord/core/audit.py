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
) -> AuditEntry:
    """One audit row: `obj` names what changed (or `object_type` and `object_id` when it is not a
    row, e.g. a sign-in attempt). `actor` is the person or the key's owner; None is Accord itself."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        via_api_key=getattr(actor, "_accord_api_key_prefix", "") or "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else object_id[:64],
        details=details or {},
    )
