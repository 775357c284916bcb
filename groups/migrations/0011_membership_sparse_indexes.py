"""Membership: the columns empty in most rows (member_group, member_device, member_service_principal,
added_by) are indexed only where they have a value. A full index takes an entry, and a WAL record, for
every row written: for the rows of dynamic membership (users, added by nobody) four of its eight index
entries. Plain DROP INDEX and CREATE INDEX: altering the fields would drop and re-add (and re-check) their
foreign keys on PostgreSQL and rebuild the table on SQLite."""

from django.conf import settings
import django.db.models.deletion
from django.db import migrations, models

OLD = {
    "groups_membership_member_group_id_6cacb542": "member_group_id",
    "groups_membership_member_device_id_d3999037": "member_device_id",
    "groups_membership_member_service_principal_id_c9db6803": "member_service_principal_id",
    "groups_membership_added_by_id_1aafcca9": "added_by_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0010_service_plans_seats"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="membership",
                    name="added_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="membership",
                    name="member_device",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="portal.device",
                    ),
                ),
                migrations.AlterField(
                    model_name="membership",
                    name="member_group",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="member_of",
                        to="groups.group",
                    ),
                ),
                migrations.AlterField(
                    model_name="membership",
                    name="member_service_principal",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="portal.serviceprincipal",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}", f"CREATE INDEX {name} ON groups_membership ({column})"
                )
                for name, column in OLD.items()
            ],
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(
                condition=models.Q(("member_group__isnull", False)),
                fields=["member_group"],
                name="membership_group_set",
            ),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(
                condition=models.Q(("member_device__isnull", False)),
                fields=["member_device"],
                name="membership_device_set",
            ),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(
                condition=models.Q(("member_service_principal__isnull", False)),
                fields=["member_service_principal"],
                name="membership_sp_set",
            ),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(
                condition=models.Q(("added_by__isnull", False)),
                fields=["added_by"],
                name="membership_added_by_set",
            ),
        ),
    ]
