"""The Contoso demo tenant (P1): its people, groups of every kind, requests, devices and licences.

Idempotent: each step skips what is already there.
"""

from __future__ import annotations

import random
import uuid

from django.contrib.auth.hashers import make_password
from django.db import transaction

from access_requests.models import JoinRequest, RequestStatus
from groups.dynamic import recompute_group
from groups.licensing.models import GroupLicense, SubscribedSku
from groups.licensing.services import licenses_reconcile
from groups.models import CreatedIn, Group, Membership, MembershipSource, Ownership
from groups.services import group_create, membership
from portal.audit import audit_record
from portal.models import Device, Plan, RoleAssignment, Source, Tenant, TenantGroupSettings, User, UserType
from portal.services import SYSTEM, tenant_create
from portal.site.demo.connections import demo_connection
from portal.site.demo.data import (
    COUNTRIES,
    DEPARTMENTS,
    FIRST,
    GROUPS,
    LAST,
    NAMED_USERS,
    SYNCED_GROUP,
    TITLES,
)

# Groups the demo owner (Adele Vance) owns; the other assigned groups get a random colleague.
OWNED_BY_DEMO_OWNER = {
    "finance-reviewers",
    "book-club",
    "secure-access-finance-apps",
    "m365-project-falcon",
    "hiking-club",
}


@transaction.atomic
def demo_tenant(password: str, rng: random.Random) -> Tenant:
    tenant = _tenant()
    # One hash for every demo login: hashing is deliberately slow, and they share a password.
    hashed = make_password(password)
    people = {row[0]: named_user(tenant, hashed, row) for row in NAMED_USERS}
    colleagues = colleagues_of(tenant, hashed)
    admin = people["admin@contoso.test"]
    owner = people["owner@contoso.test"]
    for row in GROUPS:
        demo_group(tenant, row, admin=admin, owner=owner, colleagues=colleagues, rng=rng)
    compute_dynamic_groups(tenant)
    synced_group(tenant, colleagues)
    pending_requests(tenant, colleagues, people)
    devices(tenant, rng)
    licenses(tenant)
    demo_connection(tenant, admin)
    return tenant


def _tenant() -> Tenant:
    tenant = Tenant.objects.filter(slug="contoso").first() or tenant_create(
        slug="contoso", name="Contoso", plan=Plan.P1, domains=["contoso.test"]
    )
    TenantGroupSettings.objects.filter(tenant=tenant).update(
        owners_can_manage_requests=True,
        restrict_my_groups=False,
        classification_list="Public,General,Confidential,Highly Confidential",
        default_classification="General",
        usage_guidelines_url="https://contoso.test/group-guidelines",
    )
    tenant.refresh_from_db()
    return tenant


def named_user(tenant: Tenant, hashed: str, row: tuple) -> User:
    """One of the named demo logins, with its built-in role if it has one."""
    upn, name, dept, title, role, user_type = row
    user = User.objects.filter(user_principal_name=upn).first()
    if user is None:
        user = User.objects.create(
            user_principal_name=upn,
            password=hashed,
            tenant=tenant,
            display_name=name,
            department=dept,
            job_title=title,
            user_type=user_type,
            mail=upn,
            company_name="Contoso" if user_type == UserType.MEMBER else "Fabrikam",
            country="United States",
            city="Seattle",
            usage_location="US",
        )
        audit_record(tenant=tenant, actor=SYSTEM, activity="Add user", target=user, category="UserManagement")
    if role and not RoleAssignment.objects.filter(principal_user=user, builtin_role=role).exists():
        RoleAssignment.objects.create(tenant=tenant, principal_user=user, builtin_role=role)
        audit_record(
            tenant=tenant,
            actor=SYSTEM,
            activity="Add member to role",
            target=user,
            after={"role": role},
            category="RoleManagement",
        )
    return user


def colleagues_of(tenant: Tenant, hashed: str) -> list[User]:
    """The 40 generated colleagues the demo groups are made of."""
    result = []
    for i in range(40):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        upn = f"{first.lower()}.{last.lower()}{i}@contoso.test".replace("é", "e").replace("ü", "u")
        user = User.objects.filter(user_principal_name=upn).first()
        if user is None:
            country, city, state, usage = COUNTRIES[i % len(COUNTRIES)]
            user = User.objects.create(
                user_principal_name=upn,
                password=hashed,
                tenant=tenant,
                display_name=f"{first} {last}",
                given_name=first,
                surname=last,
                department=DEPARTMENTS[i % len(DEPARTMENTS)],
                job_title=TITLES[(i * 3) % len(TITLES)],
                company_name="Contoso",
                country=country,
                city=city,
                state=state,
                usage_location=usage,
                mail=upn,
                employee_id=f"E{1000 + i}",
                employee_type="Employee" if i % 5 else "Contractor",
                source=Source.SYNCED if i % 4 == 0 else Source.CLOUD,
            )
            audit_record(
                tenant=tenant, actor=SYSTEM, activity="Add user", target=user, category="UserManagement"
            )
        result.append(user)
    return result


