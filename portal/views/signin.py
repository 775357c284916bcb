"""Sign-in: Django's login view, recording each attempt (successful or not) in the audit log.

Throttled by django-axes (portal.signin_throttle): a (userPrincipalName, address) pair with too many
failures in a row gets the sign-in page back with the time to wait (HTTP 429), and is audited once per
refusal window instead of once per try.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from portal.forms import LoginForm
from portal.services import sign_in_record, sign_in_throttled_record
from portal.signin_throttle import client_ip, lockout_ends, lockout_response, normalized_username


def _client(request) -> tuple[str, str]:
    return client_ip(request), request.headers.get("User-Agent", "")


class SignInView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = LoginForm

    def post(self, request, *args, **kwargs) -> HttpResponse:
        upn = normalized_username(request, None)
        if upn and AxesProxyHandler.is_locked(request, {"username": upn}):
            # Refused before the password is looked at (the axes backend would refuse it too).
            ends = lockout_ends(request, upn)
            if ends is not None:
                ip, agent = _client(request)
                sign_in_throttled_record(upn=upn, ip=ip, until=ends, user_agent=agent)
            return lockout_response(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        ip, agent = _client(self.request)
        user = form.get_user()
        sign_in_record(upn=user.user_principal_name, user=user, succeeded=True, ip=ip, user_agent=agent)
        return response

    def form_invalid(self, form) -> HttpResponse:
        # The failure that reaches the limit is an ordinary failure here; AxesMiddleware then answers it
        # with portal.signin_throttle.lockout_response.
        upn = form.data.get("username", "") if form.data else ""
        if upn:
            ip, agent = _client(self.request)
            sign_in_record(upn=upn, user=None, succeeded=False, ip=ip, user_agent=agent)
        return super().form_invalid(form)
