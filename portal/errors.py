"""The one family of refusals every service raises, and the 403/404 pages.

A service refuses a change a person can fix by raising a ``ServiceError``; a missing *right* is not
one of them: it is ``PermissionDenied``, and only ``portal.authz.authorize`` raises it.

``ServiceError``  the base: a message fit for the person who asked (``groups.services`` re-exports it).
                  ``field`` optionally names the form field / attribute at fault.
``Invalid``       what was asked is malformed or breaks an invariant or limit of the directory: a bad
                  value, a rule that doesn't parse (``position``), a group that would contain itself,
                  more owners than a group may have.
``NotFound``      the object the change is about isn't there (any more): a member who isn't a member,
                  a group deleted for good meanwhile, an object of another organization.
``Conflict``      the object's current state already settles it: already a member, alias taken,
                  already deleted or not deleted, a request or held change already decided.
``Refused``       a rule of the organization says no: its plan (P1/P2), its settings (guests may not
                  own groups, no expiration policy), or a second administrator must confirm. An
                  administrator can change that; the person asking usually can't.

Named refusals of a service subclass one of these (``UserError``, ``RuleError``, ``NamingError``...).
Pages show a refusal with ``form_error`` (under the field it names) or as a message; the JSON API maps
the class to a Graph error body in one place (``portal.site.api.errors.GRAPH_ERRORS``): 400
Request_BadRequest for Invalid and Conflict (Graph answers "already exists" so), 404 for NotFound, 403
Authorization_RequestDenied for Refused.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class ServiceError(Exception):
    """A refusal with a message fit for the person who asked; ``field`` names what to fix, if one thing."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def problems(self) -> dict[str | None, list[str]]:
        """Messages by the field they are about (``None``: the change as a whole)."""
        return {self.field: [str(self)]}


class Invalid(ServiceError):
    """Malformed input, or a change that breaks an invariant or limit of the directory."""


class NotFound(ServiceError):
    """The object the change is about doesn't exist, or not any more (or is another organization's)."""


class Conflict(ServiceError):
    """The current state already settles it: already there, already taken, already decided."""


class Refused(ServiceError):
    """A rule of the organization (its plan, its settings, the two-person rule) refuses the change."""


def form_error(form: forms.BaseForm, exc: ServiceError) -> None:
    """Show a refusal on a bound form: under each field it names that the form has, else at the top."""
    for field, messages in exc.problems().items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = str(exception) if exception and str(exception) else "You don't have permission to do this."
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)
