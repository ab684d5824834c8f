"""Errors that actions raise and the edges (API, views, CLI) turn into messages.

Each carries a human message and, where one input is at fault, the field that caused it.
"""

from __future__ import annotations


class AccordError(Exception):
    """Base of every expected, user-facing error."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(AccordError):
    """The input is malformed or breaks a rule about its own shape."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message, field=field)
        # (path, message) pairs, for inputs with many problems (a playbook file, a CSV).
        self.errors = errors or ([(field, message)] if field else [])


class NotFound(AccordError):
    status = 404


class Conflict(AccordError):
    """The input is well formed but the current state does not allow it (an illegal move).
    `current`, when given, is the state the caller lost to (a hand-off someone else accepted),
    shown to them with the message."""

    status = 409

    def __init__(self, message: str, *, field: str | None = None, current: dict[str, object] | None = None) -> None:
        super().__init__(message, field=field)
        self.current = current


class PermissionDenied(AccordError):
    status = 403
