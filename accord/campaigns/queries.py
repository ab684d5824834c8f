"""Reads of campaigns."""

from __future__ import annotations

from collections.abc import Iterable

from accord.campaigns.models import Campaign


def campaign_names(utm_values: Iterable[str]) -> dict[str, str]:
    """Campaign names by lower-case utm_campaign, for the values given."""
    wanted = {v.lower() for v in utm_values if v}
    if not wanted:
        return {}
    rows = Campaign.objects.filter(utm_campaign__in=wanted).values_list("utm_campaign", "name")
    return {utm.lower(): name for utm, name in rows}
