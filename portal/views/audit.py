from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal import roles
from portal.authz import authorize


def _empty_state(request: HttpRequest, title: str, text: str) -> HttpResponse:
    return render(request, "portal/empty_state.html", {"title": title, "text": text})


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.AUDIT_READ)
    return _empty_state(request, "Audit log", "Every change made in your organization will be listed here.")
