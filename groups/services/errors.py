"""The refusals group services raise: the core's one family (``portal.errors``) and the naming policy's."""

from __future__ import annotations

from portal.errors import Invalid, ServiceError

__all__ = ["NamingError", "ServiceError"]


class NamingError(Invalid):
    """Names the naming policy refuses; ``errors`` maps a field (display_name, mail_nickname) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(" ".join(m for messages in errors.values() for m in messages))
        self.errors = errors

    def problems(self) -> dict[str | None, list[str]]:
        return dict(self.errors)
