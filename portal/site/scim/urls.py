"""/scim/v2/ (RFC 7644): discovery, Users and Groups. Resource type names are case-sensitive, as Entra
and Okta send them."""

from __future__ import annotations

from django.urls import path, re_path

from portal.site.scim import discovery, group_views, search, user_views

app_name = "scim"

urlpatterns = [
    path("ServiceProviderConfig", discovery.service_provider_config_view, name="service_provider_config"),
    path("ResourceTypes", discovery.resource_types_view, name="resource_types"),
    path("ResourceTypes/<str:type_id>", discovery.resource_type_view, name="resource_type"),
    path("Schemas", discovery.schemas_view, name="schemas"),
    path("Schemas/<str:schema_id>", discovery.schema_view, name="schema"),
    path(".search", search.search_all, name="search"),
    path("Users", user_views.users, name="users"),
    path("Users/.search", user_views.users_search, name="users_search"),
    path("Users/<str:user_id>", user_views.user_detail, name="user"),
    path("Groups", group_views.groups, name="groups"),
    path("Groups/.search", group_views.groups_search, name="groups_search"),
    path("Groups/<str:group_id>", group_views.group_detail, name="group"),
    re_path(r"^.*$", discovery.unknown_endpoint, name="unknown_endpoint"),
]
