"""Hand-written cases from the reference, checked on both the Q compiler and the Python predicate."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from groups.dynamic.compiler import queryset_for
from groups.dynamic.subjects import subject_for
from groups.models import Membership
from groups.rules import explain, parse, predicate
from portal.models import AssignedPlan, Device, DeviceMultiValue, User, UserMultiValue
from tests import factories

pytestmark = pytest.mark.django_db
PLAN = uuid.UUID("efb87545-963c-4e0d-99df-69c6916d9eb0")


def _both(rule_text: str, tenant, obj) -> bool:
    rule = parse(rule_text)
    in_db = queryset_for(rule, tenant).filter(pk=obj.pk).exists()
    in_python = predicate(rule)(subject_for(obj))
    assert in_db == in_python, rule_text
    return in_db


@pytest.fixture
def david(tenant):
    user = factories.UserFactory(
        tenant=tenant,
        display_name="David",
        department="Sales",
        country="US",
        city=None,
        mail="david@contoso.com",
        office_location="Building 7",
        extensions={"extension_abc_costcenter": "CC-42"},
        employee_hire_date=datetime(2020, 6, 1, tzinfo=UTC),
    )
    UserMultiValue.objects.create(user=user, attribute="otherMails", value="d@Contoso.com")
    UserMultiValue.objects.create(user=user, attribute="proxyAddresses", value="SMTP:david@contoso.com")
    AssignedPlan.objects.create(
        user=user, service_plan_id=PLAN, service="exchange", capability_status="Enabled"
    )
    return user


@pytest.mark.parametrize(
    "rule, expected",
    [
        ('user.department -eq "sales"', True),
        ('user.department -ne "Sales"', False),
        ('user.department -in ["Marketing", "SALES"]', True),
        ('user.department -notIn ["Marketing"]', True),
        ('user.displayName -match "^Da.*"', True),
        ('user.displayName -match "^Dav"', True),
        ('user.displayName -match ".*vid"', True),
        ('user.displayName -match "^aDa"', False),
        ('user.displayName -match "avi"', True),
        ('user.displayName -match "^vid"', False),
        ('user.city -eq "Seattle"', False),
        ('user.city -ne "Seattle"', True),  # (ours): no value → negations are true
        ('user.city -notStartsWith "S"', True),
        ('user.city -notMatch "."', True),
        ('user.city -notIn ["Seattle"]', True),
        ("user.city -eq null", True),
        ("user.mail -ne null", True),
        ('user.otherMails -endsWith "@contoso.com"', True),
        ('user.otherMails -contains "contoso"', True),
        ('user.proxyAddresses -any (_ -contains "contoso")', True),
        ('user.proxyAddresses -all (_ -startsWith "smtp:")', True),
        ('user.proxyAddresses -notContains "fabrikam"', True),
        (
            f'user.assignedPlans -any (assignedPlan.servicePlanId -eq "{PLAN}" -and assignedPlan.capabilityStatus -eq "Enabled")',
            True,
        ),
        ('user.assignedPlans -any (assignedPlan.capabilityStatus -eq "Suspended")', False),
        ('user.physicalDeliveryOfficeName -eq "building 7"', True),
        ('user.extension_abc_CostCenter -eq "cc-42"', True),
        ("user.employeeHireDate -le 2020-06-10T18:13:20Z", True),
        ("user.employeeHireDate -ge system.now -minus P1D", False),
        (
            'user.country -eq "US" -and (user.department -eq "Marketing" -or user.department -eq "Sales")',
            True,
        ),
        ('-not (user.department -eq "Sales")', False),
        ("user.objectId -ne null", True),
        ("user.accountEnabled -eq true", True),
        ("user.dirSyncEnabled -eq false", True),
    ],
)
def test_it_answers_the_reference_cases(tenant, david, rule, expected):
    assert _both(rule, tenant, david) is expected


def test_it_treats_memberof_and_devices(tenant, david):
    group = factories.GroupFactory(tenant=tenant, members=[david])
    assert _both(f"user.memberOf -any (group.objectId -in ['{group.pk}'])", tenant, david)
    assert not _both(f"user.memberOf -any (group.objectId -in ['{uuid.uuid4()}'])", tenant, david)
    phone = factories.DeviceFactory(tenant=tenant, operating_system="iOS", device_ownership="Company")
    DeviceMultiValue.objects.create(device=phone, attribute="systemLabels", value="M365Managed")
    assert _both('device.deviceOSType -eq "ios" -and device.deviceOwnership -eq "Company"', tenant, phone)
    assert _both('device.systemLabels -any (_ -eq "m365managed")', tenant, phone)
    assert not _both("device.isRooted -eq true", tenant, phone)
    Membership.objects.create(group=group, member_device=phone)
    assert _both(f'device.memberOf -any (group.objectId -eq "{group.pk}")', tenant, phone)
    assert set(queryset_for(parse("device.objectId -ne null"), tenant)) == set(
        Device.objects.filter(tenant=tenant)
    )


def test_it_keeps_tenants_and_deleted_users_out(tenant, other_tenant, david):
    stranger = factories.UserFactory(tenant=other_tenant, department="Sales")
    gone = factories.UserFactory(tenant=tenant, department="Sales", deleted_date_time=datetime.now(UTC))
    found = set(queryset_for(parse('user.department -eq "Sales"'), tenant))
    assert david in found and stranger not in found and gone not in found


def test_it_explains_each_clause(tenant, david):
    rule = parse('user.department -eq "Sales" -and (user.city -eq "Paris" -or user.country -eq "US")')
    result, clauses = explain(rule, subject_for(david))
    assert result is True
    leaves = [(c.text, c.result) for c in clauses if c.leaf]
    assert leaves == [
        ('user.department -eq "Sales"', True),
        ('user.city -eq "Paris"', False),
        ('user.country -eq "US"', True),
    ]


def test_it_reads_the_clock_at_evaluation_time(tenant):
    recent = factories.UserFactory(tenant=tenant, employee_hire_date=datetime.now(UTC) - timedelta(days=10))
    old = factories.UserFactory(tenant=tenant, employee_hire_date=datetime.now(UTC) - timedelta(days=400))
    found = set(queryset_for(parse("user.employeeHireDate -ge system.now -minus P1M"), tenant))
    assert recent in found and old not in found
    assert User.objects.count() >= 2
