from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal import roles
from portal.authz import authorize


def _empty_state(request: HttpRequest, title: str, text: str) -> HttpResponse:
    return render(request, "portal/empty_state.html", {"title": title, "text": text})


@login_required
def connection_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.SETTINGS_READ)
    return _empty_state(
        request, "External connections", "External connections and their groups will be listed here."
    )
