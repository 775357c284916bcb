"""Tenant isolation, generated from the URLconf: every route × anonymous / guest / member / owner /
admin / admin of another tenant, with the object ids of the other tenant.

Routes are found by walking ``get_resolver()``; a route is covered by how it is written, so new routes
are covered the day they land:
- a route with ``<uuid:...>`` parameters is requested with the other tenant's objects: the one its
  parameter names (``group_id``, ``user_id`` ...) or, for a name not in ``OBJECT_PARAMS``, every kind
  of object in turn. The answer must be 404 (or 405 for a method it doesn't take; a redirect to the
  login page for anonymous visitors): never the object, never 403 (which would tell it exists).
- a route without parameters is a tenant page: requested (GET, and POST with the other tenant's ids
  and names in every usual field), it must never show the other tenant's data nor change it.
- anything else must be listed in ``SPECIAL`` (public pages, Django's admin) or ``OTHER_PARAMS``
  (non-UUID parameters); an unlisted route fails ``test_it_classifies_every_route``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter
from django.urls.resolvers import RegexPattern

from access_requests.models import JoinRequest
from groups.connections.models import (
    ExternalAclEntry,
    ExternalConnection,
    ExternalGroup,
    ExternalGroupMember,
    ExternalItem,
)
from groups.models import Group, Membership, Ownership
from portal.models import AuditEvent, CustomRole, RoleAssignment, TenantGroupSettings, User
from tests import factories

pytestmark = pytest.mark.django_db


# --- the routes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the pattern for an unnamed route
    pattern: str  # the full route
    params: dict  # parameter name -> converter
    regex: bool = False  # a re_path: can't be filled in, so it must be listed in SPECIAL

    @property
    def api(self) -> bool:
        return self.name.startswith(("api_v1:", "api_beta:"))

    @property
    def scim(self) -> bool:
        return self.name.startswith("scim:")

    @property
    def id(self) -> str:
        return self.pattern if self.api else self.name


def _walk(resolvers, prefix="", namespace=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                yield Route("admin:*", "admin/", {})  # Django's admin: one special entry for all of it
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            regex = isinstance(entry.pattern, RegexPattern)
            converters = {} if regex else dict(entry.pattern.converters)
            name = f"{namespace}{entry.name or prefix + str(entry.pattern)}"
            yield Route(name, prefix + str(entry.pattern), converters, regex)


ROUTES = list(_walk(get_resolver().url_patterns))

# Routes that are public or not a tenant's: checked by their own tests (sign-in, health, admin).
SPECIAL = {
    "healthz": "public health check: no tenant data",
    "login": "the sign-in page",
    "logout": "signs out whoever is signed in",
    "admin:*": "Django's admin: platform operators only (is_staff), never tenant users",
    "api_v1:unknown_segment": "the API's catch-all: Graph's 400 for an unknown path, after authentication",
    "api_beta:unknown_segment": "the same under /beta/",
    "scim:unknown_endpoint": "SCIM's catch-all: a SCIM 404 for an unknown path, after authentication",
    "invitation_redeem": "public: the emailed link; its signed token names one invitation, anyone holding "
    "it may redeem it once (tests/access_requests/test_redemption.py)",
}
# Non-UUID parameters: the other tenant's values for them (the API names objects by <str:...> ids).
OTHER_PARAMS = {
    "license_id": lambda world: [world.license.pk],
    "group_id": lambda world: [world.group.pk],
    "user_id": lambda world: [world.user.pk],
    "member_id": lambda world: [world.user.pk],
    "owner_id": lambda world: [world.owner.pk],
    "object_id": lambda world: [world.user.pk, world.group.pk],
    "item_id": lambda world: [world.user.pk, world.group.pk],
    "cast": lambda world: ["microsoft.graph.user", "microsoft.graph.group"],
    "template_id": lambda world: ["62375ab9-6b52-47ed-826b-58e47e0e304b"],
    "setting_id": lambda world: [unified_setting_id(world.tenant)],
    "definition_id": lambda world: [world.role.pk],
    "role_assignment_id": lambda world: [world.assignment.pk],
    "connection_id": lambda world: [world.connection.connection_id],
    "external_item_id": lambda world: [world.external_item.item_id],
}


def unified_setting_id(tenant):
    """The id of the tenant's Group.Unified settings object (/groupSettings/{id}), made if need be."""
    settings, _ = TenantGroupSettings.objects.get_or_create(tenant=tenant)
    if settings.group_unified_setting_id is None:
        settings.group_unified_setting_id = uuid.uuid4()
        settings.save(update_fields=["group_unified_setting_id"])
    return settings.group_unified_setting_id


