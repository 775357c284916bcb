"""JSON batching: ``POST /v1.0/$batch`` (and /beta) with up to 20 requests, each answered on its own.

Each request of the batch runs through the very view its URL names, authenticated with the batch's own
token, and is answered with its own ``status``, ``headers`` and ``body``: one failing leaves the others
be. ``dependsOn`` orders them; a request whose dependency failed is answered 424 without running. The
batch itself is refused (400) when it is malformed: more than 20 requests, an id used twice, a
dependency on an id that isn't in the batch, or a cycle.

The official SDK's ``BatchRequestContent`` sends ``depends_on`` and absolute URLs
("http://host/v1.0/users"): both are accepted (of an absolute URL only the path after the version counts).
"""

from __future__ import annotations

import json
import logging
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from portal.site.api import errors
from portal.site.api.auth import api_view, read_json

logger = logging.getLogger(__name__)

MAX_REQUESTS = 20
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
VERSIONS = ("v1.0", "beta")
# Response headers a batch item carries over from its own response.
KEPT_HEADERS = ("Content-Type", "Location", "Retry-After", "Preference-Applied")
_ENVIRON_COPIED = (
    "SERVER_NAME",
    "SERVER_PORT",
    "HTTP_HOST",
    "wsgi.url_scheme",
    "REMOTE_ADDR",
    "HTTP_AUTHORIZATION",
)


def _invalid(message: str) -> errors.ApiError:
    return errors.bad_request(message, code="BadRequest")


