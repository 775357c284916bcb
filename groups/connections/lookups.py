"""Reads of the connection pages: scoped getters, overviews with counts, names for the nodes of paths,
and what a page's text boxes name (a person, a group)."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from groups.connections.access import (
    Node,
    Verdict,
)
from groups.connections.authz import READ
from groups.connections.models import ExternalConnection, ExternalGroup, ExternalItem
from groups.connections.selectors import Audience, connections_for, external_groups, node_names  # noqa: F401
from groups.connections.validation import MemberRef
from groups.models import Group
from portal.authz import authorize
from portal.errors import Invalid, NotFound
from portal.models import User


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


@dataclass(frozen=True)
class Explained:
    """A verdict in words: the names along the path that grants, and along the deny that removes."""

    allowed: bool
    grant: list[str]
    deny: list[str]
    grant_entry: Any
    deny_entry: Any


def explain(verdict: Verdict, names: dict[Node, str]) -> Explained:
    return Explained(
        verdict.allowed,
        [names[n] for n in verdict.grant_path],
        [names[n] for n in verdict.deny_path],
        verdict.grant,
        verdict.deny,
    )


def audience_rows(audience: Audience, names: dict[Node, str]) -> list[tuple[User, Explained]]:
    """ "Who can see this?" as rows (person, explanation): those who see it first, then those a deny
    removes, each by name."""
    rows = [
        (audience.people[pid], explain(v, names))
        for pid, v in audience.verdicts.items()
        if pid in audience.people
    ]
    return sorted(
        rows, key=lambda r: (not r[1].allowed, (r[0].display_name or "").lower(), r[0].user_principal_name)
    )
