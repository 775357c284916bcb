"""Issue 16: the guests page, inactive guests on a fixed clock with bulk disable and remove, the automatic
removal of a guest who left their last group, the guest count of group pages, bulk invites from CSV."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access_requests import selectors as access_selectors
from access_requests.invitations.selectors import inactive_guests
from groups.models import GroupKind, Membership
from groups.services.membership import member_remove
from portal.models import AuditEvent, GuestUserRole, TenantGroupSettings, User
from portal.services import user_delete
from portal.services.guests import REMOVE_WITHOUT_GROUPS_ACTIVITY
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def _set(tenant, **values) -> None:
    TenantGroupSettings.objects.filter(tenant=tenant).update(**values)


def _fresh(user):
    return User.objects.select_related("tenant", "tenant__group_settings").get(pk=user.pk)


def _guest(tenant, name, *, last_login=None, created_days_ago=365, **kwargs):
    return UserFactory(
        tenant=tenant,
        user_type="Guest",
        display_name=name,
        last_login=last_login,
        created_date_time=NOW - timedelta(days=created_days_ago),
        **kwargs,
    )


@pytest.fixture
def guests(tenant):
    return {
        "idle": _guest(tenant, "Idle Ines", last_login=NOW - timedelta(days=91)),
        "recent": _guest(tenant, "Recent Rui", last_login=NOW - timedelta(days=89)),
        "never_old": _guest(tenant, "Never Nils", created_days_ago=120),
        "never_new": _guest(tenant, "New Nora", created_days_ago=5),
        "disabled": _guest(tenant, "Off Otto", last_login=NOW - timedelta(days=200), account_enabled=False),
    }


def test_it_finds_guests_idle_for_the_tenants_number_of_days_on_a_fixed_clock(tenant, guests, member):
    member.last_login = NOW - timedelta(days=400)
    member.save()
    found = set(
        inactive_guests(tenant, cutoff=NOW - timedelta(days=90)).values_list("display_name", flat=True)
    )
    assert found == {"Idle Ines", "Never Nils"}
    found_30 = inactive_guests(tenant, cutoff=NOW - timedelta(days=30))
    assert set(found_30.values_list("display_name", flat=True)) == {"Idle Ines", "Never Nils", "Recent Rui"}


def test_the_inactive_page_uses_the_tenant_setting_and_disables_in_bulk(client, tenant, admin_user, guests):
    group = GroupFactory(tenant=tenant, members=[guests["idle"]])
    client.force_login(admin_user)
    page = client.get(reverse("guests_inactive")).content.decode()
    assert "Idle Ines" in page and "Never Nils" in page and "Recent Rui" not in page and "90 days" in page
    response = client.post(
        reverse("guests_inactive"),
        {"action": "disable", "guests": [guests["idle"].pk, guests["recent"].pk]},
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=guests["idle"].pk).account_enabled
    assert User.objects.get(pk=guests["recent"].pk).account_enabled  # not inactive: left alone
    assert not Membership.objects.filter(group=group, member_user=guests["idle"]).exists()
    _set(tenant, guest_inactive_days=30)
    assert "Recent Rui" in client.get(reverse("guests_inactive")).content.decode()


def test_the_inactive_page_removes_in_bulk(client, tenant, admin_user, guests):
    client.force_login(admin_user)
    client.post(reverse("guests_inactive"), {"action": "remove", "guests": [guests["never_old"].pk]})
    assert User.objects.get(pk=guests["never_old"].pk).deleted_date_time is not None
    assert AuditEvent.objects.filter(activity="Delete user", target_id=str(guests["never_old"].pk)).exists()


def test_the_guest_pages_are_for_administrators(client, tenant, member):
    client.force_login(member)
    assert client.get(reverse("guests_inactive")).status_code == 403
    assert client.get(reverse("user_list") + "?type=guest").status_code == 403


def test_the_guest_list_shows_inviter_state_sign_in_and_groups_in_constant_queries(
    client, tenant, admin_user
):
    client.force_login(admin_user)
    group = GroupFactory(tenant=tenant, display_name="Partner Project")
    _guest(tenant, "Gil Guest", invited_by=admin_user, external_user_state="PendingAcceptance")
    client.get(reverse("user_list") + "?type=guest")  # warm the session and settings
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("user_list") + "?type=guest").content.decode()
    assert "Gil Guest" in page and admin_user.display_name in page and "Pending acceptance" in page
    for i in range(6):
        _guest(tenant, f"More {i}", last_login=NOW, invited_by=admin_user)
    Membership.objects.create(group=group, member_user=User.objects.get(display_name="More 1"))
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("user_list") + "?type=guest").content.decode()
    assert "Partner Project" in page
    assert len(many.captured_queries) == len(few.captured_queries)
    pending = client.get(reverse("user_list") + "?type=guest&state=pending").content.decode()
    assert "Gil Guest" in pending and "More 1" not in pending


def test_it_removes_a_guest_removed_from_their_last_group_when_the_tenant_says_so(tenant, admin_user):
    _set(tenant, remove_guests_without_groups=True)
    guest = _guest(tenant, "Gil Guest")
    one, two = GroupFactory(tenant=tenant, members=[guest]), GroupFactory(tenant=tenant, members=[guest])
    member_remove(actor=_fresh(admin_user), group=one, member=guest)
    assert User.objects.get(pk=guest.pk).deleted_date_time is None  # still in a group
    member_remove(actor=_fresh(admin_user), group=two, member=_fresh(guest))
    assert User.objects.get(pk=guest.pk).deleted_date_time is not None
    event = AuditEvent.objects.get(activity=REMOVE_WITHOUT_GROUPS_ACTIVITY)
    assert event.actor_type == "system" and event.target_id == str(guest.pk) and "last group" in event.reason


def test_it_keeps_guests_without_groups_by_default_and_never_touches_members(tenant, admin_user, member):
    guest = _guest(tenant, "Gil Guest")
    group = GroupFactory(tenant=tenant, members=[guest, member])
    member_remove(actor=_fresh(admin_user), group=group, member=guest)
    assert User.objects.get(pk=guest.pk).deleted_date_time is None
    _set(tenant, remove_guests_without_groups=True)
    member_remove(actor=_fresh(admin_user), group=group, member=member)
    assert User.objects.get(pk=member.pk).deleted_date_time is None


def test_deleting_a_guest_is_not_reported_twice(tenant, admin_user):
    """Offboarding empties a leaver's groups: the reaction leaves a guest already deleted alone."""
    _set(tenant, remove_guests_without_groups=True)
    guest = _guest(tenant, "Gil Guest")
    GroupFactory(tenant=tenant, members=[guest])
    user_delete(actor=_fresh(admin_user), user=guest)
    assert not AuditEvent.objects.filter(activity=REMOVE_WITHOUT_GROUPS_ACTIVITY).exists()


