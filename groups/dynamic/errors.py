"""The refusals of the rule services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class RuleError(Exception):
    """A rule or rule change that can't be accepted, with a message for the person who asked."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.position = position
        super().__init__(message)


class RuleReadRefused(RuleError, PermissionDenied):
    """A rule that names a group whose members the actor can't read: a right the actor lacks (the API
    answers 403), shown on the rule pages like any other rule error."""
