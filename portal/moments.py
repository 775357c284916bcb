"""Date-times read from text that people and scripts send (a Graph body or filter, a CSV cell, a command's
option). Kept out of ``portal.directory``, which the rule language imports and which stays free of
Django."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime


def date_time_or_none(raw: str) -> datetime | None:
    """An ISO 8601 date-time (UTC when it names no zone), or None: for text that isn't one, and for one
    that names no such moment (month 13, 30 February), where Django's parser raises instead."""
    try:
        moment = parse_datetime(raw)
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
