"""Reads of the connection pages: scoped getters, overviews with counts, names for the nodes of paths,
and what a page's text boxes name (a person, a group)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from groups.connections.access import (
    EVERYONE,
    EVERYONE_EXCEPT_GUESTS,
    Node,
    external_node,
    group_node,
    user_node,
)
from groups.connections.authz import READ
from groups.connections.models import ExternalConnection, ExternalGroup, ExternalItem
from groups.connections.selectors import connections_for, external_groups
from groups.connections.validation import MemberRef
from groups.models import Group
from portal.authz import authorize
from portal.errors import Invalid, NotFound
from portal.models import User


def node_names(tenant: Any, nodes: Iterable[Node]) -> dict[Node, str]:
    """A readable name for each node of some paths (three queries at most)."""
    nodes = set(nodes)
    names: dict[Node, str] = {EVERYONE: "Everyone", EVERYONE_EXCEPT_GUESTS: "Everyone except guests"}
    users = [n[1] for n in nodes if n[0] == "user"]
    groups = [n[1] for n in nodes if n[0] == "group"]
    external = [n for n in nodes if n[0] == "externalGroup"]
    if users:
        for u in (
            User.objects.for_tenant(tenant).filter(pk__in=users).only("display_name", "user_principal_name")
        ):
            names[user_node(u.pk)] = u.display_name or u.user_principal_name
    if groups:
        for g in (
            Group.objects.for_tenant(tenant).filter(pk__in=groups).only("display_name", "deleted_date_time")
        ):
            names[group_node(g.pk)] = g.display_name + (" (deleted)" if g.deleted_date_time else "")
    if external:
        query = Q()
        for _, conn, gid in external:
            query |= Q(connection_id=conn, group_id=gid)
        for g in ExternalGroup.objects.filter(connection__tenant=tenant).filter(query):
            names[external_node(str(g.connection_id), g.group_id)] = g.display_name or g.group_id
    for node in nodes:
        names.setdefault(
            node, f"{node[-1]} (not found)" if node[0] != "externalGroup" else f"{node[-1]} (not created yet)"
        )
    return names


def connection_page_for(actor: Any, connection_pk: Any, action: str = READ) -> ExternalConnection:
    """The one way a page reaches a connection: the actor's tenant (404 otherwise), then authorized."""
    found = ExternalConnection.objects.for_tenant(actor.tenant).select_related("tenant")
    connection = get_object_or_404(found, pk=connection_pk)
    authorize(actor, action, connection)
    return connection


def connections_overview(actor: Any) -> QuerySet[ExternalConnection]:
    """The tenant's connections with their numbers of external groups and items (one query)."""
    groups = ExternalGroup.objects.filter(connection=OuterRef("pk")).order_by().values("connection")
    counted = groups.annotate(n=Count("*")).values("n")
    items_ = ExternalItem.objects.filter(connection=OuterRef("pk")).order_by().values("connection")
    return connections_for(actor).annotate(
        group_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0),
        item_count=Coalesce(
            Subquery(items_.annotate(n=Count("*")).values("n"), output_field=IntegerField()), 0
        ),
    )


def groups_overview(connection: ExternalConnection) -> QuerySet[ExternalGroup]:
    return external_groups(connection).annotate(member_count=Count("members"))


def find_user(tenant: Any, text: str) -> User | None:
    """A user of ``tenant`` by userPrincipalName or object id (deleted and disabled ones too)."""
    text = text.strip()
    query = Q(user_principal_name__iexact=text[:256])
    with contextlib.suppress(ValueError):
        query |= Q(pk=uuid.UUID(text))
    return User.objects.for_tenant(tenant).filter(query).first()


def resolve_member(connection: ExternalConnection, kind: str, text: str) -> MemberRef:
    """What a page's "Who" box names, as the services' member reference (NotFound if nothing)."""
    text = text.strip()
    if kind == "externalGroup":
        return MemberRef(kind, text)
    if kind == "user":
        found = find_user(connection.tenant, text)
    else:
        query = Q(display_name__iexact=text[:256]) | Q(mail_nickname__iexact=text[:64])
        with contextlib.suppress(ValueError):
            query |= Q(pk=uuid.UUID(text))
        matches = list(Group.objects.for_tenant(connection.tenant).alive().filter(query)[:2])
        if len(matches) > 1:
            raise Invalid(f"Several groups are called '{text}': give the group's id.", field="value")
        found = matches[0] if matches else None
    if found is None:
        raise NotFound(
            f"No {'person' if kind == 'user' else 'group'} '{text[:100]}' in this organization.",
            field="value",
        )
    return MemberRef(kind, str(found.pk))
