"""The API's routes; portal/site/urls.py mounts them at /v1.0/ and at /beta/ (same views)."""

from __future__ import annotations

from django.urls import path, re_path

from portal.site.api.views import batch, delta, directory, group_settings, groups, relations, users
from portal.site.api.views import roles as role_views
from portal.site.api.views import settings as setting_views

CAST = "<str:cast>"
# Graph's function segment as people write it and as the SDKs send it ("delta()", fully qualified).
DELTA = ("delta", "delta()", "microsoft.graph.delta", "microsoft.graph.delta()")

urlpatterns = [
    path("me", users.me_detail, name="me"),
    path("me/memberOf", relations.member_of, {"kind": "me"}, name="me_member_of"),
    path(f"me/memberOf/{CAST}", relations.member_of, {"kind": "me"}),
    path("me/transitiveMemberOf", relations.transitive_member_of, {"kind": "me"}),
    path(f"me/transitiveMemberOf/{CAST}", relations.transitive_member_of, {"kind": "me"}),
    path("me/checkMemberGroups", relations.check_member_groups, {"kind": "me"}),
    path("users", users.user_list, name="user_list"),
    *(path(f"users/{name}", delta.user_delta) for name in DELTA),
    *(path(f"groups/{name}", delta.group_delta) for name in DELTA),
    path("users/<str:user_id>", users.user_detail, name="user_detail"),
    path("users/<str:object_id>/memberOf", relations.member_of, {"kind": "users"}, name="user_member_of"),
    path(f"users/<str:object_id>/memberOf/{CAST}", relations.member_of, {"kind": "users"}),
    path("users/<str:object_id>/transitiveMemberOf", relations.transitive_member_of, {"kind": "users"}),
    path(
        f"users/<str:object_id>/transitiveMemberOf/{CAST}", relations.transitive_member_of, {"kind": "users"}
    ),
    path("users/<str:object_id>/checkMemberGroups", relations.check_member_groups, {"kind": "users"}),
    path("groups", groups.group_list, name="group_list"),
    path("groups/<str:group_id>", groups.group_detail, name="group_detail"),
    path("groups/<str:group_id>/members/$ref", relations.member_ref, name="group_member_ref"),
    path("groups/<str:group_id>/members/<str:member_id>/$ref", relations.member_ref_delete),
    path("groups/<str:group_id>/members", relations.group_members, name="group_members"),
    path(f"groups/<str:group_id>/members/{CAST}", relations.group_members),
    path("groups/<str:group_id>/transitiveMembers", relations.group_transitive_members),
    path(f"groups/<str:group_id>/transitiveMembers/{CAST}", relations.group_transitive_members),
    path("groups/<str:group_id>/owners/$ref", relations.owner_ref, name="group_owner_ref"),
    path("groups/<str:group_id>/owners/<str:owner_id>/$ref", relations.owner_ref_delete),
    path("groups/<str:group_id>/owners", relations.group_owners, name="group_owners"),
    path(f"groups/<str:group_id>/owners/{CAST}", relations.group_owners),
    path("groups/<str:object_id>/memberOf", relations.member_of, {"kind": "groups"}),
    path(f"groups/<str:object_id>/memberOf/{CAST}", relations.member_of, {"kind": "groups"}),
    path("groups/<str:object_id>/transitiveMemberOf", relations.transitive_member_of, {"kind": "groups"}),
    path(
        f"groups/<str:object_id>/transitiveMemberOf/{CAST}",
        relations.transitive_member_of,
        {"kind": "groups"},
    ),
    path("groups/<str:object_id>/checkMemberGroups", relations.check_member_groups, {"kind": "groups"}),
    path("directoryObjects/<str:object_id>", directory.directory_object, name="directory_object"),
    path("$batch", batch.batch, name="batch"),
    # Settings and roles as Graph objects (portal/site/api/views/settings.py, roles.py).
    path("groupSettingTemplates", setting_views.template_list, name="group_setting_templates"),
    path("groupSettingTemplates/<str:template_id>", setting_views.template_detail),
    path("groupSettings", setting_views.setting_list, name="group_settings"),
    path("groupSettings/<str:setting_id>", setting_views.setting_detail),
    # The same under beta's names (directorySettingTemplates, settings), as the beta SDKs send them.
    path("directorySettingTemplates", setting_views.template_list),
    path("directorySettingTemplates/<str:template_id>", setting_views.template_detail),
    path("settings", setting_views.setting_list),
    path("settings/<str:setting_id>", setting_views.setting_detail),
    path("groups/<str:group_id>/settings", group_settings.group_setting_list),
    path("groups/<str:group_id>/settings/<str:setting_id>", group_settings.group_setting_detail),
    path("policies/authorizationPolicy", setting_views.authorization_policy, name="authorization_policy"),
    path("roleManagement/directory/roleDefinitions", role_views.definition_list, name="role_definitions"),
    path("roleManagement/directory/roleDefinitions/<str:definition_id>", role_views.definition_detail),
    path("roleManagement/directory/roleAssignments", role_views.assignment_list, name="role_assignments"),
    path("roleManagement/directory/roleAssignments/<str:role_assignment_id>", role_views.assignment_detail),
    # Anything else under the version prefix: Graph's 400, after authentication (401 comes first).
    re_path(r"^(?P<rest>.*)$", directory.unknown_segment, name="unknown_segment"),
]
