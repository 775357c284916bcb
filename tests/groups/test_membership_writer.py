"""Every path into or out of a group has the same consequences (the one membership writer).

Each path below puts Ann into a group (or takes her out) the way a person or the system does it: the
My Groups join, an owner's approval, the members tab, the bulk CSV import, the Graph API's ``$ref``, a
rule recompute, an attribute change, a leaver's offboarding and their restore. After each, whatever the
path: the group's licence follows her, the dynamic group whose ``memberOf`` rule names the group follows
in the same request, and exactly one audit event on the group records the change. And no path puts
anyone into a role-assignable group that confers roles the actor doesn't hold.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from access_requests.services import group_join, group_leave, join_request_approve, join_request_create
from groups.dynamic import recompute_group
from groups.licensing.models import AssignmentState, LicenseSeat
from groups.licensing.services import group_license_add, subscribed_sku_add
from groups.models import GroupKind, JoinPolicy, Membership, MembershipType
from groups.services import membership_add
from portal.models import AuditEvent, User
from portal.services import SYSTEM, user_delete, user_restore, user_update
from portal.tokens import api_token_create
from tests import factories

pytestmark = pytest.mark.django_db


class World:
    """A tenant with a licensed group (assigned, or dynamic on department) and a dynamic group whose
    rule reads ``memberOf`` of it."""

    def __init__(self, tenant, *, dynamic: bool, join_policy: str = JoinPolicy.OPEN) -> None:
        self.tenant = tenant
        self.admin = factories.UserFactory(tenant=tenant, role="globalAdministrator")
        self.owner = factories.UserFactory(tenant=tenant)
        self.ann = factories.UserFactory(tenant=tenant, department="Finance")
        if dynamic:
            self.group = factories.GroupFactory(
                tenant=tenant,
                membership_type=MembershipType.DYNAMIC,
                membership_rule='user.department -eq "Sales"',
            )
        else:
            self.group = factories.GroupFactory(tenant=tenant, join_policy=join_policy, owners=[self.owner])
        self.sku = subscribed_sku_add(
            actor=self.admin, sku_part_number="ENTERPRISEPACK", display_name="Office 365 E3", prepaid_units=10
        )
        group_license_add(actor=self.admin, group=self.group, sku=self.sku)
        self.follower = factories.GroupFactory(
            tenant=tenant,
            membership_type=MembershipType.DYNAMIC,
            membership_rule=f'user.memberOf -any (group.objectId -in ["{self.group.pk}"])',
        )
        recompute_group(self.follower.pk)

    def client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def api(self, user: User):
        _, secret = api_token_create(tenant=self.tenant, actor=SYSTEM, user=user)
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def fresh_ann(self) -> User:
        return User.objects.get(pk=self.ann.pk)


# --- the paths in --------------------------------------------------------------------------------------


def join(w: World) -> None:
    group_join(actor=w.fresh_ann(), group=w.group)


def approve(w: World) -> None:
    join_request = join_request_create(actor=w.fresh_ann(), group=w.group)
    w.mark()  # the request itself is audited on the group: count from after it
    join_request_approve(actor=w.owner, join_request=join_request)


def page_add(w: World) -> None:
    response = w.client(w.admin).post(
        reverse("group_member_add", args=[w.group.pk]), {"member": f"user:{w.ann.pk}"}
    )
    assert response.status_code == 302


def bulk_add(w: World) -> None:
    upload = SimpleUploadedFile("m.csv", f"userPrincipalName\r\n{w.ann.user_principal_name}\r\n".encode())
    response = w.client(w.admin).post(reverse("group_members_import", args=[w.group.pk]), {"file": upload})
    assert response.status_code in (200, 302)


def api_add(w: World) -> None:
    body = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{w.ann.pk}"}
    response = Client().post(
        f"/v1.0/groups/{w.group.pk}/members/$ref",
        json.dumps(body),
        content_type="application/json",
        **w.api(w.admin),
    )
    assert response.status_code == 204, response.content


def rule_recompute_in(w: World) -> None:
    User.objects.filter(pk=w.ann.pk).update(department="Sales")  # as a sync that bypasses the hooks
    recompute_group(w.group.pk)


def attribute_change_in(w: World) -> None:
    user_update(actor=w.admin, user=w.fresh_ann(), changes={"department": "Sales"})


def restore(w: World) -> None:
    user_delete(actor=w.admin, user=w.fresh_ann())
    w.mark()
    user_restore(actor=w.admin, user=w.fresh_ann())


def reenable(w: World) -> None:
    user_update(actor=w.admin, user=w.fresh_ann(), changes={"account_enabled": False})
    w.mark()
    user_update(actor=w.admin, user=w.fresh_ann(), changes={"account_enabled": True})


# --- the paths out -------------------------------------------------------------------------------------


def leave(w: World) -> None:
    group_leave(actor=w.fresh_ann(), group=w.group)


def page_remove(w: World) -> None:
    response = w.client(w.admin).post(
        reverse("group_member_remove", args=[w.group.pk]), {"member": f"user:{w.ann.pk}"}
    )
    assert response.status_code == 302


def api_remove(w: World) -> None:
    response = Client().delete(f"/v1.0/groups/{w.group.pk}/members/{w.ann.pk}/$ref", **w.api(w.admin))
    assert response.status_code == 204, response.content


def rule_recompute_out(w: World) -> None:
    User.objects.filter(pk=w.ann.pk).update(department="Finance")
    recompute_group(w.group.pk)


def attribute_change_out(w: World) -> None:
    user_update(actor=w.admin, user=w.fresh_ann(), changes={"department": "Finance"})


def offboard(w: World) -> None:
    user_delete(actor=w.admin, user=w.fresh_ann())


def disable(w: World) -> None:
    user_update(actor=w.admin, user=w.fresh_ann(), changes={"account_enabled": False})


IN = {
    join: {},
    approve: {"join_policy": JoinPolicy.OWNER_APPROVAL},
    page_add: {},
    bulk_add: {},
    api_add: {},
    rule_recompute_in: {"dynamic": True},
    attribute_change_in: {"dynamic": True},
    restore: {"start_in": True},
    reenable: {"start_in": True},
}
OUT = {
    leave: {},
    page_remove: {},
    api_remove: {},
    rule_recompute_out: {"dynamic": True},
    attribute_change_out: {"dynamic": True},
    offboard: {},
    disable: {},
}


def _world(tenant, options: dict, *, start_in: bool) -> World:
    w = World(
        tenant,
        dynamic=options.get("dynamic", False),
        join_policy=options.get("join_policy", JoinPolicy.OPEN),
    )
    if start_in:
        if w.group.is_dynamic:
            user_update(actor=w.admin, user=w.fresh_ann(), changes={"department": "Sales"})
        else:
            membership_add(actor=w.admin, group=w.group, member=w.fresh_ann())
    w.marker = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    w.mark = lambda: setattr(w, "marker", AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0])
    return w


def _consequences(w: World) -> dict:
    events = AuditEvent.objects.filter(id__gt=w.marker, target_id=str(w.group.pk), result="success")
    return {
        "member": Membership.objects.filter(group=w.group, member_user=w.ann).exists(),
        "licensed": LicenseSeat.objects.filter(user=w.ann, sku=w.sku, state=AssignmentState.ACTIVE).exists(),
        "memberOf group follows": Membership.objects.filter(group=w.follower, member_user=w.ann).exists(),
        "audit events on the group": events.count(),
    }


@pytest.mark.parametrize("path", list(IN), ids=lambda f: f.__name__)
def test_every_path_into_a_group_has_the_same_consequences(tenant, path):
    w = _world(tenant, IN[path], start_in=IN[path].get("start_in", False))
    if IN[path].get("start_in"):
        assert _consequences(w)["member"]
    else:
        assert not any(list(_consequences(w).values())[:3])
    path(w)
    assert _consequences(w) == {
        "member": True,
        "licensed": True,
        "memberOf group follows": True,
        "audit events on the group": 1,
    }


@pytest.mark.parametrize("path", list(OUT), ids=lambda f: f.__name__)
def test_every_path_out_of_a_group_has_the_same_consequences(tenant, path):
    w = _world(tenant, OUT[path], start_in=True)
    assert _consequences(w) == {
        "member": True,
        "licensed": True,
        "memberOf group follows": True,
        "audit events on the group": 0,
    }
    w.marker = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    path(w)
    assert _consequences(w) == {
        "member": False,
        "licensed": False,
        "memberOf group follows": False,
        "audit events on the group": 1,
    }


# --- privilege dominance on every path in ---------------------------------------------------------------


class Privileged:
    """A role-assignable group that confers Global Administrator; a User Administrator (who manages
    groups, but not role-assignable ones) tries to put Ann in it."""

    def __init__(self, tenant) -> None:
        self.global_admin = factories.UserFactory(tenant=tenant, role="globalAdministrator")
        self.user_admin = factories.UserFactory(tenant=tenant, role="userAdministrator")
        self.ann = factories.UserFactory(tenant=tenant)
        self.group = factories.GroupFactory(
            tenant=tenant, kind=GroupKind.SECURITY, is_assignable_to_role=True, owners=[self.global_admin]
        )
        factories.assign_role(self.group, "globalAdministrator")
        self.tenant = tenant


def _ra_page_add(p: Privileged):
    client = Client()
    client.force_login(p.user_admin)
    client.post(reverse("group_member_add", args=[p.group.pk]), {"member": f"user:{p.ann.pk}"})


def _ra_bulk_add(p: Privileged):
    client = Client()
    client.force_login(p.user_admin)
    upload = SimpleUploadedFile("m.csv", f"{p.ann.user_principal_name}\n".encode())
    client.post(reverse("group_members_import", args=[p.group.pk]), {"file": upload})


def _ra_api_add(p: Privileged):
    _, secret = api_token_create(tenant=p.tenant, actor=SYSTEM, user=p.user_admin)
    body = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{p.ann.pk}"}
    response = Client().post(
        f"/v1.0/groups/{p.group.pk}/members/$ref",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 403


def _ra_restore(p: Privileged):
    p.group.memberships.create(member_user=p.ann)
    user_delete(actor=p.global_admin, user=User.objects.get(pk=p.ann.pk))
    restored = user_restore(actor=p.user_admin, user=User.objects.get(pk=p.ann.pk))
    assert [r["group"] for r in restored.restore_report.not_restored] == [p.group.display_name]
    assert "role-assignable" in restored.restore_report.not_restored[0]["reason"]


def _ra_reenable(p: Privileged):
    p.group.memberships.create(member_user=p.ann)
    user_update(actor=p.global_admin, user=User.objects.get(pk=p.ann.pk), changes={"account_enabled": False})
    enabled = user_update(
        actor=p.user_admin, user=User.objects.get(pk=p.ann.pk), changes={"account_enabled": True}
    )
    assert [r["group"] for r in enabled.restore_report.not_restored] == [p.group.display_name]


@pytest.mark.parametrize("path", [_ra_page_add, _ra_bulk_add, _ra_api_add, _ra_restore, _ra_reenable])
def test_no_path_puts_anyone_in_a_role_assignable_group_without_the_right(tenant, path):
    p = Privileged(tenant)
    path(p)
    assert not Membership.objects.filter(group=p.group, member_user=p.ann).exists()


def test_only_the_writer_module_writes_memberships_and_ownerships():
    """A second place that writes membership rows would bring back paths with their own consequences."""
    root = Path(__file__).resolve().parents[2]
    write = re.compile(
        r"(Membership|Ownership)\.objects\.(?:[a-z_]+\([^)]*\)\.)*"
        r"(create|bulk_create|get_or_create|update_or_create|update|delete)\("
        r"|\b(memberships|ownerships)\.(create|add|set|remove|clear)\("
    )
    offenders = []
    for package in ("portal", "groups", "access_requests"):
        for source in (root / package).rglob("*.py"):
            if "migrations" in source.parts or source.parent == root / "groups" / "services" / "membership":
                continue
            for number, line in enumerate(source.read_text().splitlines(), start=1):
                if write.search(line):
                    offenders.append(f"{source.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_restore_page_says_which_memberships_were_not_restored_and_why(tenant):
    p = Privileged(tenant)
    p.group.memberships.create(member_user=p.ann)
    user_delete(actor=p.global_admin, user=User.objects.get(pk=p.ann.pk))
    client = Client()
    client.force_login(p.user_admin)
    page = client.post(reverse("user_restore", args=[p.ann.pk]), follow=True).content.decode()
    assert f"Not restored: {p.group.display_name} (as member)" in page
    assert "role-assignable" in page
