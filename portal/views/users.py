from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal import roles
from portal.authz import authorize


def _empty_state(request: HttpRequest, title: str, text: str) -> HttpResponse:
    return render(request, "portal/empty_state.html", {"title": title, "text": text})


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.USERS_READ)
    return _empty_state(request, "Users", "The people of your organization will be listed here.")
