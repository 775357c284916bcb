"""Demo data: the Contoso tenant (P1) with its people, groups of every kind and pending requests.

Idempotent: running it again changes nothing that is already there. ``--users N --groups M`` adds a
large, generated population by bulk inserts (for benchmarks).
"""

from __future__ import annotations

import random
import time
import uuid

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from access_requests.models import JoinRequest, RequestStatus
from groups.licensing.models import GroupLicense, SubscribedSku
from groups.licensing.services import licenses_reconcile
from groups.models import CreatedIn, Group, GroupKind, JoinPolicy, Membership, MembershipSource, Ownership
from groups.services import group_create
from portal.audit import audit_record
from portal.models import Device, Plan, RoleAssignment, Source, Tenant, TenantGroupSettings, User, UserType
from portal.services import SYSTEM, tenant_create

DEMO_PASSWORD = "groupdesk-demo"

DEPARTMENTS = ["Finance", "Sales", "Marketing", "Engineering", "HR", "Legal", "Operations", "Support"]
COUNTRIES = [
    ("United States", "Seattle", "WA", "US"),
    ("United Kingdom", "London", None, "GB"),
    ("Germany", "Berlin", None, "DE"),
    ("France", "Paris", None, "FR"),
    ("India", "Bengaluru", "KA", "IN"),
    ("Japan", "Tokyo", None, "JP"),
    ("Canada", "Toronto", "ON", "CA"),
    ("Brazil", "São Paulo", "SP", "BR"),
]
TITLES = ["Analyst", "Manager", "Engineer", "Specialist", "Director", "Associate", "Consultant", "Lead"]
FIRST = [
    "Ada",
    "Ben",
    "Chloé",
    "Dev",
    "Elif",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoe",
]
LAST = [
    "Adams",
    "Bauer",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kumar",
    "Lopez",
    "Müller",
    "Nakamura",
    "Okafor",
    "Patel",
    "Rossi",
    "Silva",
    "Tanaka",
    "Urban",
    "Vargas",
    "Weber",
]

# (upn, display name, department, job title, role key or None, user type)
NAMED_USERS = [
    (
        "admin@contoso.test",
        "Megan Bowen",
        "IT",
        "Global Administrator",
        "globalAdministrator",
        UserType.MEMBER,
    ),
    (
        "groupsadmin@contoso.test",
        "Nestor Wilke",
        "IT",
        "Groups Administrator",
        "groupsAdministrator",
        UserType.MEMBER,
    ),
    ("owner@contoso.test", "Adele Vance", "Finance", "Finance Manager", None, UserType.MEMBER),
    ("user@contoso.test", "Alex Wilber", "Marketing", "Marketing Assistant", None, UserType.MEMBER),
    ("guest@fabrikam.test", "Pradeep Gupta (Fabrikam)", None, "Consultant", None, UserType.GUEST),
]

# (display name, alias, kind, membership, join policy, description, extra)
GROUPS = [
    (
        "Finance Reviewers",
        "finance-reviewers",
        GroupKind.SECURITY,
        "assigned",
        JoinPolicy.OWNER_APPROVAL,
        "Reviews finance reports before they are published.",
        {},
    ),
    (
        "Book Club",
        "book-club",
        GroupKind.MICROSOFT_365,
        "assigned",
        JoinPolicy.OPEN,
        "Monthly book club: everyone welcome.",
        {},
    ),
    (
        "Secure_access_finance_apps",
        "secure-access-finance-apps",
        GroupKind.SECURITY,
        "assigned",
        JoinPolicy.OWNER_APPROVAL,
        "Access to the finance applications (naming convention example).",
        {},
    ),
    (
        "Secure_access_sales_crm",
        "secure-access-sales-crm",
        GroupKind.SECURITY,
        "assigned",
        JoinPolicy.CLOSED,
        "Access to the sales CRM (naming convention example).",
        {},
    ),
    (
        "M365_Project_Falcon",
        "m365-project-falcon",
        GroupKind.MICROSOFT_365,
        "assigned",
        JoinPolicy.OWNER_APPROVAL,
        "Project Falcon collaboration (naming convention example).",
        {"visibility": "Private"},
    ),
    (
        "Sales Team",
        "sales-team",
        GroupKind.MICROSOFT_365,
        "assigned",
        JoinPolicy.OPEN,
        "The sales organization.",
        {},
    ),
    (
        "Executives",
        "executives",
        GroupKind.SECURITY,
        "assigned",
        JoinPolicy.CLOSED,
        "Leadership team.",
        {"visibility": "HiddenMembership"},
    ),
    (
        "Marketing (dynamic)",
        "marketing-dynamic",
        GroupKind.MICROSOFT_365,
        "dynamic",
        JoinPolicy.CLOSED,
        "Everyone in Marketing, by rule.",
        {"membership_rule": 'user.department -eq "Marketing"'},
    ),
    (
        "All Employees",
        "all-employees",
        GroupKind.SECURITY,
        "dynamic",
        JoinPolicy.CLOSED,
        "Every member (not guests), by rule.",
        {"membership_rule": 'user.objectId -ne null -and (user.userType -eq "Member")'},
    ),
    (
        "Finance Alerts",
        "finance-alerts",
        GroupKind.MAIL_ENABLED_SECURITY,
        "assigned",
        JoinPolicy.CLOSED,
        "Mail-enabled security group for finance alerts.",
        {},
    ),
    (
        "Contoso Announcements",
        "contoso-announcements",
        GroupKind.DISTRIBUTION,
        "assigned",
        JoinPolicy.CLOSED,
        "Company-wide announcements distribution list.",
        {},
    ),
    (
        "Helpdesk Admins",
        "helpdesk-admins",
        GroupKind.SECURITY,
        "assigned",
        JoinPolicy.CLOSED,
        "Role-assignable group for the helpdesk.",
        {"is_assignable_to_role": True},
    ),
    (
        "Engineering Leads",
        "engineering-leads",
        GroupKind.SECURITY,
        "assigned",
        JoinPolicy.OWNER_APPROVAL,
        "Leads of the engineering teams.",
        {},
    ),
    (
        "Hiking Club",
        "hiking-club",
        GroupKind.SECURITY,
        "assigned",
        JoinPolicy.OPEN,
        "Weekend hikes.",
        {"created_in": CreatedIn.MY_GROUPS},
    ),
]
SYNCED_GROUP = ("HR Staff (on-premises)", "hr-staff", "Synced from the on-premises directory.")


