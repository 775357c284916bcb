from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests import factories

pytestmark = pytest.mark.django_db


def test_it_prints_matching_upns_sorted_and_nothing_else(tenant, capsys):
    factories.UserFactory(tenant=tenant, user_principal_name="zed@x.test", department="Sales")
    factories.UserFactory(tenant=tenant, user_principal_name="amy@x.test", department="sales")
    factories.UserFactory(tenant=tenant, user_principal_name="hal@x.test", department="HR")
    factories.UserFactory(user_principal_name="out@y.test", department="Sales")  # another tenant
    call_command("match_rule", "--tenant", tenant.slug, 'user.department -eq "Sales"')
    assert capsys.readouterr().out == "amy@x.test\nzed@x.test\n"


def test_it_prints_device_names(tenant, capsys):
    factories.DeviceFactory(tenant=tenant, display_name="PHONE-2", operating_system="iOS")
    factories.DeviceFactory(tenant=tenant, display_name="PHONE-1", operating_system="IOS")
    factories.DeviceFactory(tenant=tenant, display_name="PC", operating_system="Windows")
    call_command("match_rule", "--tenant", tenant.slug, 'device.deviceOSType -eq "ios"')
    assert capsys.readouterr().out == "PHONE-1\nPHONE-2\n"


def test_it_exits_2_with_the_position_on_a_bad_rule(tenant):
    with pytest.raises(CommandError) as info:
        call_command("match_rule", "--tenant", tenant.slug, 'user.department -eq ["x"]')
    assert info.value.returncode == 2 and "position 21" in str(info.value)


def test_it_exits_2_from_the_shell():
    done = subprocess.run(
        [sys.executable, "manage.py", "match_rule", "--tenant", "nobody", "user.x -eq"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stdout == "" and done.stderr
