"""The one guard against NUL characters in requests, before any view (or the database) sees them.

PostgreSQL's text columns can't hold NUL, so a NUL that reached a query was a 500. Rather than a check in
every view, this middleware looks at everything a view reads — the path, the query string, cookies, form
fields and uploaded file names, and JSON bodies — and answers 400 naming where the NUL was: a Graph error
body under /v1.0/ and /beta/, an HTML page elsewhere. (The contents of uploaded CSV files are checked
by their parsers, which can name the line.)

It sits before the session middleware: a NUL in the session cookie must not reach the session table.

It also refuses a query string longer than ``MAX_QUERY_STRING`` (414) before anything parses it: gunicorn
refuses a request line over 4,094 bytes in production, and without the same limit here a 100,000-character
query string (the fuzz test's) cost 50-100 ms of percent-decoding per request under runserver and tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.site.api import errors
from portal.site.api.body import load_json, may_hold_nul, nul_path
from portal.site.scim.protocol import PREFIX as SCIM_PREFIX
from portal.site.scim.protocol import SCIM_JSON, refuse_nul
from portal.site.scim.protocol import error_response as scim_error_response

API_PREFIXES = ("/v1.0/", "/beta/")
MAX_QUERY_STRING = 8192  # characters of the raw (percent-encoded) query string: twice gunicorn's request line
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _named(name: str) -> str:
    return name.replace("\x00", "\\0")


def _first_nul(pairs: Iterable[tuple[str, list[str]]], what: str) -> str | None:
    for key, values in pairs:
        if "\x00" in key or any("\x00" in v for v in values):
            return f"{what} '{_named(key)}'"
    return None


def _json_nul(request: HttpRequest) -> str | None:
    raw = request.body
    if not may_hold_nul(raw):
        return None
    try:
        path = nul_path(load_json(raw))
    except errors.ApiError:
        return "the request body"  # not JSON (a raw NUL is never valid JSON): the body as a whole
    return f"the JSON property '{path}'" if path else None


def nul_location(request: HttpRequest) -> str | None:
    """Where the request carries a NUL character ("the query string parameter 'q'"...), or None."""
    if "\x00" in request.path:
        return "the path"
    found = _first_nul(request.GET.lists(), "the query string parameter") or _first_nul(
        ((k, [v]) for k, v in request.COOKIES.items()), "the cookie"
    )
    if found:
        return found
    content_type = request.content_type or ""
    if request.method == "POST" and content_type in FORM_TYPES:
        files = ((k, [f.name or "" for f in fs]) for k, fs in request.FILES.lists())
        return _first_nul(request.POST.lists(), "the form field") or _first_nul(files, "the file field")
    if content_type in ("application/json", SCIM_JSON, "") and request.method not in ("GET", "HEAD"):
        return _json_nul(request)
    return None


def refusal(request: HttpRequest, location: str) -> HttpResponse:
    message = f"A NUL character isn't allowed in input: {location} contains one."
    if request.path.startswith(SCIM_PREFIX):
        return refuse_nul(location)
    if request.path.startswith(API_PREFIXES):
        return errors.error_response(request, 400, errors.REQUEST_BAD_REQUEST, message)
    return render(request, "400.html", {"reason": message}, status=400)


def too_long(request: HttpRequest, length: int) -> HttpResponse:
    message = f"The query string is too long ({length:,} characters; at most {MAX_QUERY_STRING:,})."
    if request.path.startswith(SCIM_PREFIX):
        return scim_error_response(414, message)
    if request.path.startswith(API_PREFIXES):
        return errors.error_response(request, 414, errors.REQUEST_BAD_REQUEST, message)
    return render(request, "400.html", {"reason": message}, status=414)


class BadInputMiddleware:
    """Refuse a request with a NUL character anywhere a view could read it (400, naming where), or with a
    query string too long to be worth parsing (414)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = len(request.META.get("QUERY_STRING", ""))
        if length > MAX_QUERY_STRING:
            return too_long(request, length)
        location = nul_location(request)
        if location is not None:
            return refusal(request, location)
        return self.get_response(request)
