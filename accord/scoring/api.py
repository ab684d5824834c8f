from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from accord.accounts.api_auth import acting_user
from accord.accounts.domain import Scope
from accord.contacts.models import Contact
from accord.core import clock
from accord.core.errors import NotFound
from accord.core.schemas import PathId, errors
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


def _current(score: queries.ContactScore) -> dict[str, Any]:
    """The stored scores, with the persona's name as the playbook version that scored them words it."""
    persona = score.persona
    return {
        "fit_score": score.fit_score,
        "fit_grade": score.fit_grade,
        "persona": {"key": persona.key, "name": persona.name} if persona else None,
        "interest": score.interest_score,
        "quadrant": _quadrant(score.quadrant),
        "scored_at": score.scored_at,
        "playbook_version": score.score_version,
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
    contact = (
        Contact.objects.select_related("account", "owner", "score__score_version").filter(pk=path.contact_id).first()
    )
    if contact is None:
        raise NotFound(f"no contact {path.contact_id}", field="contact_id")
    score = queries.contact_score(contact, now=clock.now(), history=query.history)
    return {
        "contact_id": score.contact_id,
        "current": _current(score),
        "breakdown": {**score.breakdown, "quadrant": _quadrant(score.breakdown["quadrant"])},
        "trend": score.trend,
        "history": list(score.history),
    }
