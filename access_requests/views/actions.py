"""Join, request to join and leave a group (POST/redirect/GET; htmx gets the action box back)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access_requests import selectors, services
from access_requests.forms import JoinRequestForm, LeaveForm
from access_requests.views.common import my_groups_closed, next_url
from access_requests.views.overview import render_overview
from groups.licensing.selectors import licence_waits
from groups.selectors import get_group_for
from groups.services import ServiceError
from portal.authz import forget


def _action_box(request: HttpRequest, group, *, form=None, error: str = "", done: str = "") -> HttpResponse:
    """The action box of one group, fresh (htmx swaps it in place on the discover page)."""
    forget(request.user)  # memberships just changed: answer from the database, not the cached grants
    pending = selectors.requests_of(request.user).filter(group=group, status="pending").first()
    context = {
        "group": group,
        "self_service": selectors.self_service(
            request.user, group, pending_request_id=pending.id if pending else None
        ),
        "request_form": form or JoinRequestForm(),
        "error": error,
        "done": done,
        "next": next_url(request, reverse("discover")),
        "use_htmx": True,
        # In place: focus moves to the box's message and the outcome is announced (#live-region).
        "focus": True,
        "announce": error
        or done
        or " ".join(e for errs in (form.errors.values() if form else []) for e in errs),
    }
    return render(request, "access_requests/_group_action.html", context)


def _refusals(request: HttpRequest) -> tuple[type[Exception], ...]:
    """What is answered in place: with htmx a missing right too (the page was stale), so the box says
    why; without JavaScript that gets the 403 page with the same reason."""
    return (ServiceError, PermissionDenied) if request.htmx else (ServiceError,)


def _finish(request: HttpRequest, group, *, done: str = "", error: str = "", form=None) -> HttpResponse:
    if request.htmx:
        return _action_box(request, group, form=form, error=error, done=done)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(next_url(request, reverse("group_detail", args=[group.id])))


def _licence_wait(request: HttpRequest, group, action: str, justification: str = "") -> HttpResponse | None:
    """Seat-aware joining: when the group's licence has no free seat for the person, say that they
    will wait for it, and ask them to confirm (None: nothing to wait for, or confirmed)."""
    if request.POST.get("confirm") == "1":
        return None
    waits = licence_waits(request.user, group)
    if not waits:
        return None
    context = {
        "group": group,
        "waits": waits,
        "action": action,
        "justification": justification,
        "next": next_url(request, reverse("group_detail", args=[group.id])),
        "use_htmx": bool(request.htmx),
    }
    if request.htmx:
        return render(request, "access_requests/_licence_wait.html", context)
    return render(request, "access_requests/licence_wait.html", context)


@require_POST
@login_required
def group_join(request: HttpRequest, group_id: UUID) -> HttpResponse:
    if closed := my_groups_closed(request):
        return closed
    group = get_group_for(request.user, group_id, "standard/read")
    if wait := _licence_wait(request, group, "join"):
        return wait
    try:
        services.group_join(actor=request.user, group=group)
    except _refusals(request) as exc:
        return _finish(request, group, error=str(exc))
    return _finish(request, group, done=f"You joined {group.display_name}.")


@require_POST
@login_required
def group_request(request: HttpRequest, group_id: UUID) -> HttpResponse:
    if closed := my_groups_closed(request):
        return closed
    group = get_group_for(request.user, group_id, "standard/read")
    form = JoinRequestForm(request.POST)
    if form.is_valid():
        if wait := _licence_wait(request, group, "request", form.cleaned_data["justification"]):
            return wait
        try:
            services.join_request_create(
                actor=request.user, group=group, justification=form.cleaned_data["justification"]
            )
        except _refusals(request) as exc:
            form.add_error(None, str(exc))
    if form.errors:
        if request.htmx:
            return _action_box(request, group, form=form)
        return render_overview(request, group, request_form=form, status=400)
    return _finish(request, group, done=f"Your request to join {group.display_name} was sent to its owners.")


@require_POST
@login_required
def group_leave(request: HttpRequest, group_id: UUID) -> HttpResponse:
    if closed := my_groups_closed(request):
        return closed
    group = get_group_for(request.user, group_id, "standard/read")
    form = LeaveForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.group_leave(actor=request.user, group=group, reason=reason)
    except _refusals(request) as exc:
        return _finish(request, group, error=str(exc))
    return _finish(request, group, done=f"You left {group.display_name}.")
