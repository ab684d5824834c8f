"""utm_campaign → Campaign id, cached briefly in each process (campaigns change rarely)."""

from __future__ import annotations

import time

from accord.campaigns.models import Campaign

_TTL_SECONDS = 30.0
_cache: tuple[float, dict[str, int]] = (0.0, {})


def campaign_ids() -> dict[str, int]:
    global _cache
    loaded_at, ids = _cache
    if time.monotonic() - loaded_at > _TTL_SECONDS:
        ids = {
            utm.lower(): pk for pk, utm in Campaign.objects.exclude(utm_campaign="").values_list("pk", "utm_campaign")
        }
        _cache = (time.monotonic(), ids)
    return ids


def forget() -> None:
    """Drop the cache (after a campaign changes, and in tests)."""
    global _cache
    _cache = (0.0, {})
