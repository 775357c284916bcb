"""API tokens: made by ``manage.py create_api_token``, looked up on every API request, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
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


def api_token_find(secret: str) -> ApiToken | None:
    """The live token with this secret, with everything an API request needs, in one query."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("tenant__group_settings", "user", "service_principal")
        .filter(token_hash=token_digest(secret), revoked_date_time__isnull=True)
        .first()
    )
    if token is None:
        return None
    # The actor's tenant is the token's (authenticate refuses a user of another tenant): loaded once,
    # not joined three times. The nine-table join cost 2-7 ms of planning and as much of Django's SQL
    # compiling on every API request, a third of the time of a page of 100 groups.
    for actor in (token.user, token.service_principal):
        if actor is not None and actor.tenant_id == token.tenant_id:
            actor.tenant = token.tenant
    now = timezone.now()
    if token.last_used_date_time is None or now - token.last_used_date_time > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_date_time=now)
        token.last_used_date_time = now
    return token
