from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from access_requests.views import guests, invitations
from groups.views import licenses, tenant_settings
from portal.site.views import devices, people, provisioning, roles
from portal.views import audit, basic, signin, users

urlpatterns = [
    path("", basic.home, name="home"),
    path("healthz", basic.healthz, name="healthz"),
    path("accounts/login/", signin.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("users/", people.user_list, name="user_list"),
    path("users/search/", users.user_search, name="user_search"),
    path("users/invite/", invitations.invite, name="invite_guest"),
    path("users/invite/bulk/", invitations.invite_bulk, name="invite_guests_bulk"),
    path("users/guests/inactive/", guests.guests_inactive, name="guests_inactive"),
    path(
        "users/<uuid:user_id>/invitation/resend/",
        invitations.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "users/<uuid:user_id>/invitation/revoke/",
        invitations.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("invitations/redeem/<str:token>/", invitations.redeem, name="invitation_redeem"),
    path("users/<uuid:user_id>/", users.user_detail, name="user_detail"),
    path("users/<uuid:user_id>/edit/", users.user_edit, name="user_edit"),
    path("users/<uuid:user_id>/delete/", users.user_delete_view, name="user_delete"),
    path("users/<uuid:user_id>/restore/", users.user_restore_view, name="user_restore"),
    path("devices/", devices.device_list, name="device_list"),
    path("devices/<uuid:device_id>/", devices.device_detail, name="device_detail"),
    path("roles/", roles.role_list, name="role_list"),
    path("roles/new/", roles.custom_role_new, name="custom_role_new"),
    path("roles/<uuid:role_id>/", roles.custom_role_edit, name="custom_role_edit"),
    path("roles/<uuid:role_id>/delete/", roles.custom_role_delete_view, name="custom_role_delete"),
    path("roles/assignments/", roles.role_assignments, name="role_assignments"),
    path(
        "roles/assignments/<uuid:assignment_id>/delete/",
        roles.role_assignment_delete_view,
        name="role_assignment_delete",
    ),
    path("roles/check/", roles.role_check, name="role_check"),
    path("audit/", audit.audit_log, name="audit_log"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
    path("settings/groups/", tenant_settings.group_settings, name="group_settings"),
    path("settings/groups/naming-preview/", tenant_settings.naming_preview, name="settings_naming_preview"),
    path("settings/provisioning/", provisioning.provisioning, name="provisioning"),
    path(
        "settings/provisioning/tokens/<uuid:token_id>/revoke/",
        provisioning.provisioning_token_revoke,
        name="provisioning_token_revoke",
    ),
    path("licenses/", licenses.license_list, name="license_list"),
    path("licenses/subscriptions/", licenses.subscription_add, name="subscription_add"),
    path("licenses/assign/", licenses.group_license_add, name="group_license_add"),
    path("licenses/<int:license_id>/remove/", licenses.group_license_remove, name="group_license_remove"),
    path("licenses/<int:license_id>/plans/", licenses.group_license_plans, name="group_license_plans"),
    path(
        "licenses/groups/<uuid:group_id>/guests/", licenses.group_license_guests, name="group_license_guests"
    ),
    path("connections/", include("groups.connections.urls")),
    path("groups/", include("groups.urls")),
    path("groups/", include("access_requests.group_urls")),
    path("my/", include("access_requests.urls")),
    path("admin/", admin.site.urls),
    # The JSON API (Microsoft Graph shape): one set of views under both version prefixes.
    path("v1.0/", include(("portal.site.api.urls", "api"), namespace="api_v1")),
    path("beta/", include(("portal.site.api.urls", "api"), namespace="api_beta")),
    # SCIM 2.0 provisioning (RFC 7643/7644) for identity providers' apps.
    path("scim/v2/", include("portal.site.scim.urls")),
]

handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.site.views.unavailable.server_error"
