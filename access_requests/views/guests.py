"""The guests of the organization (/users/?type=guest) and the inactive-guest review
(/users/guests/inactive/): who invited them, their invitation state, last sign-in and groups; disable
or remove inactive guests in bulk."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from access_requests.invitations.lifecycle import guests_disable_or_remove
from access_requests.invitations.selectors import (
    GUEST_STATES,
    groups_by_guest,
    guests_of,
    inactive_cutoff,
    inactive_guests,
    is_uuid,
)
from portal import roles
from portal.authz import actor_context, authorize, can

PAGE_SIZE = 50
MAX_SELECTED = 500


def _authorize_guests(request: HttpRequest) -> None:
    """The guest pages show every guest's groups and sign-ins: for roles that read users."""
    authorize(request.user, roles.USERS_READ)
    if not actor_context(request.user).has_tenant_permission(roles.USERS_READ):
        raise PermissionDenied("Only administrators review the guests of the organization.")


def _page(request: HttpRequest, guests) -> tuple:
    page = Paginator(guests, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    groups = groups_by_guest(rows) if rows else {}
    return page, [(g, groups.get(g.pk, [])) for g in rows]


@login_required
def guest_list(request: HttpRequest) -> HttpResponse:
    _authorize_guests(request)
    state = request.GET.get("state", "")
    state = state if state in GUEST_STATES else ""
    page, rows = _page(request, guests_of(request.user.tenant, state=state))
    context = {
        "page": page,
        "rows": rows,
        "state": state,
        "query": f"type=guest&state={state}",
        "can_invite": can(request.user, roles.USERS_INVITE_GUEST),
    }
    return render(request, "access_requests/guests.html", context)


@login_required
def guests_inactive(request: HttpRequest) -> HttpResponse:
    _authorize_guests(request)
    tenant = request.user.tenant
    settings = actor_context(request.user).settings
    cutoff = inactive_cutoff(tenant, settings, now=timezone.now())
    guests = inactive_guests(tenant, cutoff=cutoff)
    if request.method == "POST":
        return _act_on_inactive(request, guests)
    page, rows = _page(request, guests)
    context = {
        "page": page,
        "rows": rows,
        "days": settings.guest_inactive_days,
        "cutoff": cutoff,
        "query": "",
        "can_change": can(request.user, roles.USERS_UPDATE),
    }
    return render(request, "access_requests/guests_inactive.html", context)


def _act_on_inactive(request: HttpRequest, guests) -> HttpResponse:
    action = request.POST.get("action")
    ids = [i for i in request.POST.getlist("guests")[:MAX_SELECTED] if is_uuid(i)]
    if action not in ("disable", "remove") or not ids:
        messages.error(request, "Choose guests, then Disable or Remove.")
        return redirect("guests_inactive")
    authorize(request.user, roles.USERS_UPDATE)
    chosen = list(guests.filter(pk__in=ids))  # only inactive guests of this tenant
    outcome = guests_disable_or_remove(actor=request.user, guests=chosen, remove=action == "remove")
    if outcome.done:
        verb = "removed (restorable for 30 days)" if action == "remove" else "disabled"
        messages.success(request, f"{len(outcome.done)} guest(s) {verb}: {', '.join(outcome.done)}.")
    for name, reason in outcome.refused:
        messages.warning(request, f"{name}: {reason}")
    return redirect("guests_inactive")
