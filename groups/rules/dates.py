"""Date-time literals of rules: ISO 8601 as Python reads it, or the looser forms Django's dateparse
accepts (one-digit months, days and hours, a space for the T, ``+hh``/``+hhmm`` offsets). The same
answers as ``django.utils.dateparse`` (whose patterns these are), without Django."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})$")
_DATETIME = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"[T ](?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:[.,](?P<microsecond>\d{1,6})\d{0,6})?)?"
    r"\s*(?P<tzinfo>Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def parse_date(value: str) -> date | None:
    """A date, or None when ``value`` isn't one in form (ValueError when in form but not a real date)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        if match := _DATE.match(value):
            return date(**{k: int(v) for k, v in match.groupdict().items()})
        return None


def parse_datetime(value: str) -> datetime | None:
    """A date-time, naive or with a fixed offset; None or ValueError as parse_date."""
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        match = _DATETIME.match(value)
        if not match:
            return None
        kw = match.groupdict()
        kw["microsecond"] = kw["microsecond"] and kw["microsecond"].ljust(6, "0")
        offset = kw.pop("tzinfo")
        tzinfo = None
        if offset == "Z":
            tzinfo = UTC
        elif offset is not None:
            minutes = 60 * int(offset[1:3]) + (int(offset[-2:]) if len(offset) > 3 else 0)
            tzinfo = timezone(timedelta(minutes=-minutes if offset[0] == "-" else minutes))
        return datetime(**{k: int(v) for k, v in kw.items() if v is not None}, tzinfo=tzinfo)


def parse_moment(text: str) -> datetime | None:
    """A rule's date-time literal in UTC (a date is its midnight; no offset means UTC), or None."""
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            return None
        moment = datetime(day.year, day.month, day.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
