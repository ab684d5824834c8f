"""How each person hears of each event by email: at once, in a daily digest, or not at all (the
in-app notification is written whichever they choose). A person sets their own; without a choice
an event's email goes at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction

from accord.accounts.models import User
from accord.core import clock
from accord.core.errors import InvalidInput
from accord.notify.domain import EVENT_LABELS, EVENTS, EmailMode, Event
from accord.notify.models import Preference

MODES = tuple(m.value for m in EmailMode)


@dataclass(frozen=True)
class Choice:
    event: str
    label: str
    email: str  # notify.domain.EmailMode


def preferences_of(user: User) -> list[Choice]:
    """Every event, in the order they are listed, with the person's choice for it."""
    chosen = dict(Preference.objects.filter(user=user).values_list("event", "email"))
    return [Choice(e.value, EVENT_LABELS[e], chosen.get(e.value, EmailMode.INSTANT.value)) for e in Event]


def checked(choices: Mapping[str, object]) -> dict[str, str]:
    """The choices, each an event name and a mode; every bad one named, nothing kept if any is."""
    problems: list[tuple[str, str]] = []
    found: dict[str, str] = {}
    for event, mode in choices.items():
        where = f"email.{str(event)[:60]}"
        if event not in EVENTS:
            problems.append((where, f"unknown event; known: {', '.join(EVENTS)}"))
        elif mode not in MODES:
            problems.append((where, f"must be one of {', '.join(MODES)}, not {str(mode)[:40]!r}"))
        else:
            found[event] = str(mode)
    if problems:
        where, why = problems[0]
        raise InvalidInput(f"{where}: {why}", field=where, errors=problems)
    return found


def preferences_set(*, choices: Mapping[str, object], acting_user: User) -> list[Choice]:
    """Set the acting person's own choices for the events given; the others stay as they were."""
    found = checked(choices)
    now = clock.now()
    with transaction.atomic():
        for event, mode in found.items():
            Preference.objects.update_or_create(
                user=acting_user, event=event, defaults={"email": mode, "updated_at": now}
            )
    return preferences_of(acting_user)
