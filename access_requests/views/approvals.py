"""/my/approvals/: owners (and administrators) decide join requests, one by one or in bulk."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from access_requests import selectors, services
from access_requests.forms import BulkDecisionForm, DecisionForm
from access_requests.models import JoinRequest
from access_requests.views.common import my_groups_closed, next_url, paginate
from groups.licensing.selectors import batch_waits, licence_waits, seats_left_by_group
from groups.selectors import get_group_for
from groups.services import ServiceError
from groups.views.common import render_tab
from portal.authz import can


def _inbox_off_reason(request: HttpRequest) -> str:
    if not request.user.tenant.is_premium:
        return "Join requests need Microsoft Entra ID P1 or P2: your organization is on the Free plan."
    if not selectors.approvals_scope(request.user):
        return "Owners can't manage membership requests in My Groups in your organization."
    return ""


@require_GET
@login_required
@vary_on_headers("HX-Request")
def approvals(request: HttpRequest) -> HttpResponse:
    if closed := my_groups_closed(request):
        return closed
    off = _inbox_off_reason(request)
    page = None
    if not off:
        waiting = selectors.approvals_count(request.user)  # counted along the owned groups' requests
        page = _with_seats(paginate(request, selectors.decidable_requests(request.user), count=waiting))
    context = {"page": page, "off_reason": off, "decision_form": DecisionForm()}
    if page is not None:
        context["approvals_count"] = page.paginator.count  # the navigation badge: same count, no 2nd query
    template = "access_requests/approvals.html"
    return render(request, f"{template}#results" if request.htmx else template, context)


def _with_seats(page):
    """Each request of the page with the seats left of its group's licences (one query for the page)."""
    seats = seats_left_by_group({jr.group_id for jr in page})
    for join_request in page:
        join_request.seats_left = seats.get(join_request.group_id, [])
    return page


def _seat_confirmation(request: HttpRequest, join_request: JoinRequest, form) -> HttpResponse | None:
    """Approving past the seats asks for confirmation: the requester would wait for a licence."""
    if not (form.is_valid() and form.approve) or request.POST.get("confirm") == "1":
        return None
    if not can(request.user, "requests/decide", join_request.group):
        return None  # the service refuses, without telling anything of the group's seats
    waits = licence_waits(join_request.requester, join_request.group)
    if not waits:
        return None
    context = {"join_request": join_request, "form": form, "seat_confirm": waits, "focus": True}
    if request.htmx:
        announce = (
            f"No seat is free: {join_request.requester.display_name} would wait for a licence. Confirm."
        )
        return _in_place(request, "access_requests/_decided_row.html", context, announce=announce)
    return render(request, "access_requests/confirm_approval.html", context | {"show_group": True})


def _bulk_seat_confirmation(request: HttpRequest, form) -> HttpResponse | None:
    """Approving several requests of which some would wait for a licence: list them and ask first."""
    if not form.approve or request.POST.get("confirm") == "1":
        return None
    deciding = [
        jr
        for jr in form.cleaned_data["requests"]
        .select_related("group", "requester")
        .order_by("created_date_time")
        if jr.is_pending and can(request.user, "requests/decide", jr.group)
    ]
    waits = batch_waits([(jr.requester, jr.group) for jr in deciding])
    waiting = [(jr, w) for jr, w in zip(deciding, waits, strict=True) if w]
    if not waiting:
        return None
    context = {
        "waiting": waiting,
        "selected": [jr.pk for jr in form.cleaned_data["requests"]],
        "reason": form.cleaned_data["reason"],
        "inbox": request.POST.get("inbox") == "1",
        "next": next_url(request, reverse("approvals")),
    }
    template = (
        "access_requests/_bulk_seat_confirm.html"
        if request.htmx
        else "access_requests/bulk_seat_confirm.html"
    )
    return render(request, template, context)


def _decided(join_request: JoinRequest) -> str:
    verb = "approved" if join_request.status == "approved" else "denied"
    return (
        f"{join_request.requester.display_name}'s request to join "
        f"{join_request.group.display_name} was {verb}."
    )