# UUID parameters whose object kind the name tells; any other UUID parameter gets every kind in turn.
OBJECT_PARAMS = {
    "group_id": "group",
    "user_id": "user",
    "role_id": "role",
    "assignment_id": "assignment",
    "request_id": "join_request",
    "connection_pk": "connection",
    "external_group_pk": "external_group",
    "item_pk": "external_item",
}


def classify(route: Route) -> str:
    if route.name in SPECIAL:
        return "special"
    if (
        route.scim
    ):  # /scim/v2/: app tokens; checked by test_it_never_serves_the_other_tenants_objects_through_scim
        return "scim"
    if route.regex:
        return "unclassified"
    for param, converter in route.params.items():
        if not isinstance(converter, UUIDConverter) and param not in OTHER_PARAMS:
            return "unclassified"
    return "object" if route.params else "page"


def test_it_classifies_every_route():
    unclassified = [r.pattern for r in ROUTES if classify(r) == "unclassified"]
    assert {r.name for r in ROUTES} >= set(SPECIAL), "a special route is gone: update SPECIAL"
    assert unclassified == [], f"add these routes' parameters to OTHER_PARAMS or SPECIAL: {unclassified}"
    assert len([r for r in ROUTES if classify(r) == "object"]) >= 10  # the walk really found the routes


# --- two tenants, each with one of everything -------------------------------------------------------


@dataclass
class TenantWorld:
    tenant: object
    admin: User
    owner: User
    member: User
    guest: User
    group: Group
    user: User
    role: CustomRole
    assignment: RoleAssignment
    join_request: JoinRequest
    license: object
    secrets: tuple  # names that only this tenant's pages may show
    connection: object = None
    external_group: object = None
    external_item: object = None

    def objects(self) -> dict:
        return {
            "group": self.group,
            "user": self.user,
            "role": self.role,
            "assignment": self.assignment,
            "join_request": self.join_request,
            "connection": self.connection,
            "external_group": self.external_group,
            "external_item": self.external_item,
        }


def build(tag: str) -> TenantWorld:
    from groups.licensing.models import GroupLicense, SubscribedSku

    tenant = factories.TenantFactory(name=f"Org {tag}")
    admin = factories.UserFactory(tenant=tenant, role="globalAdministrator", display_name=f"Admin {tag}")
    owner = factories.UserFactory(tenant=tenant, display_name=f"Owner {tag}")
    member = factories.UserFactory(tenant=tenant, display_name=f"Member {tag}")
    guest = factories.UserFactory(tenant=tenant, user_type="Guest", display_name=f"Guest {tag}")
    user = factories.UserFactory(tenant=tenant, display_name=f"Secretuser{tag}", department=f"Dept{tag}")
    group = factories.GroupFactory(
        tenant=tenant,
        display_name=f"Secretgroup{tag}",
        mail_nickname=f"secret{tag.lower()}",
        owners=[owner],
        members=[member, user, guest],
        join_policy="approval",
    )
    role = factories.CustomRoleFactory(tenant=tenant, display_name=f"Secretrole{tag}")
    assignment = factories.assign_role(user, role, scope_group=group)
    join_request = factories.JoinRequestFactory(
        group=group, tenant=tenant, requester=factories.UserFactory(tenant=tenant, display_name=f"Asker{tag}")
    )
    sku = SubscribedSku.objects.create(
        tenant=tenant, sku_part_number=f"SKU{tag}", display_name=f"Secretsku{tag}", prepaid_units=5
    )
    license_ = GroupLicense.objects.create(group=group, sku=sku)
    connection = ExternalConnection.objects.create(
        tenant=tenant, connection_id=f"conn{tag}", name=f"Secretconn{tag}"
    )
    external_group = ExternalGroup.objects.create(
        connection=connection, group_id=f"xg{tag}", display_name=f"Secretxg{tag}"
    )
    ExternalGroupMember.objects.create(group=external_group, member_user=user)
    external_item = ExternalItem.objects.create(
        connection=connection, item_id=f"item{tag}", properties={"title": f"Secretitem{tag}"}
    )
    ExternalAclEntry.objects.create(
        item=external_item, access_type="grant", type="externalGroup", value=f"xg{tag}"
    )
    secrets = (
        f"Secretuser{tag}",
        f"Secretgroup{tag}",
        f"Secretrole{tag}",
        f"Asker{tag}",
        f"Secretsku{tag}",
        f"Secretconn{tag}",
        f"Secretxg{tag}",
        f"Secretitem{tag}",
    )
    return TenantWorld(
        tenant,
        admin,
        owner,
        member,
        guest,
        group,
        user,
        role,
        assignment,
        join_request,
        license_,
        secrets,
        connection,
        external_group,
        external_item,
    )


