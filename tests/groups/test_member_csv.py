"""Member CSV files in and out: any line ending on import, no formula in any exported cell."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from groups.models import Membership
from groups.services import parse_member_csv
from groups.services.errors import ServiceError
from portal.audit import audit_record
from tests.factories import DeviceFactory, GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(tenant):
    return UserFactory(tenant=tenant)


@pytest.fixture
def group(tenant, owner):
    return GroupFactory(tenant=tenant, display_name="Falcon", owners=[owner])


def _import(client, group, text: str):
    upload = SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")
    return client.post(reverse("group_members_import", args=[group.pk]), {"file": upload})


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_it_imports_a_member_csv_whatever_its_line_endings(client, tenant, group, owner, ending):
    ann, bob = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    text = ending.join(["userPrincipalName", ann.user_principal_name, bob.user_principal_name, ""])
    client.force_login(owner)
    response = _import(client, group, text)
    assert response.status_code == 200, response.content.decode()[:300]
    added = set(Membership.objects.filter(group=group).values_list("member_user", flat=True))
    assert added == {ann.pk, bob.pk}


def test_it_keeps_line_numbers_with_bare_cr_endings():
    assert parse_member_csv("upn\ra@x.test\r\rb@x.test\r") == [(2, "a@x.test"), (4, "b@x.test")]


def test_it_refuses_a_file_the_csv_module_cannot_read_with_a_clear_error(client, group, owner):
    with pytest.raises(ServiceError, match="line 2"):
        parse_member_csv("upn\n" + "x" * 200_000 + "@x.test\n")  # over the csv module's field limit
    client.force_login(owner)
    response = _import(client, group, "upn\n" + "x" * 200_000 + "\n")
    assert response.status_code == 400 and "can&#x27;t be read as CSV" in response.content.decode()


# --- export: formula injection ---------------------------------------------------------------------

DANGEROUS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))


def _assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (cell, row)


def test_it_guards_every_cell_of_the_member_export(client, tenant, group, owner):
    for i, text in enumerate(DANGEROUS):
        user = UserFactory(tenant=tenant, display_name=text, user_principal_name=f"{text.strip()}{i}@x.test")
        Membership.objects.create(group=group, member_user=user)
    Membership.objects.create(group=group, member_device=DeviceFactory(tenant=tenant, display_name="-cmd"))
    client.force_login(owner)
    rows = _csv_rows(client.get(reverse("group_members_export", args=[group.pk])))
    assert len(rows) == len(DANGEROUS) + 2
    _assert_no_formula(rows)
    assert {r[1] for r in rows[1:]} == {"'" + t for t in DANGEROUS} | {"'-cmd"}
    assert {r[2] for r in rows[1:]} == {f"'{t.strip()}{i}@x.test" for i, t in enumerate(DANGEROUS)} | {""}


def test_it_guards_every_cell_of_the_audit_export(client, tenant):
    auditor = UserFactory(tenant=tenant, role="reportsReader")
    for text in DANGEROUS:
        audit_record(tenant=tenant, actor=text, activity="Add member to group", target=None, reason=text)
    client.force_login(auditor)
    rows = _csv_rows(client.get(reverse("audit_export")))
    assert len(rows) >= len(DANGEROUS) + 1
    _assert_no_formula(rows)
