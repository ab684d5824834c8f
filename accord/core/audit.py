"""Write an audit row; called by actions inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from accord.core.models import AuditEntry


def record(*, action: str, obj: models.Model, actor: Any, details: dict[str, Any] | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        via_api_key=getattr(actor, "_accord_api_key_prefix", "") or "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        details=details or {},
    )