def test_the_group_page_counts_guests_only_for_those_who_read_members(client, tenant, admin_user):
    guest = _guest(tenant, "Gil Guest")
    group = GroupFactory(tenant=tenant, kind=GroupKind.SECURITY, members=[guest, UserFactory(tenant=tenant)])
    client.force_login(admin_user)
    page = client.get(reverse("group_detail", args=[group.pk])).content.decode()
    assert "1 guest" in page
    _set(tenant, guest_user_role_id=GuestUserRole.RESTRICTED)
    client.force_login(guest)
    page = client.get(reverse("group_detail", args=[group.pk])).content.decode()
    assert 'id="guest-count"' not in page


def test_the_group_page_says_how_many_guests_up_to_a_cap(client, tenant, admin_user, monkeypatch):
    group = GroupFactory(
        tenant=tenant, members=[_guest(tenant, f"Guest {n}") for n in range(3)] + [UserFactory(tenant=tenant)]
    )
    client.force_login(admin_user)
    page = client.get(reverse("group_detail", args=[group.pk])).content.decode()
    assert '<p class="muted" id="guest-count">3 guests</p>' in page
    monkeypatch.setattr(access_selectors, "GUEST_COUNT_CAP", 2)
    page = client.get(reverse("group_detail", args=[group.pk])).content.decode()
    assert '<p class="muted" id="guest-count">2+ guests</p>' in page


def test_a_member_of_a_team_sees_the_invite_button(client, tenant, member):
    team = GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365, members=[member])
    client.force_login(member)
    page = client.get(reverse("group_detail", args=[team.pk])).content.decode()
    assert f"/users/invite/?group={team.pk}" in page
    form = client.get(reverse("invite_guest") + f"?group={team.pk}").content.decode()
    assert team.display_name in form


def test_bulk_invite_reports_every_line(client, tenant, admin_user, mailoutbox):
    _set(tenant, collaboration_restriction="deny", collaboration_domains="rival.example")
    GroupFactory(tenant=tenant, display_name="Partner Project")
    text = (
        "invitedUserEmailAddress,invitedUserDisplayName,groups\r"
        "ada@fabrikam.example,Ada,Partner Project\r"
        "bo@rival.example,Bo,\r"
        "not-an-address,X,\r"
        "cy@fabrikam.example,Cy,No Such Group\r"
        "\r"
        "di@fabrikam.example,Di,\r"
    )
    client.force_login(admin_user)
    upload = SimpleUploadedFile("guests.csv", text.encode(), content_type="text/csv")
    page = client.post(reverse("invite_guests_bulk"), {"file": upload}).content.decode()
    assert "2 invited, 3 not" in page
    assert "rival.example" in page and "not an email address" in page and "No group named" in page
    assert sorted(m.to[0] for m in mailoutbox) == ["ada@fabrikam.example", "di@fabrikam.example"]
    ada = User.objects.get(mail="ada@fabrikam.example")
    assert Membership.objects.filter(member_user=ada, group__display_name="Partner Project").exists()
    assert not User.objects.filter(mail="cy@fabrikam.example").exists()


def test_bulk_invite_refuses_a_file_without_the_email_column(client, admin_user):
    client.force_login(admin_user)
    upload = SimpleUploadedFile("guests.csv", b"mail\nada@fabrikam.example\n", content_type="text/csv")
    response = client.post(reverse("invite_guests_bulk"), {"file": upload})
    assert response.status_code == 400 and "invitedUserEmailAddress" in response.content.decode()


def test_the_invite_page_invites_and_refuses_in_place(client, tenant, admin_user, mailoutbox):
    client.force_login(admin_user)
    ok = client.post(reverse("invite_guest"), {"email": "ada@fabrikam.example", "send_email": "on"})
    assert ok.status_code == 302 and len(mailoutbox) == 1
    refused = client.post(reverse("invite_guest"), {"email": f"x@{tenant.verified_domains[0]}"})
    assert refused.status_code == 400 and "domain of your organization" in refused.content.decode()


def test_the_invite_page_is_refused_when_the_tenant_says_no(client, tenant, member):
    _set(tenant, allow_invites_from="adminsAndGuestInviters")
    client.force_login(member)
    assert client.get(reverse("invite_guest")).status_code == 403
