"""What a rule reads (groups.rules.reads): the index of a tenant's rules is built from it."""

from __future__ import annotations

import uuid

from groups.rules import parse
from groups.rules.reads import Guard, guard, reads

G1 = "00000000-0000-0000-0000-000000000001"


def test_it_names_the_graph_properties_a_rule_reads():
    rule = parse(
        'user.physicalDeliveryOfficeName -eq "B2" -or user.proxyAddresses -any (_ -contains "x") '
        '-or user.assignedPlans -any (assignedPlan.service -eq "teams") -or user.dirSyncEnabled -eq true'
    )
    assert reads(rule).properties == {"officeLocation", "proxyAddresses", "assignedPlans", "source"}
    assert reads(parse('device.deviceOSType -eq "iOS"')).properties == {"operatingSystem"}
    assert reads(parse(f'Direct Reports for "{G1}"')).properties == {"manager"}


def test_it_tells_a_memberof_clause_that_reads_every_group_from_one_that_reads_the_named_ones():
    named_only = reads(parse(f'user.memberOf -any (group.objectId -in ["{G1}"])'))
    assert (named_only.groups, named_only.any_group) == ({uuid.UUID(G1)}, False)
    for text in (
        f'user.memberOf -all (group.objectId -in ["{G1}"])',
        f'user.memberOf -any (group.objectId -notIn ["{G1}"])',
        f'user.memberOf -any (-not group.objectId -eq "{G1}")',
    ):
        assert reads(parse(text)).any_group, text


def test_it_marks_a_rule_that_reads_the_clock():
    assert reads(parse("user.employeeHireDate -ge system.now -minus P30D")).clock
    assert not reads(parse("user.employeeHireDate -ge 2020-01-01T00:00:00Z")).clock


def test_it_finds_a_guard_only_where_the_rule_cannot_be_true_without_it():
    assert guard(parse('user.department -eq "Sales" -and user.city -ne "x"')) == Guard(
        ("department",), frozenset({("sales",)})
    )
    assert guard(
        parse('user.city -startsWith "P" -and user.country -in ["DE", "fr"] -and user.jobTitle -eq "Lead"')
    ) == Guard(("country", "job_title"), frozenset({("de", "lead"), ("fr", "lead")}))
    assert guard(parse('user.department -eq "Sales" -or user.city -eq "x"')) is None
    assert guard(parse('-not user.department -eq "Sales"')) is None
    assert guard(parse('user.department -ne "Sales"')) is None
    assert guard(parse("user.department -eq null")) is None
    assert guard(parse("user.accountEnabled -eq true")) is None


def test_it_keeps_a_guard_small():
    many = ", ".join(f'"v{i}"' for i in range(10))
    rule = parse(f"user.city -in [{many}] -and user.country -in [{many}] -and user.state -in [{many}]")
    assert guard(rule).fields == ("city", "country")  # 1,000 combinations > 256: the third is left out
