"""Sign-in throttling: the callables django-axes is configured with (settings, ``AXES_*``).

Failures are counted per (userPrincipalName, client address) pair: after ``AXES_FAILURE_LIMIT`` failures in a
row that pair is refused, even with the right password, for ``AXES_COOLOFF_TIME`` from the last counted
failure. A refused try does not extend the window, so the time the page shows is the time to wait. Another
address (the real user's) is never affected, and a successful sign-in clears the pair's count.
"""

from __future__ import annotations

import math
from datetime import datetime

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from portal.forms import LoginForm


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the address the trusted proxies in front of us saw.

    With ``TRUSTED_PROXY_COUNT=N`` the N-th address from the right of X-Forwarded-For is the client (each
    proxy appends the address it was reached from; whatever the client itself sent is further left).
    """
    count = settings.GROUPDESK_TRUSTED_PROXY_COUNT
    forwarded = [
        part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()
    ]
    if count > 0 and len(forwarded) >= count:
        return forwarded[-count][:64]
    return request.META.get("REMOTE_ADDR", "")


def normalized_username(request: HttpRequest, credentials: dict | None) -> str:
    """The key the failures are counted under: the userPrincipalName as sign-in matches it (any case)."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username", "")
    # No NUL: PostgreSQL refuses it in text, and no userPrincipalName has one.
    return str(raw).replace("\x00", "").strip().lower()[:255]


def lockout_ends(request: HttpRequest, username: str) -> datetime | None:
    """When the refusal of this (username, address) pair ends; None if nothing was counted for it."""
    cool_off = get_cool_off(request)
    last = AccessAttempt.objects.filter(username=username, ip_address=client_ip(request)).aggregate(
        last=Max("attempt_time")
    )["last"]
    if last is None or cool_off is None:
        return None
    return last + cool_off


def wait_message(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if minutes and rest:
        wait = f"{minutes} minute{'s' if minutes > 1 else ''} {rest} second{'s' if rest > 1 else ''}"
    elif minutes:
        wait = f"{minutes} minute{'s' if minutes > 1 else ''}"
    else:
        wait = f"{seconds} second{'s' if seconds != 1 else ''}"
    return (
        "Too many failed sign-ins for this account from your network address. "
        f"Sign-in is paused here: try again in {wait}."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The sign-in page again, with how long to wait (HTTP 429 and Retry-After): ``AXES_LOCKOUT_CALLABLE``."""
    username = normalized_username(request, credentials)
    ends = lockout_ends(request, username)
    cool_off = get_cool_off(request)
    default = int(cool_off.total_seconds()) if cool_off else 60
    seconds = max(1, math.ceil((ends - timezone.now()).total_seconds())) if ends else default
    form = LoginForm(request, initial={"username": username})
    context = {
        "form": form,
        "next": request.POST.get("next", "") or request.GET.get("next", ""),
        "throttle_message": wait_message(seconds),
    }
    response = render(request, "portal/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
    response["Retry-After"] = str(seconds)
    return response
