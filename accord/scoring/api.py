from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from accord.accounts.api_auth import acting_user
from accord.accounts.domain import Scope
from accord.contacts.models import Contact
from accord.core.errors import NotFound
from accord.core.schemas import PathId, errors
from accord.playbook.queries import active_playbook
from accord.scoring import domain, queries
from accord.scoring.schemas import ContactScoreOut

router = Router(tags=["scoring"])
ERRORS = errors(404)


class ContactPath(Schema):
    contact_id: PathId


class ScoreQuery(Schema):
    history: int = Field(20, ge=0, le=200, description="How many of the latest score changes to answer with.")


def _quadrant(key: str) -> dict[str, str] | None:
    try:
        quadrant = domain.Quadrant(key)
    except ValueError:
        return None
    return {"key": quadrant.value, "label": domain.QUADRANT_LABELS[quadrant]}


def _current(contact: Contact) -> dict[str, Any]:
    """The stored scores, with the persona's name as the playbook version that scored them words it."""
    version = contact.score_version or active_playbook()
    persona = next((p for p in queries.model_of(version).personas if p.key == contact.persona), None)
    return {
        "fit_score": contact.fit_score,
        "fit_grade": contact.fit_grade,
        "persona": {"key": persona.key, "name": persona.name} if persona else None,
        "interest": contact.interest_score,
        "quadrant": _quadrant(contact.quadrant),
        "scored_at": contact.scored_at,
        "playbook_version": contact.score_version.number if contact.score_version else None,
    }


@router.get(
    "/contacts/{contact_id}/score",
    response={200: ContactScoreOut, **ERRORS},
    summary="A contact's scores and why",
    description=(
        "The fit and interest scores stored on the contact; the breakdown worked out now under the "
        "active playbook (each fit rule and whether it holds, each rule and day that still adds interest "
        "with its worth today); the interest of the last 60 days and whether it is heating up; and the "
        "latest score changes, newest first."
    ),
)
def contact_score(request: HttpRequest, path: Path[ContactPath], query: Query[ScoreQuery]) -> dict[str, Any]:
    acting_user(request, Scope.READ)
    contact = Contact.objects.select_related("account", "owner", "score_version").filter(pk=path.contact_id).first()
    if contact is None:
        raise NotFound(f"no contact {path.contact_id}", field="contact_id")
    version = active_playbook()
    hits = list(queries.contact_hits(queries.model_of(version), contact.pk))  # read once for both
    breakdown = queries.contact_breakdown(contact, version=version, hits=hits)
    return {
        "contact_id": contact.pk,
        "current": _current(contact),
        "breakdown": {**breakdown, "quadrant": _quadrant(breakdown["quadrant"])},
        "trend": queries.contact_trend(contact, version=version, hits=hits),
        "history": queries.score_history(contact, limit=query.history) if query.history else [],
    }
