"""Reads about playbook versions."""

from __future__ import annotations

from django.db.models import QuerySet

from accord.core.errors import NotFound
from accord.playbook.models import PlaybookVersion, VersionStatus


def active_playbook() -> PlaybookVersion:
    """The version in force. Migrations install one, so there always is one."""
    # The source is parsed once per process (PlaybookVersion.playbook); load it only on a cache miss.
    version = PlaybookVersion.objects.filter(status=VersionStatus.ACTIVE).defer("source").first()
    if version is None:
        raise NotFound("no playbook version is active; run `accord migrate` to install the default one")
    return version


def version_list() -> QuerySet[PlaybookVersion]:
    return PlaybookVersion.objects.select_related("created_by", "activated_by").prefetch_related("signatures__user")


def version_get(number: int) -> PlaybookVersion:
    version = version_list().filter(number=number).first()
    if version is None:
        raise NotFound(f"no playbook version {number}")
    return version
