"""Two tabs redeem the same link at the same moment (PostgreSQL, real threads): exactly one succeeds."""

from __future__ import annotations

import time

import pytest

from access_requests.invitations.links import make_token
from access_requests.invitations.services import guest_invite, invitation_redeem
from portal.models import AuditEvent, User
from portal.services import guests
from tests.access_requests.test_races import _run_together
from tests.factories import TenantFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_redemptions_of_one_link_leave_one_password(monkeypatch):
    tenant = TenantFactory()
    admin = User.objects.select_related("tenant").get(
        pk=UserFactory(tenant=tenant, role="globalAdministrator").pk
    )
    invited = guest_invite(actor=admin, tenant=tenant, email="ada@fabrikam.example", send_email=False)
    token = make_token(invited.invitation)
    real = guests.audit_record

    def slow(**kwargs):
        time.sleep(0.3)  # hold the first redemption inside its transaction
        return real(**kwargs)

    monkeypatch.setattr(guests, "audit_record", slow)
    outcomes = _run_together(
        lambda: invitation_redeem(token=token, password="first-guest-passphrase-1"),
        lambda: invitation_redeem(token=token, password="second-guest-passphrase-2"),
    )
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
    assert AuditEvent.objects.filter(activity="Redeem external user invite").count() == 1
    guest = User.objects.get(pk=invited.user.pk)
    winner = next(i for i, (kind, _) in enumerate(outcomes) if kind == "ok")
    assert guest.check_password(["first-guest-passphrase-1", "second-guest-passphrase-2"][winner])
