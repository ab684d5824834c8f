"""How the rest of Accord uses the playbook's words: which stage keys contacts are in."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Count


def stages_in_use() -> dict[str, int]:
    contact = apps.get_model("contacts", "Contact")
    rows = contact.objects.exclude(stage="").values("stage").annotate(n=Count("id"))
    return {row["stage"]: row["n"] for row in rows}
