"""Sign-in attempts recorded in the audit log."""

from __future__ import annotations

from portal.audit import audit_record
from portal.models import (
    Tenant,
    User,
)

# --- sign-ins -----------------------------------------------------------------------------------


class UnknownUser:
    """A userPrincipalName that matched no account: the audit log keeps its name (type "unknownUser")."""

    pk = ""

    def __init__(self, user_principal_name: str) -> None:
        self.user_principal_name = user_principal_name


def sign_in_record(
    *, upn: str, user: User | None, succeeded: bool, ip: str = "", user_agent: str = ""
) -> None:
    """Record a sign-in attempt in the tenant's audit log.

    Failures for a userPrincipalName of no tenant (no such user and no verified domain) are not recorded:
    an audit event needs a tenant, and such noise tells no tenant anything.
    """
    upn = upn.strip().lower()[:256]
    if user is None:
        user = User.objects.filter(user_principal_name__iexact=upn).select_related("tenant").first()
    tenant = user.tenant if user is not None else None
    if tenant is None and not succeeded and "@" in upn:
        domain = upn.rsplit("@", 1)[1]
        tenant = Tenant.objects.filter(verified_domains__icontains=f'"{domain}"').first()
        tenant = tenant if tenant is not None and domain in tenant.verified_domains else None
    if tenant is None:
        return
    if succeeded:
        reason = ""
    elif user is None:
        reason = "No account with this userPrincipalName."
    elif not user.is_active:
        reason = "The account is disabled or deleted."
    else:
        reason = "Wrong password."
    audit_record(
        tenant=tenant,
        actor=user if user is not None else UnknownUser(upn),
        activity="Sign-in",
        target=user if user is not None else UnknownUser(upn),
        after={"ipAddress": ip, "userAgent": user_agent[:256]},
        reason=reason,
        result="success" if succeeded else "failure",
        category="SignInLogs",
    )
