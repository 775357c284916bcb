from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from portal.audit import current_request_id, new_request_id
from portal.refusals import current_request_method, flush_refusals


class TenantMiddleware:
    """Puts the signed-in user's tenant on the request and a request id on the audit context."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        request.tenant = user.tenant if user is not None and user.is_authenticated else None
        request.request_id = new_request_id()
        token = current_request_id.set(request.request_id)
        method_token = current_request_method.set(request.method or "")
        try:
            response = self.get_response(request)
            flush_refusals()  # refused attempts of this request, now outside its transactions
        finally:
            current_request_method.reset(method_token)
            current_request_id.reset(token)
        response["X-Request-Id"] = request.request_id
        return response
