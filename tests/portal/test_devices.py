"""import_devices, the /devices/ pages, and dynamic device groups following imports."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from groups.models import Membership
from groups.services import group_create
from portal.models import AuditEvent, Device
from tests import factories

pytestmark = pytest.mark.django_db

GOOD = """displayName,deviceOSType,deviceOSVersion,deviceOwnership,isRooted,deviceManufacturer,systemLabels
PHONE-1,iOS,17.4,company,false,Apple,M365Managed;Kiosk
LAPTOP-1,Windows,10.0.22631,Personal,,Microsoft,
"""


def _write(tmp_path, text: str):
    path = tmp_path / "devices.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_it_imports_devices_and_updates_dynamic_device_groups(tenant, admin_user, tmp_path):
    ios = group_create(
        actor=admin_user,
        display_name="iOS devices",
        mail_nickname="ios-devices",
        membership_type="dynamic",
        membership_rule='device.deviceOSType -eq "iOS" -and device.systemLabels -any (_ -eq "m365managed")',
    )
    call_command("import_devices", "--tenant", tenant.slug, str(_write(tmp_path, GOOD)))
    phone = Device.objects.get(tenant=tenant, display_name="PHONE-1")
    assert phone.device_ownership == "Company" and phone.is_rooted is False
    assert sorted(phone.multi_values.values_list("value", flat=True)) == ["Kiosk", "M365Managed"]
    assert list(
        Membership.objects.filter(group=ios).values_list("member_device__display_name", flat=True)
    ) == ["PHONE-1"]
    assert AuditEvent.objects.filter(activity="Add device", target_name="PHONE-1").exists()
    call_command(
        "import_devices",
        "--tenant",
        tenant.slug,
        str(_write(tmp_path, "displayName,deviceOSType\nPHONE-1,Android\n")),
    )
    assert not Membership.objects.filter(group=ios).exists()
    assert AuditEvent.objects.filter(activity="Remove member from group", target_name="iOS devices").exists()


def test_it_reports_bad_lines_and_imports_nothing(tenant, tmp_path, capsys):
    bad = GOOD + "TAB-1,iPadOS,17,Borrowed,maybe,Apple,\n,Windows,,,,,\n"
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_devices", "--tenant", tenant.slug, str(_write(tmp_path, bad)))
    err = capsys.readouterr().err
    assert ":4: deviceOwnership must be Personal, Company or Unknown" in err
    assert ":4: isRooted must be true or false" in err
    assert ":5: displayName can't be empty" in err
    assert not Device.objects.filter(tenant=tenant).exists()
    with pytest.raises(CommandError):
        call_command(
            "import_devices", "--tenant", tenant.slug, str(_write(tmp_path, "displayName,color\nX,red\n"))
        )
    assert ":1: unknown column 'color'" in capsys.readouterr().err


def test_it_lists_devices_and_service_principals_for_administrators(client, tenant, other_tenant, admin_user):
    phone = factories.DeviceFactory(tenant=tenant, display_name="PHONE-9")
    factories.DeviceFactory(tenant=other_tenant, display_name="ELSEWHERE")
    factories.ServicePrincipalFactory(tenant=tenant, display_name="Payroll app")
    client.force_login(admin_user)
    html = client.get(reverse("device_list")).content.decode()
    assert "PHONE-9" in html and "ELSEWHERE" not in html
    assert "Payroll app" in client.get(reverse("device_list"), {"kind": "servicePrincipals"}).content.decode()
    assert "PHONE-9" in client.get(reverse("device_detail", args=[phone.id])).content.decode()
    other = factories.DeviceFactory(tenant=other_tenant)
    assert client.get(reverse("device_detail", args=[other.id])).status_code == 404


def test_it_keeps_devices_from_ordinary_members(client, member):
    client.force_login(member)
    assert client.get(reverse("device_list")).status_code == 403


def test_it_pins_the_query_count_of_the_device_list(
    client, tenant, admin_user, django_assert_max_num_queries
):
    factories.DeviceFactory.create_batch(3, tenant=tenant)
    client.force_login(admin_user)
    client.get(reverse("device_list"))
    with django_assert_max_num_queries(30) as small:
        client.get(reverse("device_list"))
    factories.DeviceFactory.create_batch(40, tenant=tenant)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("device_list"))
