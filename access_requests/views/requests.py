from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from access_requests import selectors, services
from access_requests.filters import MyRequestsFilter
from access_requests.views.actions import _action_box
from access_requests.views.common import my_groups_closed, next_url, paginate, query_without
from groups.services import ServiceError


@require_GET
@login_required
@vary_on_headers("HX-Request")
def my_requests(request: HttpRequest) -> HttpResponse:
    if closed := my_groups_closed(request):
        return closed
    found = MyRequestsFilter(request.GET, queryset=selectors.requests_of(request.user))
    context = {"filter": found, "page": paginate(request, found.qs), "query": query_without(request, "page")}
    template = "access_requests/my_requests.html"
    return render(request, f"{template}#results" if request.htmx else template, context)


@require_POST
@login_required
def request_cancel(request: HttpRequest, request_id: UUID) -> HttpResponse:
    if closed := my_groups_closed(request):
        return closed
    # Only one's own requests are reachable: anyone else's is "not found".
    join_request = get_object_or_404(selectors.requests_of(request.user), pk=request_id)
    error = ""
    try:
        join_request = services.join_request_cancel(actor=request.user, join_request=join_request)
    except ServiceError as exc:
        error = str(exc)
        join_request.refresh_from_db()
    if request.htmx and request.POST.get("answer") == "action":  # from a group's action box
        done = "" if error else "Your request was cancelled."
        return _action_box(request, join_request.group, error=error, done=done)
    if request.htmx:
        return render(
            request,
            "access_requests/my_requests.html#request_row",
            {
                "join_request": join_request,
                "error": error,
                "focus": True,
                "announce": error or f"Your request to join {join_request.group.display_name} was cancelled.",
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Your request to join {join_request.group.display_name} was cancelled.")
    return redirect(next_url(request, reverse("my_requests")))
