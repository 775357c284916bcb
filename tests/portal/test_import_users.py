from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from portal.models import AuditEvent, User

pytestmark = pytest.mark.django_db

GOOD = """userPrincipalName,displayName,department,jobTitle,country,userType,accountEnabled,employeeId,manager,otherMails,proxyAddresses,extensionAttribute3,city
ann@contoso.test,Ann Lee,Sales,Rep,US,Member,true,E1,boss@partner.example,ann@home.example;ann@alt.example,SMTP:ann@contoso.test,blue,
boss@partner.example,The Boss,,CEO,US,Member,true,E2,,,,,Seattle
"""


def _write(tmp_path, text: str):
    path = tmp_path / "users.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_it_imports_users_with_managers_further_down_the_file(tenant, tmp_path):
    call_command("import_users", "--tenant", tenant.slug, str(_write(tmp_path, GOOD)))
    ann = User.objects.get(user_principal_name="ann@contoso.test")
    boss = User.objects.get(user_principal_name="boss@partner.example")
    assert ann.manager == boss and ann.tenant == tenant
    assert ann.extension_attribute_3 == "blue"
    assert boss.department is None  # an empty cell is no value
    assert ann.other_mails == ["ann@home.example", "ann@alt.example"]
    assert (
        User.objects.filter(
            multi_values__attribute="otherMails", multi_values__value__iendswith="@alt.example"
        ).get()
        == ann
    )
    assert AuditEvent.objects.filter(activity="Add user", target_name="ann@contoso.test").exists()


def test_it_updates_existing_users(tenant, tmp_path):
    call_command("import_users", "--tenant", tenant.slug, str(_write(tmp_path, GOOD)))
    call_command(
        "import_users",
        "--tenant",
        tenant.slug,
        str(_write(tmp_path, "userPrincipalName,department\nann@contoso.test,Finance\n")),
    )
    ann = User.objects.get(user_principal_name="ann@contoso.test")
    assert ann.department == "Finance" and ann.job_title == "Rep"


def test_it_reports_bad_lines_and_imports_nothing(tenant, tmp_path, capsys):
    bad = GOOD + "not-an-upn,Someone,,,,,,,,,,,\ncarl@contoso.test,Carl,,,,Visitor,maybe,,,,,,\n"
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_users", "--tenant", tenant.slug, str(_write(tmp_path, bad)))
    err = capsys.readouterr().err
    assert ":4: userPrincipalName “not-an-upn”" in err
    assert ":5: userType must be Member or Guest" in err
    assert ":5: accountEnabled must be true or false" in err
    assert not User.objects.filter(tenant=tenant).exists()


def test_it_reads_hire_dates_and_names_an_impossible_one(tenant, tmp_path, capsys):
    good = "userPrincipalName,displayName,employeeHireDate\nann@contoso.test,Ann,2024-02-29\n"
    call_command("import_users", "--tenant", tenant.slug, str(_write(tmp_path, good)))
    assert User.objects.get(user_principal_name="ann@contoso.test").employee_hire_date.isoformat() == (
        "2024-02-29T00:00:00+00:00"
    )
    capsys.readouterr()
    for impossible in ("2024-02-30", "2024-13-01T00:00:00Z"):
        text = f"userPrincipalName,displayName,employeeHireDate\nbob@contoso.test,Bob,{impossible}\n"
        with pytest.raises(CommandError, match="Nothing imported"):
            call_command("import_users", "--tenant", tenant.slug, str(_write(tmp_path, text)))
        assert f":2: employeeHireDate must be a date (YYYY-MM-DD) or date-time, not “{impossible}”" in (
            capsys.readouterr().err
        )


def test_it_refuses_unknown_columns_and_unknown_managers(tenant, tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command(
            "import_users",
            "--tenant",
            tenant.slug,
            str(_write(tmp_path, "userPrincipalName,shoeSize\na@b.test,9\n")),
        )
    assert ":1: unknown column 'shoeSize'" in capsys.readouterr().err
    with pytest.raises(CommandError):
        call_command(
            "import_users",
            "--tenant",
            tenant.slug,
            str(_write(tmp_path, "userPrincipalName,displayName,manager\na@b.test,A,ghost@b.test\n")),
        )
    assert ":2: manager ghost@b.test is not a user" in capsys.readouterr().err


def test_it_refuses_users_of_another_tenant(tenant, other_tenant, tmp_path, capsys):
    call_command("import_users", "--tenant", other_tenant.slug, str(_write(tmp_path, GOOD)))
    with pytest.raises(CommandError):
        call_command("import_users", "--tenant", tenant.slug, str(_write(tmp_path, GOOD)))
    assert "belongs to another organization" in capsys.readouterr().err