def _steps(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The batch's requests, checked as a whole (a 400 for the batch when it is malformed)."""
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise _invalid("Invalid batch payload format: 'requests' must be a non-empty array.")
    if len(requests) > MAX_REQUESTS:
        raise _invalid(f"The batch has {len(requests)} requests: at most {MAX_REQUESTS} are allowed.")
    steps: list[dict[str, Any]] = []
    for item in requests:
        if not isinstance(item, dict):
            raise _invalid("Invalid batch payload format: each request is an object.")
        step_id = item.get("id")
        if not isinstance(step_id, str | int) or not str(step_id).strip():
            raise _invalid("Invalid batch payload format: each request needs an 'id'.")
        depends = item.get("dependsOn", item.get("depends_on")) or []
        if not isinstance(depends, list) or not all(isinstance(d, str | int) for d in depends):
            raise _invalid(f"Request '{str(step_id)[:40]}': dependsOn must be an array of request ids.")
        steps.append({**item, "id": str(step_id), "dependsOn": [str(d) for d in depends]})
    ids = [s["id"] for s in steps]
    if len(set(ids)) != len(ids):
        raise _invalid("Invalid batch payload format: request ids must be unique.")
    for step in steps:
        missing = [d for d in step["dependsOn"] if d not in ids or d == step["id"]]
        if missing:
            raise _invalid(
                f"Request '{step['id'][:40]}' depends on '{missing[0][:40]}', which isn't in the batch."
            )
    return _ordered(steps)


def _ordered(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps in an order that runs each after what it depends on (the listed order otherwise)."""
    done: set[str] = set()
    ordered: list[dict[str, Any]] = []
    waiting = list(steps)
    while waiting:
        ready = [s for s in waiting if set(s["dependsOn"]) <= done]
        if not ready:
            raise _invalid("Invalid batch payload format: the dependsOn references form a cycle.")
        ordered.append(ready[0])
        done.add(ready[0]["id"])
        waiting.remove(ready[0])
    return ordered


def _path(version: str, url: Any) -> tuple[str, str]:
    """The path and query string of a request's relative URL ("/users?$top=1", "v1.0/users" ...)."""
    if not isinstance(url, str) or not url.strip():
        raise _invalid("Invalid request URL: it must be relative to the version root, like '/users'.")
    path, _, query = url.strip().partition("?")
    if "://" in path:  # the SDK sends absolute URLs: only the path after the version counts
        path = urlsplit(path).path
        if not any(path.startswith(f"/{v}/") for v in VERSIONS):
            raise _invalid(
                "Invalid request URL: an absolute URL must name the API version, like '/v1.0/users'."
            )
    segments = [s for s in path.split("/") if s]
    if segments and segments[0] in VERSIONS:
        version, segments = segments[0], segments[1:]
    if segments and segments[0] == "$batch":
        raise _invalid("A batch can't contain another batch.")
    return f"/{version}/{'/'.join(segments)}", query


def _sub_request(outer: HttpRequest, step: dict[str, Any], path: str, query: str) -> WSGIRequest:
    headers = step.get("headers") or {}
    if not isinstance(headers, dict):
        raise _invalid("headers must be an object.")
    body = step.get("body")
    raw = b"" if body is None else json.dumps(body).encode()
    environ: dict[str, Any] = {k: outer.META[k] for k in _ENVIRON_COPIED if k in outer.META}
    environ.update(
        {
            "REQUEST_METHOD": step["method"],
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": query,
            "CONTENT_LENGTH": str(len(raw)),
            "CONTENT_TYPE": "application/json" if raw else "",
            "wsgi.input": BytesIO(raw),
        }
    )
    for name, value in headers.items():
        key = str(name).upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = str(value) if raw else ""
        elif key not in ("AUTHORIZATION", "HOST", "CONTENT_LENGTH"):  # the batch's own token and host
            environ[f"HTTP_{key}"] = str(value)
    request = WSGIRequest(environ)
    request.request_id = getattr(outer, "request_id", "")
    return request


def _run(outer: HttpRequest, step: dict[str, Any]) -> HttpResponse:
    method = str(step.get("method") or "").upper()
    if method not in METHODS:
        raise _invalid(f"Invalid method '{str(step.get('method'))[:16]}': use one of {', '.join(METHODS)}.")
    version = outer.path.strip("/").split("/")[0]
    path, query = _path(version, step.get("url"))
    try:
        match = resolve(path)
    except Resolver404:
        raise errors.bad_request(f"Resource not found for the segment '{path.split('/')[2][:64]}'.") from None
    request = _sub_request(outer, {**step, "method": method}, path, query)
    return match.func(request, *match.args, **match.kwargs)


def _answer(step_id: str, response: HttpResponse) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": step_id, "status": response.status_code}
    answer["headers"] = {h: response[h] for h in KEPT_HEADERS if response.has_header(h)}
    content = response.content
    if content:
        if (response.get("Content-Type") or "").startswith("application/json"):
            answer["body"] = json.loads(content)
        else:
            answer["body"] = content.decode(errors="replace")
    return answer


def _refusal(request: HttpRequest, step_id: str, exc: errors.ApiError) -> dict[str, Any]:
    return _answer(step_id, errors.error_response(request, exc.status, exc.code, exc.message))


@api_view("POST")
def batch(request: HttpRequest) -> HttpResponse:
    steps = _steps(read_json(request))
    statuses: dict[str, int] = {}
    responses: list[dict[str, Any]] = []
    for step in steps:
        failed = [d for d in step["dependsOn"] if not 200 <= statuses[d] < 300]
        if failed:
            answer = _refusal(
                request,
                step["id"],
                errors.ApiError(
                    424, "FailedDependency", f"The request it depends on ('{failed[0][:40]}') failed."
                ),
            )
        else:
            try:
                answer = _answer(step["id"], _run(request, step))
            except errors.ApiError as exc:
                answer = _refusal(request, step["id"], exc)
            except Exception:  # one request's failure never takes the others down
                logger.exception("batch request %s failed", step["id"])
                answer = _refusal(
                    request, step["id"], errors.ApiError(500, "InternalServerError", "The request failed.")
                )
        statuses[step["id"]] = answer["status"]
        responses.append(answer)
    return JsonResponse({"responses": responses})
