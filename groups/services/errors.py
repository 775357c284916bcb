"""The refusals group services raise."""

from __future__ import annotations

from portal.errors import ServiceError

__all__ = ["NamingError", "ServiceError"]


class NamingError(ServiceError):
    """Names the naming policy refuses; ``errors`` maps a field (display_name, mail_nickname) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(" ".join(m for messages in errors.values() for m in messages))