def demo_group(
    tenant: Tenant, row: tuple, *, admin: User, owner: User, colleagues: list[User], rng: random.Random
) -> None:
    """Create one of GROUPS (once) and give it owners and members."""
    name, alias, kind, membership, policy, description, extra = row
    if Group.objects.for_tenant(tenant).filter(mail_nickname=alias).exists():
        return
    group = group_create(
        actor=admin,
        display_name=name,
        mail_nickname=alias,
        kind=kind,
        membership_type=membership,
        join_policy=policy,
        description=description,
        **extra,
    )
    populate(group, admin=admin, owner=owner, colleagues=colleagues, rng=rng)


def populate(group: Group, *, admin: User, owner: User, colleagues: list[User], rng: random.Random) -> None:
    if group.is_dynamic:
        return  # the rule sets the members
    owners = [owner] if group.mail_nickname in OWNED_BY_DEMO_OWNER else [rng.choice(colleagues)]
    if group.is_assignable_to_role:
        owners = [admin]
    membership.load_ownerships(Ownership(group=group, user=user, added_by=admin) for user in owners)
    membership.load_memberships(
        Membership(group=group, member_user=user, added_by=admin, source=MembershipSource.DIRECT)
        for user in rng.sample(colleagues, k=rng.randint(3, 12))
    )
    audit_record(
        tenant=group.tenant,
        actor=admin,
        activity="Update group",
        target=group,
        reason="Demo owners and members",
        after={"owners": [u.user_principal_name for u in owners]},
    )


def compute_dynamic_groups(tenant: Tenant) -> None:
    """Bring every dynamic group up to date with its rule (a no-op when nothing changed)."""
    for group_id in (
        Group.objects.for_tenant(tenant)
        .alive()
        .filter(membership_type="dynamic")
        .values_list("pk", flat=True)
    ):
        recompute_group(group_id)


def synced_group(tenant: Tenant, colleagues: list[User]) -> None:
    name, alias, description = SYNCED_GROUP
    if Group.objects.for_tenant(tenant).filter(mail_nickname=alias).exists():
        return
    group = Group.objects.create(
        tenant=tenant,
        display_name=name,
        mail_nickname=alias,
        description=description,
        source=Source.SYNCED,
        created_in=CreatedIn.SYNC,
    )
    membership.load_memberships(Membership(group=group, member_user=user) for user in colleagues[::4])
    audit_record(tenant=tenant, actor="Directory synchronization", activity="Add group", target=group)


def pending_requests(tenant: Tenant, colleagues: list[User], people: dict[str, User]) -> None:
    wanted = [
        ("finance-reviewers", colleagues[1]),
        ("finance-reviewers", colleagues[2]),
        ("m365-project-falcon", colleagues[3]),
        ("engineering-leads", colleagues[5]),
        ("secure-access-finance-apps", people["guest@fabrikam.test"]),
    ]
    for alias, requester in wanted:
        group = Group.objects.for_tenant(tenant).get(mail_nickname=alias)
        if group.memberships.filter(member_user=requester).exists():
            continue
        if JoinRequest.objects.filter(group=group, requester=requester).exists():
            continue
        JoinRequest.objects.create(
            tenant=tenant,
            group=group,
            requester=requester,
            status=RequestStatus.PENDING,
            justification=f"I work with {group.display_name} on {requester.department or 'a project'}.",
        )
        audit_record(tenant=tenant, actor=requester, activity="Request to join group", target=group)


def licenses(tenant: Tenant) -> None:
    """Office 365 E3 carried by Sales Team, with fewer units than members: the queue shows."""
    sku, created = SubscribedSku.objects.get_or_create(
        tenant=tenant,
        sku_part_number="ENTERPRISEPACK",
        defaults={"display_name": "Office 365 E3", "prepaid_units": 5},
    )
    if created:
        sales = Group.objects.for_tenant(tenant).get(mail_nickname="sales-team")
        GroupLicense.objects.create(group=sales, sku=sku)
        audit_record(
            tenant=tenant,
            actor=SYSTEM,
            activity="Assign license to group",
            target=sales,
            after={"sku": sku.sku_part_number},
            category="Licensing",
        )
    licenses_reconcile(tenant=tenant)


def devices(tenant: Tenant, rng: random.Random) -> None:
    if Device.objects.for_tenant(tenant).exists():
        return
    kinds = [
        ("Windows", "10.0.22631", "Microsoft", "Surface Laptop 5"),
        ("iOS", "17.4", "Apple", "iPhone 15"),
        ("AndroidForWork", "14", "Samsung", "Galaxy S24"),
        ("MacMDM", "14.4", "Apple", "MacBook Pro"),
    ]
    Device.objects.bulk_create(
        Device(
            tenant=tenant,
            display_name=f"CONTOSO-{os_type[:3].upper()}-{i:03d}",
            operating_system=os_type,
            operating_system_version=version,
            manufacturer=maker,
            model=model,
            device_ownership="Company" if i % 3 else "Personal",
            device_id=uuid.UUID(int=rng.getrandbits(128)),
        )
        for i, (os_type, version, maker, model) in enumerate(kinds * 5)
    )
