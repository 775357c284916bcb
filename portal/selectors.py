"""Tenant-scoped reads of the portal: users, the audit log, the directory typeahead.

Feature apps add the user page's sections (``register_user_section``) and their kinds of directory
object (``register_directory_kind``) from their ``AppConfig.ready()``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from portal.filters import AuditEventFilter, UserFilter
from portal.models import AuditEvent, Device, ServicePrincipal, Tenant, User

TYPEAHEAD_LIMIT = 10
USER_LIST_FIELDS = (
    "id",
    "tenant_id",
    "display_name",
    "user_principal_name",
    "department",
    "country",
    "user_type",
    "source",
    "account_enabled",
    "deleted_date_time",
)


def users_filtered(tenant: Tenant, params) -> UserFilter:
    # The list shows a handful of columns: sorting narrow rows is several times faster than whole users.
    queryset = (
        User.objects.for_tenant(tenant)
        .only(*USER_LIST_FIELDS)
        .order_by("display_name", "user_principal_name")
    )
    return UserFilter(params, queryset=queryset)


# The distinct values of one column, read as a skip scan of its (tenant, column) index: each step
# asks the index for the next value above the last (a few probes per value, not a pass over every
# user: the facets of 100,000 people with 8 departments cost 9 index probes).
_FACET_SQL = """
WITH RECURSIVE facet(value) AS (
    SELECT (SELECT MIN({column}) FROM portal_user
            WHERE tenant_id = %s AND {column} > '' AND deleted_date_time IS NULL)
    UNION ALL
    SELECT (SELECT MIN({column}) FROM portal_user
            WHERE tenant_id = %s AND {column} > facet.value AND deleted_date_time IS NULL)
    FROM facet WHERE facet.value IS NOT NULL
)
SELECT value FROM facet WHERE value IS NOT NULL ORDER BY value LIMIT 500
"""
FACETS = {"department": "department", "country": "country"}  # facet name → indexed column


def user_facets(tenant: Tenant, names: tuple[str, ...] = ("department", "country")) -> dict[str, list[str]]:
    """The departments and countries in use, for the filter's suggestions (one query each)."""
    tenant_id = Tenant._meta.pk.get_db_prep_value(tenant.pk, connection)
    facets = {}
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(_FACET_SQL.format(column=FACETS[name]), [tenant_id, tenant_id])
            facets[name] = [row[0] for row in cursor.fetchall()]
    return facets


# The basic profile as the user page shows it to people without a role: (Graph property, label, field).
PROFILE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("userPrincipalName", "User principal name", "user_principal_name"),
    ("userType", "User type", "user_type"),
    ("givenName", "First name", "given_name"),
    ("surname", "Last name", "surname"),
    ("mail", "Email", "mail"),
    ("jobTitle", "Job title", "job_title"),
    ("department", "Department", "department"),
    ("officeLocation", "Office location", "office_location"),
)


def user_profile(user: User, readable) -> list[tuple[str, Any]]:
    """(label, value) of the basic properties ``readable`` (a ``UserReadAccess``) lets through."""
    return [(label, getattr(user, field)) for prop, label, field in PROFILE_ROWS if prop in readable]


def user_for(tenant: Tenant, user_id, *, include_deleted: bool = True) -> QuerySet[User]:
    queryset = User.objects.for_tenant(tenant).select_related("manager", "invited_by")
    if not include_deleted:
        queryset = queryset.filter(deleted_date_time__isnull=True)
    return queryset.filter(pk=user_id)


def users_search(
    tenant: Tenant, text: str, *, limit: int = TYPEAHEAD_LIMIT, include_guests: bool = True
) -> list[User]:
    """The typeahead: enabled, not deleted users whose name, UPN or mail starts with or contains ``text``."""
    text = text.strip()
    if not text:
        return []
    queryset = User.objects.for_tenant(tenant).filter(account_enabled=True, deleted_date_time__isnull=True)
    if not include_guests:
        queryset = queryset.exclude(user_type="Guest")
    return list(
        queryset.filter(
            Q(display_name__icontains=text) | Q(user_principal_name__icontains=text) | Q(mail__icontains=text)
        ).order_by("display_name")[:limit]
    )


# --- what feature apps add to a user's page (from their AppConfig.ready()) -----------------------

# name in the user page's template → reader(user), e.g. "groups": the groups they are in.
_USER_SECTIONS: dict[str, Callable[[User], Any]] = {}


def register_user_section(name: str, reader: Callable[[User], Any]) -> None:
    _USER_SECTIONS[name] = reader


def user_sections(user: User) -> dict[str, Any]:
    """What the feature apps show on a user's page, by name (querysets stay lazy)."""
    return {name: reader(user) for name, reader in _USER_SECTIONS.items()}


# --- audit --------------------------------------------------------------------------------------


