"""/users/: the core's user list, or the guests of the organization with ``?type=guest`` (their groups
and invitations belong to the feature apps, so the composition layer picks the page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from access_requests.views import guests
from portal.views import users


def user_list(request: HttpRequest) -> HttpResponse:
    if request.GET.get("type") == "guest":
        return guests.guest_list(request)
    return users.user_list(request)
