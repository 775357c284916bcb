"""Sign-in: Django's login view, recording each attempt (successful or not) in the audit log."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from portal.forms import LoginForm
from portal.services import sign_in_record


def _client(request) -> tuple[str, str]:
    return request.META.get("REMOTE_ADDR", ""), request.headers.get("User-Agent", "")


class SignInView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = LoginForm

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        ip, agent = _client(self.request)
        user = form.get_user()
        sign_in_record(upn=user.user_principal_name, user=user, succeeded=True, ip=ip, user_agent=agent)
        return response

    def form_invalid(self, form) -> HttpResponse:
        upn = form.data.get("username", "") if form.data else ""
        if upn:
            ip, agent = _client(self.request)
            sign_in_record(upn=upn, user=None, succeeded=False, ip=ip, user_agent=agent)
        return super().form_invalid(form)
