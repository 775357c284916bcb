from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def group_new(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/empty_state.html", {"title": "New group", "text": "Create a group here."})
