"""The refusals group services raise."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal with a message fit for the person who asked."""


class NamingError(ServiceError):
    """Names the naming policy refuses; ``errors`` maps a field (display_name, mail_nickname) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(" ".join(m for messages in errors.values() for m in messages))