def audit_events(tenant: Tenant, params) -> AuditEventFilter:
    """The tenant's events filtered by ``params``; ``.activities`` lists the activities present."""
    return AuditEventFilter(
        params, queryset=AuditEvent.objects.for_tenant(tenant), activities=audit_activities(tenant)
    )


def audit_activities(tenant: Tenant) -> list[str]:
    """The distinct activities of the tenant's log, alphabetical.

    A plain ``SELECT DISTINCT`` reads every event of the tenant; this skips along the (tenant, activity)
    index instead, one probe per distinct activity (a few dozen), whatever the size of the log.
    """
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    tenant_id = AuditEvent._meta.get_field("tenant").get_db_prep_value(tenant.pk, connection)
    sql = f"""
        WITH RECURSIVE present(activity) AS (
            SELECT MIN(activity) FROM {table} WHERE tenant_id = %s
            UNION ALL
            SELECT (SELECT MIN(activity) FROM {table} WHERE tenant_id = %s AND activity > present.activity)
            FROM present WHERE present.activity IS NOT NULL
        )
        SELECT activity FROM present WHERE activity IS NOT NULL"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant_id, tenant_id])
        return sorted((row[0] for row in cursor.fetchall()), key=str.casefold)


@dataclass
class DiffRow:
    key: str
    before: str
    after: str
    changed: bool

    @property
    def value(self) -> str:
        """What a row that didn't change shows: the one value (set, kept or removed)."""
        return self.after or self.before


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def audit_diff(event: AuditEvent) -> list[DiffRow]:
    """Before and after side by side, one row per property, changed ones marked."""
    before = (
        event.before
        if isinstance(event.before, dict)
        else ({} if event.before is None else {"value": event.before})
    )
    after = (
        event.after
        if isinstance(event.after, dict)
        else ({} if event.after is None else {"value": event.after})
    )
    keys = list(dict.fromkeys([*before, *after]))
    return [
        DiffRow(
            key=key,
            before=_show(before.get(key)) if key in before else "",
            after=_show(after.get(key)) if key in after else "",
            changed=before.get(key) != after.get(key) and key in before and key in after,
        )
        for key in keys
    ]


# --- typeahead over directory objects ------------------------------------------------------------


@dataclass
class DirectoryHit:
    kind: str  # user, group, device, servicePrincipal
    id: Any
    name: str
    detail: str
    obj: Any = field(default=None, repr=False, compare=False)  # the object itself, when loaded

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


KIND_LABELS = {"user": "User", "group": "Group", "device": "Device", "servicePrincipal": "Service principal"}
KIND_NOUNS = {"user": "user", "group": "group", "device": "device", "servicePrincipal": "app"}


