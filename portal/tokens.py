"""API tokens: made by ``manage.py create_api_token``, looked up on every API request, revocable."""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import timedelta
from typing import Any

from django.db import connections, router, transaction
from django.db.models.query import get_related_populators
from django.utils import timezone

from portal import roles
from portal.audit import audit_record
from portal.errors import Invalid
from portal.models import ApiToken, ServicePrincipal, Tenant, User

TOKEN_PREFIX = "gd_"
# last_used_date_time is a hint, not a log: write it at most this often, not on every call.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def token_digest(secret: str) -> str:
    # The secret is 256 random bits: a fast hash is enough (nothing to brute-force).
    return hashlib.sha256(secret.encode()).hexdigest()


def role_key(name: str) -> str:
    """A built-in role's key from its key or display name, in any case; Invalid if there is none."""
    wanted = name.strip().lower()
    for key, role in roles.BUILTIN_ROLES.items():
        if wanted in (key.lower(), role.display_name.lower()):
            return key
    choices = ", ".join(roles.BUILTIN_ROLES)
    raise Invalid(f"Unknown role {name!r}: choose one of {choices}.")


@transaction.atomic
def api_token_create(
    *,
    tenant: Tenant,
    actor: Any,
    user: User | None = None,
    app_name: str | None = None,
    role: str | None = None,
    name: str = "",
) -> tuple[ApiToken, str]:
    """Make a token acting as ``user``, or as the app ``app_name`` (its service principal, made if
    missing) holding the built-in ``role``. Returns the token and its secret (shown once)."""
    if (user is None) == (app_name is None):
        raise Invalid("A token acts as a user or as an app: give exactly one.")
    service_principal = None
    role_key_ = ""
    if user is not None:
        if user.tenant_id != tenant.id:
            raise Invalid(f"{user.user_principal_name} isn't a user of {tenant.slug}.")
        if role:
            raise Invalid("A user token has the user's own rights: give no role.")
    else:
        if not app_name or not app_name.strip():
            raise Invalid("The app needs a name.")
        if not role:
            raise Invalid("An app token needs a role.")
        role_key_ = role_key(role)
        service_principal = (
            ServicePrincipal.objects.for_tenant(tenant).filter(display_name=app_name.strip()).first()
        )
        if service_principal is None:
            service_principal = ServicePrincipal.objects.create(tenant=tenant, display_name=app_name.strip())
            audit_record(
                tenant=tenant,
                actor=actor,
                activity="Add service principal",
                target=service_principal,
                category="ApplicationManagement",
            )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        tenant=tenant,
        name=name or (user.user_principal_name if user else app_name.strip()),
        token_hash=token_digest(secret),
        prefix=secret[:10],
        user=user,
        service_principal=service_principal,
        role=role_key_,
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        activity="Add API token",
        target=user or service_principal,
        after={"token": str(token.id), "prefix": token.prefix, "role": role_key_ or None},
        category="ApplicationManagement",
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Any) -> ApiToken:
    """Refuse the token from the very next request on."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.is_revoked:
        return token
    token.revoked_date_time = timezone.now()
    token.save(update_fields=["revoked_date_time"])
    audit_record(
        tenant=token.tenant,
        actor=actor,
        activity="Revoke API token",
        target=token.user or token.service_principal,
        before={"token": str(token.id), "prefix": token.prefix},
        category="ApplicationManagement",
    )
    return token


class _TokenQuery:
    """The token lookup of every API request, compiled once per database connection.

    Building the SQL of a select_related query costs Django several milliseconds of Python (the
    compiler walks every column of the five joined tables each time), far more than running it: with a
    bearer token on every API call, that was most of what a small request cost. The SQL, its
    converters and the row layout don't change between requests, only the digest does, so they are
    kept beside the connection they were compiled for (connections are per thread) and the rows are
    turned into objects by Django's own populators, exactly as the queryset would.
    """

    def __init__(self, connection: Any) -> None:
        queryset = (
            ApiToken.objects.select_related("tenant__group_settings", "user", "service_principal")
            .filter(token_hash="", revoked_date_time__isnull=True)
            .order_by()  # token_hash is unique: no ordering to compile or run
        )
        compiler = queryset.query.get_compiler(connection=connection)
        self.sql, params = compiler.as_sql()
        if list(params) != [""]:  # the digest must be the one parameter, or the cache would be wrong
            raise AssertionError(f"Unexpected parameters in the token query: {params!r}")
        self.connection = connection
        self.compiler = compiler
        self.select, self.klass_info = compiler.select, compiler.klass_info
        self.converters = compiler.get_converters([column[0] for column in self.select[: compiler.col_count]])
        fields = self.klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in self.select[self.start : self.end]]

    def run(self, digest: str) -> ApiToken | None:
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, [digest])
            rows = cursor.fetchmany(1)
        if not rows:
            return None
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        row = rows[0]
        alias = self.connection.alias
        token = ApiToken.from_db(alias, self.init_list, row[self.start : self.end])
        for populator in get_related_populators(self.klass_info, self.select, alias):
            populator.populate(row, token)
        return token


_token_queries = threading.local()


def _token_query() -> _TokenQuery:
    connection = connections[router.db_for_read(ApiToken)]
    query = getattr(_token_queries, connection.alias, None)
    if query is None or query.connection is not connection:
        query = _TokenQuery(connection)
        setattr(_token_queries, connection.alias, query)
    return query


def api_token_find(secret: str) -> ApiToken | None:
    """The live token with this secret, with everything an API request needs, in one query."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = _token_query().run(token_digest(secret))
    if token is None:
        return None
    # The actor's tenant is the token's (authentication refuses any other): share the one loaded with
    # its settings rather than join the tenant and its settings twice more.
    for principal in (token.user, token.service_principal):
        if principal is not None and principal.tenant_id == token.tenant_id:
            principal.tenant = token.tenant
    now = timezone.now()
    if token.last_used_date_time is None or now - token.last_used_date_time > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_date_time=now)
        token.last_used_date_time = now
    return token
