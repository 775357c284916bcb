"""Discovery (RFC 7644 §4): ServiceProviderConfig, ResourceTypes and Schemas, truthful about what the
endpoint supports: the schemas list only the attributes Groupdesk keeps; no bulk, sort, ETags or
password changes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Meta,
    Patch,
    Required,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
    User,
)

from portal.site.scim.auth import scim_view
from portal.site.scim.protocol import MAX_BODY_BYTES, MAX_RESULTS, PREFIX, ScimError, ScimUser, scim_response
from portal.site.scim.users import ENTERPRISE

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
RESPONSE = Context.RESOURCE_QUERY_RESPONSE

# Attributes Groupdesk always holds a value for (a user has a display name and is enabled or not).
ALWAYS = {"displayName", "active"}
# The attributes each schema announces (and Groupdesk keeps), with the sub-attributes of complex ones.
KEPT = {
    str(User.__schema__): {
        "userName": None, "name": {"givenName", "familyName"}, "displayName": None,
        "title": None, "userType": None, "preferredLanguage": None, "active": None,
        "emails": {"value"}, "phoneNumbers": {"value"},
        "addresses": {"streetAddress", "locality", "region", "postalCode", "country"},
    },
    ENTERPRISE: {
        "employeeNumber": None, "costCenter": None, "organization": None, "division": None,
        "department": None, "manager": {"value", "$ref"},
    },
    str(Group.__schema__): {"displayName": None, "members": {"value", "$ref", "type"}},
}  # fmt: skip


def _schema(model: type) -> Schema:
    schema = model.to_schema()
    kept = KEPT[schema.id]
    attributes = [a for a in schema.attributes if a.name in kept]
    for attribute in attributes:
        if kept[attribute.name] and attribute.sub_attributes:
            attribute.sub_attributes = [s for s in attribute.sub_attributes if s.name in kept[attribute.name]]
    for attribute in attributes:
        if attribute.name in ALWAYS and schema.id == str(User.__schema__):
            attribute.required = Required.true
    schema.attributes = attributes
    schema.meta = Meta(resource_type="Schema", location=f"{PREFIX}Schemas/{schema.id}")
    return schema


def schemas() -> list[Schema]:
    return [_schema(User), _schema(EnterpriseUser), _schema(Group)]


def resource_types() -> list[ResourceType]:
    found = []
    for model, name in ((ScimUser, "User"), (Group, "Group")):
        resource_type = ResourceType.from_resource(model)
        resource_type.meta = Meta(resource_type="ResourceType", location=f"{PREFIX}ResourceTypes/{name}")
        found.append(resource_type)
    return found


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=MAX_BODY_BYTES),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="An app's Groupdesk API token: create_api_token --app NAME --role ROLE.",
                primary=True,
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{PREFIX}ServiceProviderConfig"),
    )


def _listed(items: list) -> dict:
    return {
        "schemas": [LIST],
        "totalResults": len(items),
        "startIndex": 1,
        "itemsPerPage": len(items),
        "Resources": [item.model_dump(scim_ctx=RESPONSE) for item in items],
    }


@scim_view("GET")
def service_provider_config_view(request: HttpRequest) -> HttpResponse:
    return scim_response(service_provider_config().model_dump(scim_ctx=RESPONSE))


@scim_view("GET")
def resource_types_view(request: HttpRequest) -> HttpResponse:
    return scim_response(_listed(resource_types()))


@scim_view("GET")
def resource_type_view(request: HttpRequest, type_id: str) -> HttpResponse:
    found = next((t for t in resource_types() if t.id == type_id), None)
    if found is None:
        raise ScimError(404, f"No resource type {type_id[:80]!r}.")
    return scim_response(found.model_dump(scim_ctx=RESPONSE))


@scim_view("GET")
def schemas_view(request: HttpRequest) -> HttpResponse:
    return scim_response(_listed(schemas()))


@scim_view("GET")
def schema_view(request: HttpRequest, schema_id: str) -> HttpResponse:
    found = next((s for s in schemas() if s.id == schema_id), None)
    if found is None:
        raise ScimError(404, f"No schema {schema_id[:80]!r}.")
    return scim_response(found.model_dump(scim_ctx=RESPONSE))


@scim_view("GET", "POST", "PUT", "PATCH", "DELETE")
def unknown_endpoint(request: HttpRequest) -> HttpResponse:
    raise ScimError(404, f"There is no SCIM endpoint {request.path[:120]!r}.")