class Command(BaseCommand):
    help = "Create the demo tenant 'contoso' (idempotent). --users/--groups add a large generated population."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--users", type=int, default=0, help="Generated users to add (bulk)")
        parser.add_argument("--groups", type=int, default=0, help="Generated groups to add (bulk)")
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, users: int, groups: int, password: str, seed: int, **options) -> None:
        rng = random.Random(seed)
        tenant = self.demo_tenant(password, rng)
        if users or groups:
            started = time.monotonic()
            bulk_population(tenant, users=users, groups=groups, rng=rng, progress=self.stdout.write)
            compute_dynamic_groups(tenant)
            self.stdout.write(f"Bulk population ready in {time.monotonic() - started:.1f}s")
        self.stdout.write(self.style.SUCCESS("Demo tenant 'contoso' is ready. Sign in with:"))
        for upn, name, *_ in NAMED_USERS:
            self.stdout.write(f"  {upn:<28} {name}   password: {password}")

    @transaction.atomic
    def demo_tenant(self, password: str, rng: random.Random) -> Tenant:
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
        # One hash for every demo login: hashing is deliberately slow, and they share a password.
        self.hashed = make_password(password)
        people = {}
        for upn, name, dept, title, role, user_type in NAMED_USERS:
            user = User.objects.filter(user_principal_name=upn).first()
            if user is None:
                user = User.objects.create(
                    user_principal_name=upn,
                    password=self.hashed,
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
                audit_record(
                    tenant=tenant, actor=SYSTEM, activity="Add user", target=user, category="UserManagement"
                )
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
            people[upn] = user
        colleagues = self.colleagues(tenant, password, rng)
        admin = people["admin@contoso.test"]
        owner = people["owner@contoso.test"]
        for name, alias, kind, membership, policy, description, extra in GROUPS:
            group = Group.objects.for_tenant(tenant).filter(mail_nickname=alias).first()
            if group is None:
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
                self.populate(group, admin=admin, owner=owner, colleagues=colleagues, rng=rng)
        compute_dynamic_groups(tenant)
        self.synced_group(tenant, colleagues)
        self.pending_requests(tenant, colleagues, people)
        self.devices(tenant, rng)
        self.licenses(tenant)
        return tenant

    def colleagues(self, tenant: Tenant, password: str, rng: random.Random) -> list[User]:
        result = []
        for i in range(40):
            first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
            upn = f"{first.lower()}.{last.lower()}{i}@contoso.test".replace("é", "e").replace("ü", "u")
            user = User.objects.filter(user_principal_name=upn).first()
            if user is None:
                country, city, state, usage = COUNTRIES[i % len(COUNTRIES)]
                user = User.objects.create(
                    user_principal_name=upn,
                    password=self.hashed,
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

    def populate(
        self, group: Group, *, admin: User, owner: User, colleagues: list[User], rng: random.Random
    ) -> None:
        if group.is_dynamic:
            return  # the rule sets the members
        owners = (
            [owner]
            if group.mail_nickname
            in {
                "finance-reviewers",
                "book-club",
                "secure-access-finance-apps",
                "m365-project-falcon",
                "hiking-club",
            }
            else [rng.choice(colleagues)]
        )
        if group.is_assignable_to_role:
            owners = [admin]
        for user in owners:
            Ownership.objects.get_or_create(group=group, user=user, defaults={"added_by": admin})
        for user in rng.sample(colleagues, k=rng.randint(3, 12)):
            Membership.objects.get_or_create(
                group=group, member_user=user, defaults={"added_by": admin, "source": MembershipSource.DIRECT}
            )
        audit_record(
            tenant=group.tenant,
            actor=admin,
            activity="Update group",
            target=group,
            reason="Demo owners and members",
            after={"owners": [u.user_principal_name for u in owners]},
        )

    def synced_group(self, tenant: Tenant, colleagues: list[User]) -> None:
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
        for user in colleagues[::4]:
            Membership.objects.create(group=group, member_user=user)
        audit_record(tenant=tenant, actor="Directory synchronization", activity="Add group", target=group)

    def pending_requests(self, tenant: Tenant, colleagues: list[User], people: dict[str, User]) -> None:
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

    def licenses(self, tenant: Tenant) -> None:
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

    def devices(self, tenant: Tenant, rng: random.Random) -> None:
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


def compute_dynamic_groups(tenant: Tenant) -> None:
    """Bring every dynamic group up to date with its rule (a no-op when nothing changed)."""
    from groups.dynamic import recompute_group

    for group_id in (
        Group.objects.for_tenant(tenant)
        .alive()
        .filter(membership_type="dynamic")
        .values_list("pk", flat=True)
    ):
        recompute_group(group_id)


def bulk_population(tenant: Tenant, *, users: int, groups: int, rng: random.Random, progress) -> None:
    """Generated users and groups for benchmarks, inserted in bulk; idempotent by name."""
    unusable = make_password(None)
    batch = 5000
    have = set(
        User.objects.for_tenant(tenant)
        .filter(user_principal_name__startswith="gen")
        .values_list("user_principal_name", flat=True)
    )
    for start in range(0, users, batch):
        rows = []
        for i in range(start, min(users, start + batch)):
            upn = f"gen{i:06d}@contoso.test"
            if upn in have:
                continue
            country, city, state, usage = COUNTRIES[rng.randrange(len(COUNTRIES))]
            rows.append(
                User(
                    tenant=tenant,
                    user_principal_name=upn,
                    display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}",
                    department=rng.choice(DEPARTMENTS),
                    job_title=rng.choice(TITLES),
                    company_name="Contoso",
                    country=country,
                    city=city,
                    state=state,
                    usage_location=usage,
                    mail=upn,
                    password=unusable,
                    employee_id=f"G{i:06d}",
                    user_type=UserType.GUEST if i % 50 == 0 else UserType.MEMBER,
                    extension_attribute_1=f"cost-center-{i % 100}",
                )
            )
        User.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        progress(f"users: {min(users, start + batch)}/{users}")
    user_ids = list(
        User.objects.for_tenant(tenant)
        .filter(user_principal_name__startswith="gen")
        .values_list("id", flat=True)
    )
    have_groups = set(
        Group.objects.for_tenant(tenant)
        .filter(mail_nickname__startswith="gen-")
        .values_list("mail_nickname", flat=True)
    )
    for start in range(0, groups, 1000):
        new_groups = []
        for i in range(start, min(groups, start + 1000)):
            alias = f"gen-{i:05d}"
            if alias in have_groups:
                continue
            kind = GroupKind.MICROSOFT_365 if i % 3 == 0 else GroupKind.SECURITY
            new_groups.append(
                Group(
                    tenant=tenant,
                    display_name=f"Generated group {i:05d}",
                    mail_nickname=alias,
                    kind=kind,
                    join_policy=rng.choice(list(JoinPolicy.values)),
                )
            )
        Group.objects.bulk_create(new_groups, batch_size=1000)
        memberships, ownerships = [], []
        for group in new_groups:
            for uid in rng.sample(user_ids, k=min(len(user_ids), rng.randint(0, 40))):
                memberships.append(Membership(group=group, member_user_id=uid))
            if user_ids:
                ownerships.append(Ownership(group=group, user_id=rng.choice(user_ids)))
        Membership.objects.bulk_create(memberships, batch_size=5000, ignore_conflicts=True)
        Ownership.objects.bulk_create(ownerships, batch_size=5000, ignore_conflicts=True)
        progress(f"groups: {min(groups, start + 1000)}/{groups}")
    # Fresh planner statistics after bulk inserts: without them PostgreSQL may pick plans made for
    # empty tables (seen: the approvals page at 16 s instead of milliseconds until ANALYZE ran).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
