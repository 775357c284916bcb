"""The API's routes; portal/site/urls.py mounts them at /v1.0/ and at /beta/ (same views).

``/$count`` routes come before the type-cast ones (``<str:cast>`` would take "$count" too).
"""

from __future__ import annotations

from django.urls import path, re_path

from portal.site.api.views import (
    batch,
    deleted,
    delta,
    directory,
    external,
    functions,
    group_settings,
    groups,
    invitations,
    licenses,
    manager,
    objects,
    relations,
    search,
    users,
)
from portal.site.api.views import roles as role_views
from portal.site.api.views import settings as setting_views

CAST = "<str:cast>"
COUNT = {"count": True}
# Graph's function segment as people write it and as the SDKs send it ("delta()", fully qualified).
DELTA = ("delta", "delta()", "microsoft.graph.delta", "microsoft.graph.delta()")


def _memberships(prefix: str, kind: dict) -> list:
    """memberOf, transitiveMemberOf (with casts and /$count) and the member functions of one kind."""
    routes = []
    for name, view in (
        ("memberOf", relations.member_of),
        ("transitiveMemberOf", relations.transitive_member_of),
    ):
        routes += [
            path(f"{prefix}/{name}", view, kind),
            path(f"{prefix}/{name}/$count", view, {**kind, **COUNT}),
            path(f"{prefix}/{name}/{CAST}/$count", view, {**kind, **COUNT}),
            path(f"{prefix}/{name}/{CAST}", view, kind),
        ]
    for name, view in (
        ("checkMemberGroups", relations.check_member_groups),
        ("getMemberGroups", functions.get_member_groups),
        ("getMemberObjects", functions.get_member_objects),
        ("checkMemberObjects", functions.check_member_objects),
    ):
        routes.append(path(f"{prefix}/{name}", view, kind))
    return routes


def _relation(prefix: str, view) -> list:
    """A group's member-like list, with casts and /$count."""
    return [
        path(prefix, view),
        path(f"{prefix}/$count", view, COUNT),
        path(f"{prefix}/{CAST}/$count", view, COUNT),
        path(f"{prefix}/{CAST}", view),
    ]


CONNECTION = "external/connections/<str:connection_id>"
# Graph v1.0 says /groups and /members; seed 001 (beta) says /externalGroups and /externalGroupMembers.
EXTERNAL = [
    path("external/connections", external.connection_list, name="external_connections"),
    path(CONNECTION, external.connection_detail, name="external_connection"),
    path(f"{CONNECTION}/items/<str:external_item_id>", external.item_detail, name="external_item"),
    *(
        route
        for groups_name, members_name in (
            ("groups", "members"),
            ("externalGroups", "externalGroupMembers"),
            ("externalgroups", "externalGroupMembers"),
        )
        for route in (
            path(f"{CONNECTION}/{groups_name}", external.group_list),
            path(f"{CONNECTION}/{groups_name}/<str:group_id>", external.group_detail),
            path(f"{CONNECTION}/{groups_name}/<str:group_id>/{members_name}", external.member_list),
            path(
                f"{CONNECTION}/{groups_name}/<str:group_id>/{members_name}/<str:member_id>",
                external.member_detail,
            ),
        )
    ),
]

urlpatterns = [
    path("me", users.me_detail, name="me"),
    path("subscribedSkus", licenses.subscribed_skus, name="subscribed_skus"),
    path("me/manager", manager.manager),
    path("me/manager/$ref", manager.manager_ref),
    path("me/directReports", manager.direct_reports),
    path("me/directReports/$count", manager.direct_reports, COUNT),
    *_memberships("me", {"kind": "me"}),
    path("users", users.user_list, name="user_list"),
    path("users/$count", users.user_list, COUNT),
    *(path(f"users/{name}", delta.user_delta) for name in DELTA),
    *(path(f"groups/{name}", delta.group_delta) for name in DELTA),
    path("users/<str:user_id>", users.user_detail, name="user_detail"),
    path("users/<str:user_id>/assignLicense", licenses.user_assign_license, name="user_assign_license"),
    path("users/<str:user_id>/licenseDetails", licenses.user_license_details, name="user_license_details"),
    path("users/<str:user_id>/manager", manager.manager),
    path("users/<str:user_id>/manager/$ref", manager.manager_ref),
    path("users/<str:user_id>/directReports", manager.direct_reports),
    path("users/<str:user_id>/directReports/$count", manager.direct_reports, COUNT),
    *_memberships("users/<str:object_id>", {"kind": "users"}),
    path("groups", groups.group_list, name="group_list"),
    path("groups/$count", groups.group_list, COUNT),
    path("groups/<str:group_id>", groups.group_detail, name="group_detail"),
    path("groups/<str:group_id>/assignLicense", licenses.group_assign_license, name="group_assign_license"),
    path(
        "groups/<str:group_id>/membersWithLicenseErrors",
        licenses.group_members_with_license_errors,
        name="group_members_with_license_errors",
    ),
    path("groups/<str:group_id>/members/$ref", relations.member_ref, name="group_member_ref"),
    path("groups/<str:group_id>/members/<str:member_id>/$ref", relations.member_ref_delete),
    *_relation("groups/<str:group_id>/members", relations.group_members),
    *_relation("groups/<str:group_id>/transitiveMembers", relations.group_transitive_members),
    path("groups/<str:group_id>/owners/$ref", relations.owner_ref, name="group_owner_ref"),
    path("groups/<str:group_id>/owners/<str:owner_id>/$ref", relations.owner_ref_delete),
    *_relation("groups/<str:group_id>/owners", relations.group_owners),
    *_memberships("groups/<str:object_id>", {"kind": "groups"}),
    path("devices", objects.object_list, {"kind": "devices"}),
    path("devices/$count", objects.object_list, {"kind": "devices", **COUNT}),
    path("devices/<str:object_id>", objects.object_detail, {"kind": "devices"}),
    *_memberships("devices/<str:object_id>", {"kind": "devices"}),
    path("servicePrincipals", objects.object_list, {"kind": "servicePrincipals"}),
    path("servicePrincipals/$count", objects.object_list, {"kind": "servicePrincipals", **COUNT}),
    path("servicePrincipals/<str:object_id>", objects.object_detail, {"kind": "servicePrincipals"}),
    *_memberships("servicePrincipals/<str:object_id>", {"kind": "servicePrincipals"}),
    path("directoryObjects/getByIds", functions.get_by_ids),
    path("invitations", invitations.invitation_create, name="invitation_create"),
    path("directoryObjects/<str:object_id>", directory.directory_object, name="directory_object"),
    path("directory/deletedItems/<str:item_id>/restore", deleted.deleted_item_restore),
    path(f"directory/deletedItems/{CAST}/$count", deleted.deleted_list, COUNT),
    path("directory/deletedItems/<str:item_id>/<str:cast>", deleted.deleted_item),
    path("directory/deletedItems/<str:item_id>", deleted.deleted_item_or_list),
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
    *EXTERNAL,
    path("search/query", search.search_query, name="search_query"),
    # Anything else under the version prefix: Graph's 400, after authentication (401 comes first).
    re_path(r"^(?P<rest>.*)$", directory.unknown_segment, name="unknown_segment"),
]