def _in_place(request: HttpRequest, template: str, context: dict, *, announce: str) -> HttpResponse:
    """An in-place answer: the fragment, then (out of band) the inbox's count and the navigation badge,
    both from one fresh count so they agree, and the announcement for screen readers."""
    inbox = request.POST.get("inbox") == "1"
    count = selectors.approvals_count(request.user)
    context = {**context, "inbox": inbox, "show_group": inbox, "count": count, "announce": announce}
    return render(request, template, context)


@require_POST
@login_required
def approval_decide(request: HttpRequest, request_id: UUID) -> HttpResponse:
    join_request = get_object_or_404(
        JoinRequest.objects.for_tenant(request.user.tenant).select_related("group", "requester"),
        pk=request_id,
    )
    form = DecisionForm(request.POST)
    error = ""
    if confirm := _seat_confirmation(request, join_request, form):
        return confirm
    if form.is_valid():
        decide = services.join_request_approve if form.approve else services.join_request_deny
        try:
            join_request = decide(
                actor=request.user, join_request=join_request, reason=form.cleaned_data["reason"]
            )
        except PermissionDenied as exc:
            if not request.htmx:
                raise
            # In place, without the request's details: the page was stale (a setting changed...).
            context = {"id": request_id, "error": exc}
            return _in_place(request, "access_requests/_request_row_refused.html", context, announce=str(exc))
        except ServiceError as exc:
            error = str(exc)  # in the row: decided elsewhere, group deleted, requester disabled...
            join_request.refresh_from_db()
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if request.htmx:
        context = {
            "join_request": join_request,
            "error": error,
            "form": form if error else DecisionForm(),
            "focus": True,
        }
        return _in_place(
            request, "access_requests/_decided_row.html", context, announce=error or _decided(join_request)
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _decided(join_request))
    return redirect(next_url(request, reverse("approvals")))


@require_POST
@login_required
def approvals_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkDecisionForm(request.POST, queryset=JoinRequest.objects.for_tenant(request.user.tenant))
    if not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
        if request.htmx:
            context = {"rows": [], "refusals": [error]}
            return _in_place(request, "access_requests/_bulk_result.html", context, announce=error)
        messages.error(request, error)
        return redirect(next_url(request, reverse("approvals")))
    if confirm := _bulk_seat_confirmation(request, form):
        return confirm
    outcome = services.join_requests_decide(
        actor=request.user,
        join_requests=form.cleaned_data["requests"],
        approve=form.approve,
        reason=form.cleaned_data["reason"],
    )
    verb = "Approved" if form.approve else "Denied"
    n = len(outcome.decided)
    decided = f"{verb} {n} request{'s' if n != 1 else ''}." if n else ""
    refusals = [
        f"{jr.requester.display_name} → {jr.group.display_name}: {why}" for jr, why in outcome.refused
    ]
    if request.htmx:
        context = {
            "rows": [(jr, "") for jr in outcome.decided] + list(outcome.refused),
            "decided_message": decided,
            "refusals": refusals,
        }
        announce = " ".join([decided, *refusals]).strip()
        return _in_place(request, "access_requests/_bulk_result.html", context, announce=announce)
    if decided:
        messages.success(request, decided)
    for refusal in refusals:
        messages.error(request, refusal)
    return redirect(next_url(request, reverse("approvals")))


@require_GET
@login_required
def approvals_badge(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "access_requests/_approvals_badge.html",
        {"count": selectors.approvals_count(request.user, cap=selectors.BADGE_CAP)},
    )


@login_required
@vary_on_headers("HX-Request")
def group_requests(request: HttpRequest, group_id: UUID) -> HttpResponse:
    """The requests tab of the group page: pending requests first, then recent decisions."""
    group = get_group_for(request.user, group_id, "requests/decide")
    page = _with_seats(paginate(request, selectors.group_requests(group)))
    context = {"page": page, "decision_form": DecisionForm()}
    return render_tab(request, group, "group_requests", "access_requests/group_requests.html", context)
