"""The facts playbook conditions may name, by where the condition is used."""

from __future__ import annotations

from accord.playbook.domain.conditions import FieldType, Vocabulary

T, N, B = FieldType.TEXT, FieldType.NUMBER, FieldType.BOOL

CONTACT_FIELDS: dict[str, FieldType] = {
    "contact.email": T,
    "contact.email_domain": T,
    "contact.first_name": T,
    "contact.last_name": T,
    "contact.title": T,
    "contact.seniority": T,
    "contact.phone": T,
    "contact.country": T,
    "contact.stage": T,
    "contact.consent": B,
    "contact.owner": T,
    "contact.days_in_stage": N,
    "contact.forms_submitted": N,
    "contact.open_deals": N,
    "contact.won_deals": N,
    "contact.nurture_stopped": B,
    "contact.first_source": T,
    "contact.first_medium": T,
    "contact.first_campaign": T,
    "contact.first_offer": T,
    "contact.last_source": T,
    "contact.last_medium": T,
    "contact.last_campaign": T,
    "contact.last_offer": T,
}

ACCOUNT_FIELDS: dict[str, FieldType] = {
    "account.name": T,
    "account.domain": T,
    "account.industry": T,
    "account.employees": N,
    "account.annual_revenue": N,
    "account.country": T,
    "account.owner": T,
}

# Scores (and the persona the fit rules found) are facts for qualification only: fit rules
# cannot read what they produce.
SCORE_FIELDS: dict[str, FieldType] = {
    "score.fit": N,
    "score.grade": T,
    "score.interest": N,
    "score.quadrant": T,
    "contact.persona": T,
}

EVENT_FIELDS: dict[str, FieldType] = {
    "event.type": T,
    "event.name": T,
    "event.url": T,
    "event.path": T,
    "event.referrer": T,
    "event.utm_source": T,
    "event.utm_medium": T,
    "event.utm_campaign": T,
}

_PROPERTY_PREFIXES = ("contact.properties.", "account.properties.")

# Who a person is: personas and fit rules.
PROFILE = Vocabulary({**CONTACT_FIELDS, **ACCOUNT_FIELDS}, _PROPERTY_PREFIXES)
# Stage entry criteria, the MQL rule and routing: profile plus current scores.
QUALIFICATION = Vocabulary({**CONTACT_FIELDS, **ACCOUNT_FIELDS, **SCORE_FIELDS}, _PROPERTY_PREFIXES)
# Interest rules: what a person did.
EVENT = Vocabulary(EVENT_FIELDS, ("event.properties.",))
