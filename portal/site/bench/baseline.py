"""The trivial views the throughput bench compares pages with, served only by the bench's own gunicorn.

``/healthz`` skips what every signed-in request pays (the session, the user, the tenant); these pay it
and do nothing else, so "page / baseline" measures the page's own work:

- ``/bench/signed-in``: a signed-in request answered with two bytes (session, user, middleware);
- ``/bench/page``: the empty page of the site (base.html, its navigation: what every page renders);
- ``/v1.0/bench/signed-in``: an API request with a bearer token answered with an empty collection.

They are not product surface: only ``portal.site.bench.urls`` routes them, and only the settings module
``portal.site.bench.settings`` (which the bench hands its gunicorn) loads that URLconf.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.site.api.auth import api_view


@require_GET
@login_required
def signed_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@login_required
def empty_page(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


@api_view("GET")
def api_signed_in(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"value": []})