@pytest.fixture
def worlds():
    return build("A"), build("B")


ACTORS = ["anonymous", "guest", "member", "owner", "admin", "other-admin"]


def actor_and_foreign(worlds, who: str):
    """The signed-in actor (None: anonymous) and the tenant whose ids and names it must never reach."""
    home, away = worlds
    if who == "other-admin":
        return away.admin, home
    return (None if who == "anonymous" else getattr(home, who)), away


def state_of(world: TenantWorld) -> tuple:
    """A fingerprint of the other tenant's data: it must be the same after any request."""
    t = world.tenant
    return (
        Membership.objects.filter(group__tenant=t).count(),
        Ownership.objects.filter(group__tenant=t).count(),
        Group.objects.for_tenant(t).alive().count(),
        RoleAssignment.objects.for_tenant(t).count(),
        CustomRole.objects.for_tenant(t).count(),
        JoinRequest.objects.for_tenant(t).filter(status="pending").count(),
        User.objects.for_tenant(t).filter(deleted_date_time=None, account_enabled=True).count(),
        sorted(User.objects.for_tenant(t).values_list("department", flat=True)),
        sorted(Group.objects.for_tenant(t).values_list("display_name", flat=True)),
        world.license.__class__.objects.filter(group__tenant=t).count(),
        ExternalConnection.objects.for_tenant(t).count(),
        ExternalGroupMember.objects.filter(group__connection__tenant=t).count(),
        sorted(ExternalItem.objects.filter(connection__tenant=t).values_list("item_id", "search_text")),
        ExternalAclEntry.objects.filter(item__connection__tenant=t).count(),
    )


def foreign_fields(away: TenantWorld) -> dict:
    """Every usual form field, filled with the other tenant's ids and names."""
    return {
        "member": away.user.user_principal_name,
        "user": away.user.user_principal_name,
        "principal": away.user.user_principal_name,
        "owner": away.owner.user_principal_name,
        "q": away.user.user_principal_name,
        "group": str(away.group.pk),
        "scope": away.group.mail_nickname,
        "role": str(away.role.pk),
        "request_ids": [str(away.join_request.pk)],
        "requests": [str(away.join_request.pk)],
        "decision": "approve",
        "id": str(away.group.pk),
        "sku": str(away.license.sku_id),
        "display_name": "Hijacked",
        "department": "Hijacked",
    }


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def goes_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def urls_for(route: Route, away: TenantWorld) -> list[str]:
    """The route filled with the other tenant's objects (every kind, for an unknown parameter)."""
    choices: list[dict] = [{}]
    for param in route.params:
        if param in OBJECT_PARAMS and isinstance(route.params[param], UUIDConverter):
            values = [away.objects()[OBJECT_PARAMS[param]].pk]
        elif param in OTHER_PARAMS:
            values = OTHER_PARAMS[param](away)
        else:
            values = [obj.pk for obj in away.objects().values()]
        choices = [{**c, param: v} for c in choices for v in values]
    return [
        "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m, c=c: str(c[m.group(1)]), route.pattern) for c in choices
    ]


