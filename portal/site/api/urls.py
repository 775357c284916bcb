"""The API's routes; portal/site/urls.py mounts them at /v1.0/ and at /beta/ (same views)."""

from __future__ import annotations

from django.urls import path, re_path

from portal.site.api.views import directory, groups, invitations, relations, users

CAST = "<str:cast>"

urlpatterns = [
    path("me", users.me_detail, name="me"),
    path("me/memberOf", relations.member_of, {"kind": "me"}, name="me_member_of"),
    path(f"me/memberOf/{CAST}", relations.member_of, {"kind": "me"}),
    path("me/transitiveMemberOf", relations.transitive_member_of, {"kind": "me"}),
    path(f"me/transitiveMemberOf/{CAST}", relations.transitive_member_of, {"kind": "me"}),
    path("me/checkMemberGroups", relations.check_member_groups, {"kind": "me"}),
    path("users", users.user_list, name="user_list"),
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
    path("invitations", invitations.invitation_create, name="invitation_create"),
    path("directoryObjects/<str:object_id>", directory.directory_object, name="directory_object"),
    # Anything else under the version prefix: Graph's 400, after authentication (401 comes first).
    re_path(r"^(?P<rest>.*)$", directory.unknown_segment, name="unknown_segment"),
]
