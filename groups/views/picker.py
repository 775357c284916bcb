"""What the add box of the members and owners tabs names: a choice from the typeahead (``kind:id``), or
text that names exactly one object (a display name, userPrincipalName, mail, alias or object id).

When the text names none or several, or the person asked to search (the no-JavaScript way to find
groups, devices and apps), the tab lists the matches, each with its own Add button.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from portal.models import Tenant
from portal.selectors import (
    DirectoryHit,
    directory_object,
    directory_resolve,
    directory_search,
    kinds_phrase,
)

MAX_TEXT = 256


@dataclass
class Pick:
    obj: Any = None  # the object to add, when the form named exactly one
    q: str = ""  # the text typed, shown again in the box
    matches: list[DirectoryHit] = field(default_factory=list)
    message: str = ""  # why there is a list to choose from (or nothing to add)
    found_none: bool = False  # nothing to choose from: the answer is a refusal (400 without htmx)


def nouns(kinds: tuple[str, ...]) -> str:
    """``("user", "group")`` → "a user or group"."""
    return "a " + kinds_phrase(kinds)


def pick(request: HttpRequest, tenant: Tenant, *, field_name: str, kinds: tuple[str, ...]) -> Pick:
    """The object the add form names, or the matches to choose from and why."""
    chosen = request.POST.get(field_name, "")
    if chosen:
        obj = directory_object(tenant, chosen)
        if obj is None:  # the writer explains a kind the group can't hold; this is a stale choice
            return Pick(message="That choice no longer exists: search again.", found_none=True)
        return Pick(obj=obj)
    q = request.POST.get("q", "").strip()[:MAX_TEXT]
    if not q:
        return Pick(
            message=f"Type the name, userPrincipalName, mail or object id of {nouns(kinds)}.", found_none=True
        )
    if request.POST.get("search"):
        return _search(tenant, q, kinds)
    named = directory_resolve(tenant, [q], kinds)[q]
    if len(named) == 1:
        return Pick(obj=named[0].obj, q=q)
    if named:
        return Pick(q=q, matches=named, message=f"{len(named)} objects are named “{q}”: choose one.")
    found = _search(tenant, q, kinds)
    if found.matches:
        found.message = f"Nothing is named exactly “{q}”: choose one of these matches."
    return found


def _search(tenant: Tenant, q: str, kinds: tuple[str, ...]) -> Pick:
    matches = directory_search(tenant, q, kinds)
    if not matches:
        return Pick(
            q=q,
            message=f"No {kinds_phrase(kinds)} of your organization matches “{q}”. "
            "Type a display name, userPrincipalName, mail or object id.",
            found_none=True,
        )
    count = f"{len(matches)} match{'es' if len(matches) > 1 else ''}"
    return Pick(q=q, matches=matches, message=f"{count} for “{q}”: choose one to add.")