class _Nowhere:
    """Ids that belong to no tenant."""

    def __getattr__(self, name):
        import uuid
        from types import SimpleNamespace

        return SimpleNamespace(pk=uuid.uuid4(), sku_id=uuid.uuid4())

    def objects(self) -> dict:
        kinds = (
            "group",
            "user",
            "role",
            "assignment",
            "join_request",
            "connection",
            "external_group",
            "external_item",
        )
        return {k: self.group for k in kinds}


NOWHERE = _Nowhere()
OBJECT_ROUTES = [r for r in ROUTES if classify(r) == "object" and not r.api]
PAGE_ROUTES = [r for r in ROUTES if classify(r) == "page" and not r.api]
API_ROUTES = [r for r in ROUTES if classify(r) in ("object", "page") and r.api]
NOT_IDS = {"cast", "template_id"}  # a type cast (microsoft.graph.user), a template every tenant shares


def names_objects(route: Route) -> bool:
    return bool(set(route.params) - NOT_IDS)


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=[r.id for r in OBJECT_ROUTES])
def test_it_answers_404_for_the_other_tenants_objects(client, worlds, route):
    problems = []
    for who in ACTORS:
        actor, away = actor_and_foreign(worlds, who)
        client.logout()
        if actor is not None:
            client.force_login(actor)
        before = state_of(away)
        nowhere = urls_for(route, NOWHERE)[0]
        for url in urls_for(route, away):
            for method in ("get", "post"):
                response = getattr(client, method)(url, foreign_fields(away) if method == "post" else None)
                status = response.status_code
                ok = status in (404, 405) or (actor is None and goes_to_login(response))
                if status == 403:
                    # Only a page closed to this person whatever the id: the same 403 for an id that
                    # exists nowhere, so it tells nothing about the other tenant's object.
                    ok = (
                        getattr(client, method)(
                            nowhere, foreign_fields(away) if method == "post" else None
                        ).status_code
                        == 403
                    )
                if not ok:
                    problems.append((who, method, url, status))
                leaked = [s for s in away.secrets if s in body_of(response)]
                if leaked:
                    problems.append((who, method, url, f"shows {leaked}"))
        if state_of(away) != before:
            problems.append((who, route.pattern, "changed the other tenant's data"))
    assert problems == [], problems


@pytest.mark.parametrize("route", PAGE_ROUTES, ids=[r.id for r in PAGE_ROUTES])
def test_it_never_shows_or_changes_the_other_tenants_data_on_a_page(client, worlds, route):
    url = reverse(route.name)
    problems = []
    for who in ACTORS:
        actor, away = actor_and_foreign(worlds, who)
        client.logout()
        if actor is not None:
            client.force_login(actor)
        before = state_of(away)
        fields = foreign_fields(away)
        query = {k: v for k, v in fields.items() if isinstance(v, str)}
        for method, data in (("get", None), ("get", query), ("post", fields)):
            response = getattr(client, method)(url, data)
            if response.status_code >= 500:
                problems.append((who, method, response.status_code))
            if actor is None and response.status_code not in (404, 405) and not goes_to_login(response):
                problems.append((who, method, "anonymous got", response.status_code))
            leaked = [s for s in away.secrets if s in body_of(response)]
            if leaked:
                problems.append((who, method, f"shows {leaked}"))
        if state_of(away) != before:
            problems.append((who, "changed the other tenant's data"))
    assert problems == [], problems


def test_it_reaches_its_own_tenants_objects(client, worlds):
    """The positive control: the same ids, from their own tenant's administrator, are found."""
    home, _ = worlds
    client.force_login(home.admin)
    for name, kwargs in [
        ("group_detail", {"group_id": home.group.pk}),
        ("user_detail", {"user_id": home.user.pk}),
        ("custom_role_edit", {"role_id": home.role.pk}),
    ]:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, name
    assert home.secrets[1] in body_of(client.get(reverse("group_detail", args=[home.group.pk])))


def test_it_keeps_the_special_routes_free_of_tenant_data(client, worlds):
    home, away = worlds
    assert client.get(reverse("healthz")).json() == {"status": "ok", "database": "ok"}
    client.force_login(home.admin)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not any(s in body_of(client.get(reverse("login"))) for s in away.secrets)
    assert AuditEvent.objects.filter(tenant=away.tenant, result="failure").count() == 0


