"""The My Groups pages, one module per area.

common.py      helpers: the My Groups switch, pagination, safe "next" redirects
my_groups.py   /my/groups/ and /my/groups/discover/
actions.py     join, request to join, leave (POST; answered with a fragment for htmx)
requests.py    /my/requests/ and cancelling a request
approvals.py   /my/approvals/ (one by one and in bulk), the navigation badge, the group's requests tab
overview.py    the group page's overview tab, with the join box (/groups/<uuid>/)
"""

from access_requests.views.actions import group_join, group_leave, group_request
from access_requests.views.approvals import (
    approval_decide,
    approvals,
    approvals_badge,
    approvals_bulk,
    group_requests,
)
from access_requests.views.my_groups import discover, my_groups
from access_requests.views.requests import my_requests, request_cancel

__all__ = [
    "approval_decide",
    "approvals",
    "approvals_badge",
    "approvals_bulk",
    "discover",
    "group_join",
    "group_leave",
    "group_request",
    "group_requests",
    "my_groups",
    "my_requests",
    "request_cancel",
]