def kinds_phrase(kinds: tuple[str, ...]) -> str:
    """``("user", "group", "device")`` → "user, group or device", for sentences such as "No … matches"."""
    words = [KIND_NOUNS[k] for k in kinds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


# (tenant, lowered names, object ids) → (the lowered names the object answers to, its hit), per object.
ExactFinder = Callable[[Tenant, list[str], list[uuid.UUID]], list[tuple[set[str], DirectoryHit]]]


@dataclass(frozen=True)
class DirectoryKind:
    objects: Callable[[Tenant], QuerySet]  # the live objects of the kind a value may name
    search: Callable[[Tenant, str, int], list[DirectoryHit]]  # (tenant, text, limit) → hits
    exact: ExactFinder | None = None  # the objects whose name, alias, UPN, mail or id is one of these


# Kinds in KIND_LABELS' order; "group" is added by the groups app (groups.selectors.register).
_DIRECTORY_KINDS: dict[str, DirectoryKind] = {}


def register_directory_kind(kind: str, *, objects, search, exact: ExactFinder | None = None) -> None:
    _DIRECTORY_KINDS[kind] = DirectoryKind(objects, search, exact)


def directory_search(
    tenant: Tenant, text: str, kinds: tuple[str, ...] = ("user",), *, limit: int = TYPEAHEAD_LIMIT
) -> list[DirectoryHit]:
    """Objects of the tenant matching ``text``, at most ``limit`` of each kind asked for."""
    text = text.strip()[:100]
    if not text:
        return []
    return [
        hit
        for kind in KIND_LABELS
        if kind in kinds and kind in _DIRECTORY_KINDS
        for hit in _DIRECTORY_KINDS[kind].search(tenant, text, limit)
    ]


def directory_resolve(
    tenant: Tenant, entries: list[str], kinds: tuple[str, ...] = ("user",)
) -> dict[str, list[DirectoryHit]]:
    """What each entry names exactly, any case: a display name, userPrincipalName, mail, group alias or
    object id → the objects of ``kinds`` it names (none, one, or several sharing a name).

    One query per kind, however many entries (the create form resolves up to 500 at once).
    """
    keys = {entry.strip().lower() for entry in entries if entry.strip()}
    aliases: dict[str, str] = {}  # what an object answers to (lowered) → the key typed
    ids = []
    for key in keys:
        aliases[key] = key
        try:
            pk = uuid.UUID(key)
        except ValueError:
            continue
        ids.append(pk)
        aliases[str(pk)] = key  # an object id, in any of its spellings
    by_key: dict[str, list[DirectoryHit]] = {key: [] for key in keys}
    for kind in KIND_LABELS:
        finder = _DIRECTORY_KINDS[kind].exact if kind in kinds and kind in _DIRECTORY_KINDS else None
        for answers_to, hit in finder(tenant, sorted(keys), ids) if finder else []:
            for key in {aliases[a.lower()] for a in answers_to if a and a.lower() in aliases}:
                by_key[key].append(hit)
    return {entry: by_key.get(entry.strip().lower(), []) for entry in entries}


def _user_hit(user: User) -> DirectoryHit:
    detail = user.user_principal_name + (" · Guest" if user.is_guest else "")
    return DirectoryHit("user", user.pk, user.display_name, detail, user)


def _user_hits(tenant: Tenant, text: str, limit: int) -> list[DirectoryHit]:
    return [_user_hit(u) for u in users_search(tenant, text, limit=limit)]


def _user_exact(tenant: Tenant, names: list[str], ids: list[uuid.UUID]):
    users = (
        User.objects.for_tenant(tenant)
        .filter(account_enabled=True, deleted_date_time__isnull=True)
        .annotate(
            name_key=Lower("display_name"), upn_key=Lower("user_principal_name"), mail_key=Lower("mail")
        )
        .filter(Q(upn_key__in=names) | Q(mail_key__in=names) | Q(name_key__in=names) | Q(pk__in=ids))
        .order_by("display_name", "user_principal_name")
    )
    return [({u.display_name, u.user_principal_name, u.mail, str(u.pk)}, _user_hit(u)) for u in users]


def _device_hit(device: Device) -> DirectoryHit:
    return DirectoryHit("device", device.pk, device.display_name, device.operating_system or "Device", device)


def _device_hits(tenant: Tenant, text: str, limit: int) -> list[DirectoryHit]:
    devices = Device.objects.for_tenant(tenant).filter(display_name__icontains=text).order_by("display_name")
    return [_device_hit(d) for d in devices[:limit]]


def _service_principal_hit(sp: ServicePrincipal) -> DirectoryHit:
    return DirectoryHit("servicePrincipal", sp.pk, sp.display_name, "Service principal", sp)


def _service_principal_hits(tenant: Tenant, text: str, limit: int) -> list[DirectoryHit]:
    sps = (
        ServicePrincipal.objects.for_tenant(tenant)
        .filter(display_name__icontains=text)
        .order_by("display_name")
    )
    return [_service_principal_hit(s) for s in sps[:limit]]


def _named_exact(model, hit: Callable[[Any], DirectoryHit]) -> ExactFinder:
    """Devices and service principals answer to their display name and object id."""

    def exact(tenant: Tenant, names: list[str], ids: list[uuid.UUID]):
        objects = (
            model.objects.for_tenant(tenant)
            .annotate(name_key=Lower("display_name"))
            .filter(Q(name_key__in=names) | Q(pk__in=ids))
            .order_by("display_name")
        )
        return [({o.display_name, str(o.pk)}, hit(o)) for o in objects]

    return exact


register_directory_kind(
    "user",
    objects=lambda tenant: User.objects.for_tenant(tenant).filter(deleted_date_time__isnull=True),
    search=_user_hits,
    exact=_user_exact,
)
register_directory_kind(
    "device",
    objects=lambda tenant: Device.objects.for_tenant(tenant),
    search=_device_hits,
    exact=_named_exact(Device, _device_hit),
)
register_directory_kind(
    "servicePrincipal",
    objects=lambda tenant: ServicePrincipal.objects.for_tenant(tenant),
    search=_service_principal_hits,
    exact=_named_exact(ServicePrincipal, _service_principal_hit),
)


def directory_object(tenant: Tenant, value: str):
    """The object named by a typeahead value ``kind:id`` (or a bare userPrincipalName), or None."""
    value = (value or "").strip()
    if ":" not in value:
        if "@" in value:
            return (
                User.objects.for_tenant(tenant)
                .filter(user_principal_name__iexact=value, deleted_date_time__isnull=True)
                .first()
            )
        return None
    kind, _, raw_id = value.partition(":")
    try:
        pk = uuid.UUID(raw_id)
    except ValueError:
        return None
    if kind not in _DIRECTORY_KINDS:
        return None
    return _DIRECTORY_KINDS[kind].objects(tenant).filter(pk=pk).first()