# --- the JSON API: the same, with bearer tokens instead of sessions ---------------------------------


def api_client(actor):
    from django.test import Client

    from portal.tokens import api_token_create

    headers = {}
    if actor is not None:
        _, secret = api_token_create(tenant=actor.tenant, actor="tests", user=actor)
        headers["Authorization"] = f"Bearer {secret}"
    return Client(headers=headers)


def api_references(away: TenantWorld) -> dict:
    base = "https://graph.microsoft.com/v1.0/directoryObjects/"
    return {
        "@odata.id": f"{base}{away.user.pk}",
        "groupIds": [str(away.group.pk)],
        "displayName": "Hijacked",
        "mailNickname": "hijacked",
        "mailEnabled": False,
        "securityEnabled": True,
        "members@odata.bind": [f"{base}{away.user.pk}"],
        "owners@odata.bind": [f"{base}{away.owner.pk}"],
    }


@pytest.mark.parametrize("route", API_ROUTES, ids=[r.id for r in API_ROUTES])
def test_it_never_serves_the_other_tenants_objects_through_the_api(worlds, route):
    problems = []
    for who in ACTORS:
        actor, away = actor_and_foreign(worlds, who)
        client = api_client(actor)
        before = state_of(away)
        urls = urls_for(route, away) if route.params else ["/" + route.pattern]
        methods = ("get",) if actor is None else ("get", "post", "delete")  # anonymous: 401 before all
        for url in urls:
            for method in methods:
                response = (
                    getattr(client, method)(
                        url, json.dumps(api_references(away)), content_type="application/json"
                    )
                    if method != "get"
                    else client.get(url)
                )
                status = response.status_code
                if actor is None:
                    ok = status == 401
                elif names_objects(route):
                    ok = status in (400, 404, 405)  # never 200/204 nor 403 on another tenant's object
                else:
                    ok = status < 500
                if not ok:
                    problems.append((who, method, url, status))
                leaked = [s for s in away.secrets if s in body_of(response)]
                if leaked:
                    problems.append((who, method, url, f"shows {leaked}"))
        if state_of(away) != before:
            problems.append((who, route.pattern, "changed the other tenant's data"))
    assert problems == [], problems


# --- SCIM: an app token of one tenant never reaches the other's users and groups ------------------

SCIM_ROUTES = [r for r in ROUTES if classify(r) == "scim"]


def scim_body(away: TenantWorld) -> dict:
    """A body that would reach the other tenant's objects, were ids resolved outside the token's tenant."""
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": str(away.user.pk)}]}],
        "userName": f"hijack@{away.tenant.slug}.test",
        "displayName": "Hijacked",
        "members": [{"value": str(away.user.pk)}, {"value": str(away.group.pk)}],
        "filter": f'userName eq "{away.user.user_principal_name}"',
    }


@pytest.mark.parametrize("route", SCIM_ROUTES, ids=[r.name for r in SCIM_ROUTES])
def test_it_never_serves_the_other_tenants_objects_through_scim(worlds, route):
    from django.test import Client

    from portal.tokens import api_token_create

    home, away = worlds
    _, secret = api_token_create(tenant=home.tenant, actor="tests", app_name="IdP", role="userAdministrator")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    before = state_of(away)
    problems = []
    fill = {"type_id": ["User"], "schema_id": ["urn:ietf:params:scim:schemas:core:2.0:User"]}
    urls = ["/" + route.pattern]
    if route.params:
        urls = [
            "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=v: str(v), route.pattern)
            for name in route.params
            for v in fill.get(name) or OTHER_PARAMS[name](away)
        ]
    for url in urls:
        for method in ("get", "post", "put", "patch", "delete"):  # noqa: B007
            body = json.dumps(scim_body(away)) if method != "get" else ""
            response = client.generic(method.upper(), url, body, content_type="application/scim+json")
            names_theirs = route.params and not fill.get(next(iter(route.params)))
            if response.status_code >= 500 or (names_theirs and response.status_code < 400):
                problems.append((method, url, response.status_code))
            leaked = [s for s in away.secrets if s in body_of(response)]
            if leaked:
                problems.append((method, url, f"shows {leaked}"))
    assert state_of(away) == before, "changed the other tenant's data"
    assert problems == [], problems
