"""The refusals of the rule services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from portal.errors import Invalid, Refused


class RuleError(Invalid):
    """A rule that can't be accepted; ``position`` is where in its text the problem is, if one place."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class RuleReadRefused(Refused, RuleError, PermissionDenied):
    """A rule that names a group whose members the actor can't read: a right the actor lacks (the API
    answers 403), shown on the rule pages like any other rule error."""
