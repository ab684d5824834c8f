from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from accord.accounts.api_auth import acting_user
from accord.accounts.domain import Scope
from accord.contacts.models import Contact
from accord.contacts.schemas import ContactMergeIn, ContactOut
from accord.core.schemas import PathId, errors
from accord.lifecycle import actions, domain, queries
from accord.lifecycle.models import StageChange
from accord.lifecycle.schemas import StageChangeIn, StageChangeOut, TransitionOut
from accord.playbook.queries import active_playbook

router = Router(tags=["stages"])
WRITE = errors(400, 404, 409, 413)
READ = errors(404)


@router.post(
    "/contacts/{contact_id}/stage",
    response={201: StageChangeOut, **WRITE},
    summary="Move a contact to another stage",
    description=(
        "Forward moves need the target stage's entry criteria to hold; moves back, to recycled or to "
        "disqualified need a reason from the playbook. Illegal moves answer 409 and change nothing."
    ),
)
def contact_change_stage(request: HttpRequest, contact_id: PathId, payload: StageChangeIn) -> Status[StageChange]:
    user = acting_user(request, Scope.WRITE)
    contact = get_object_or_404(Contact, pk=contact_id)
    change = actions.contact_change_stage(
        contact=contact,
        to_stage=payload.stage,
        acting_user=user,
        reason=payload.reason,
        note=payload.note,
        reengage_on=payload.reengage_on,
    )
    return Status(201, change)


def _contact(contact_id: int) -> Contact:
    return get_object_or_404(Contact.objects.select_related("account", "owner", "playbook_version"), pk=contact_id)


# Here rather than with the other contact endpoints: a merge may move the kept contact's stage,
# and the stage machine sits above contacts.
@router.post(
    "/contacts/{contact_id}/merge",
    response={200: ContactOut, **WRITE},
    tags=["contacts"],
    summary="Merge another contact into this one",
    description=(
        "The kept contact takes the fields it lacks and all history of the other. A disqualified or "
        "recycled kept contact keeps its stage; otherwise the more advanced funnel stage wins, as a "
        "stage change caused by the merge."
    ),
)
def contact_merge(request: HttpRequest, contact_id: PathId, payload: ContactMergeIn) -> Contact:
    user = acting_user(request, Scope.WRITE)
    keep = _contact(contact_id)
    drop = _contact(payload.drop_id)
    actions.contact_merge(keep=keep, drop=drop, acting_user=user)
    return _contact(contact_id)


@router.get(
    "/contacts/{contact_id}/stage-history",
    response={200: list[StageChangeOut], **READ},
    summary="A contact's stage history, oldest first",
)
def stage_history(request: HttpRequest, contact_id: PathId) -> list[StageChange]:
    acting_user(request, Scope.READ)
    return list(queries.stage_history(get_object_or_404(Contact, pk=contact_id)))


@router.get(
    "/playbook/transitions",
    response={200: list[TransitionOut], **READ},
    tags=["playbook"],
    summary="The transition table",
)
def transitions(request: HttpRequest) -> list[TransitionOut]:
    acting_user(request, Scope.READ)
    rows = domain.table(active_playbook().playbook)
    return [
        TransitionOut(
            from_stage=row.from_stage,
            to_stage=row.to_stage,
            kind=row.kind,
            sides=sorted(row.sides),
            by_rule=row.by_rule,
            reason_list=row.reason_list,
            needs_reengage_date=row.needs_reengage_date,
        )
        for row in rows.values()
        if isinstance(row, domain.Transition)
    ]
