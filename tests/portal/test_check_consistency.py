"""check_consistency: the command runs every registered checker and exits 1 on any difference."""

import pytest
from django.core.management import CommandError, call_command

from portal import consistency

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    checkers: dict = {}
    monkeypatch.setattr(consistency, "_checkers", checkers)
    return checkers


def test_it_reports_each_difference_and_exits_1(registry, tenant, other_tenant, capsys):
    registry["counts"] = lambda t: ["group X stores 3 members, has 2"] if t == tenant else []
    registry["fine"] = lambda t: []
    with pytest.raises(SystemExit) as exit_:
        call_command("check_consistency")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert f"[counts] {tenant.slug}: group X stores 3 members, has 2" in out
    assert other_tenant.slug not in out and "1 difference(s) found" in out


def test_it_exits_0_when_everything_agrees_and_can_be_narrowed(registry, tenant, other_tenant, capsys):
    seen = []
    registry["counts"] = lambda t: seen.append(t.slug) or []
    call_command("check_consistency", "--tenant", tenant.slug, "--only", "counts")
    assert seen == [tenant.slug]
    assert "No differences (counts)" in capsys.readouterr().out


def test_unknown_tenants_and_checkers_are_named(registry, tenant):
    registry["counts"] = lambda t: []
    with pytest.raises(CommandError, match="No tenant"):
        call_command("check_consistency", "--tenant", "nope")
    with pytest.raises(CommandError, match="Unknown checkers: nope"):
        call_command("check_consistency", "--only", "nope")
