"""handler500: a database that is away (restarted, failed over, out of connections) answers 503 with
Retry-After, in words a person (or, under /v1.0/ and /beta/, a Graph client) can act on; anything else
stays a plain 500. The page uses no template: the base template reads the database (navigation)."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

RETRY_AFTER_SECONDS = 5
AWAY = "The database is unavailable for a moment. Nothing was changed. Try again in a few seconds."
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>{text}</p></main></body></html>"""


def database_away() -> bool:
    error = sys.exc_info()[1]
    return isinstance(error, OperationalError | InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    api = request.path.startswith(("/v1.0/", "/beta/"))
    if database_away():
        if api:
            body = {"error": {"code": "serviceNotAvailable", "message": AWAY}}
            response = JsonResponse(body, status=503)
        else:
            response = HttpResponse(PAGE.format(title="Try again in a moment", text=AWAY), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    text = "Something went wrong on our side. It has been logged."
    if api:
        return JsonResponse({"error": {"code": "generalException", "message": text}}, status=500)
    return HttpResponse(PAGE.format(title="Server error", text=text), status=500)
