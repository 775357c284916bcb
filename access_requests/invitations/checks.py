"""``check_consistency``'s guest checker: the invitation rows and the guests' ``externalUserState``
tell the same story (a pending invited guest has an open invitation; a redeemed one is Accepted)."""

from __future__ import annotations

from collections.abc import Iterator

from access_requests.models import Invitation
from portal.models import CreationType, ExternalUserState, Tenant, User


def guest_invitations_check(tenant: Tenant) -> Iterator[str]:
    pending = User.objects.for_tenant(tenant).filter(
        creation_type=CreationType.INVITATION,
        external_user_state=ExternalUserState.PENDING_ACCEPTANCE,
        deleted_date_time__isnull=True,
    )
    for upn in pending.exclude(invitations__isnull=False).values_list("user_principal_name", flat=True):
        yield f"{upn} waits for an invitation that doesn't exist"
    invitations = Invitation.objects.for_tenant(tenant).select_related("invited_user")
    redeemed_pending = invitations.filter(
        redeemed_date_time__isnull=False,
        invited_user__external_user_state=ExternalUserState.PENDING_ACCEPTANCE,
    )
    for invitation in redeemed_pending:
        yield f"{invitation.invited_user.user_principal_name} redeemed their invitation but is still pending"
    accepted_open = invitations.filter(
        redeemed_date_time__isnull=True,
        revoked_date_time__isnull=True,
        invited_user__external_user_state=ExternalUserState.ACCEPTED,
    )
    for invitation in accepted_open:
        yield f"{invitation.invited_user.user_principal_name} is Accepted but their invitation is still open"
