"""/audit/: the tenant's audit log, filtered, paginated and exported as CSV."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal import roles, selectors
from portal.authz import authorize
from portal.csvfile import csv_lines
from portal.pagination import CappedPaginator

PAGE_SIZE = 50
SHOWN_CHANGES = 4  # properties listed in a row; the rest of a long change folds under "N more"
CSV_COLUMNS = [
    "activityDateTime",
    "activity",
    "category",
    "result",
    "actorType",
    "actorId",
    "actor",
    "targetType",
    "targetId",
    "target",
    "before",
    "after",
    "reason",
    "requestId",
]


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.AUDIT_READ)
    events = selectors.audit_events(request.user.tenant, request.GET)
    page = CappedPaginator(events.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page.object_list:
        diff = selectors.audit_diff(event)
        event.diff, event.diff_more = diff[:SHOWN_CHANGES], diff[SHOWN_CHANGES:]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": events,
        "page": page,
        "query": query.urlencode(),
        "activities": events.activities,
    }
    template = "portal/audit_log.html#results" if request.htmx else "portal/audit_log.html"
    return render(request, template, context)


def _text(value) -> object:
    """Before and after snapshots as JSON; csv_lines guards every cell against formula injection."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict | list) else value


@login_required
@require_GET
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    authorize(request.user, roles.AUDIT_READ)
    events = selectors.audit_events(request.user.tenant, request.GET).qs

    def rows():
        for e in events.iterator(chunk_size=2000):
            yield [
                _text(v)
                for v in (
                    e.activity_date_time.isoformat(),
                    e.activity,
                    e.category,
                    e.result,
                    e.actor_type,
                    e.actor_id,
                    e.actor_name,
                    e.target_type,
                    e.target_id,
                    e.target_name,
                    e.before,
                    e.after,
                    e.reason,
                    e.request_id,
                )
            ]

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(csv_lines(CSV_COLUMNS, rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
