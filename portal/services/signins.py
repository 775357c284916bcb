"""Sign-in attempts recorded in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

from axes.models import AccessAttempt
from django.db import transaction

from portal.audit import audit_record, describe
from portal.models import (
    AuditEvent,
    Tenant,
    User,
)

# --- sign-ins -----------------------------------------------------------------------------------


class UnknownUser:
    """A userPrincipalName that matched no account: the audit log keeps its name (type "unknownUser")."""

    pk = ""

    def __init__(self, user_principal_name: str) -> None:
        self.user_principal_name = user_principal_name


def _tenant_and_user(upn: str, user: User | None, *, succeeded: bool) -> tuple[Tenant | None, User | None]:
    """The tenant a sign-in attempt belongs to: the user's, or (failures) the one that verified the domain."""
    if user is None:
        user = User.objects.filter(user_principal_name__iexact=upn).select_related("tenant").first()
    tenant = user.tenant if user is not None else None
    if tenant is None and not succeeded and "@" in upn:
        domain = upn.rsplit("@", 1)[1]
        tenant = Tenant.objects.filter(verified_domains__icontains=f'"{domain}"').first()
        tenant = tenant if tenant is not None and domain in tenant.verified_domains else None
    return tenant, user


def sign_in_record(
    *, upn: str, user: User | None, succeeded: bool, ip: str = "", user_agent: str = ""
) -> None:
    """Record a sign-in attempt in the tenant's audit log.

    Failures for a userPrincipalName of no tenant (no such user and no verified domain) are not recorded:
    an audit event needs a tenant, and such noise tells no tenant anything.
    """
    upn = upn.strip().lower()[:256]
    tenant, user = _tenant_and_user(upn, user, succeeded=succeeded)
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


def sign_in_throttled_record(*, upn: str, ip: str, until: datetime, user_agent: str = "") -> bool:
    """Record that sign-ins of this (userPrincipalName, address) pair are refused until ``until``.

    Once per refusal window, however many tries it refuses: the first refused try writes the event, the
    others find it (the window's end is its key) and write nothing. Concurrent tries of the same pair wait
    for each other on the pair's throttle rows. Returns whether an event was written.
    """
    upn = upn.strip().lower()[:256]
    tenant, user = _tenant_and_user(upn, None, succeeded=False)
    if tenant is None:
        return False
    who = user if user is not None else UnknownUser(upn)
    until_text = until.isoformat()
    with transaction.atomic():
        list(AccessAttempt.objects.select_for_update().filter(username=upn, ip_address=ip).values("pk"))
        already = AuditEvent.objects.filter(
            tenant=tenant,
            activity="Sign-in",
            target_name=describe(who)[2],
            after__ipAddress=ip,
            after__throttledUntil=until_text,
        ).exists()
        if already:
            return False
        audit_record(
            tenant=tenant,
            actor=who,
            activity="Sign-in",
            target=who,
            after={"ipAddress": ip, "userAgent": user_agent[:256], "throttledUntil": until_text},
            reason=(
                "Throttled: too many failed sign-ins in a row from this address. Sign-ins of this account "
                f"from it are refused until {until.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC; further refused tries in that "
                "time are not recorded one by one."
            ),
            result="failure",
            category="SignInLogs",
        )
    return True
