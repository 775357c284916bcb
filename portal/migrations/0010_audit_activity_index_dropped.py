"""AuditEvent: drop the index of ``activity`` alone (and, on PostgreSQL, its ``LIKE`` twin). Every read of
the activity is by tenant, and the (tenant, activity) index serves it; each index costs every audit
INSERT, and dynamic membership writes one audit row per membership it changes. Plain DROP INDEX, as in
0007: altering the field would make SQLite rebuild the table and drop the append-only triggers."""

from django.db import migrations, models

NAME = "portal_auditevent_activity_7e5f017f"


def _restore(apps, schema_editor):
    schema_editor.execute(f"CREATE INDEX {NAME} ON portal_auditevent (activity)")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {NAME}_like ON portal_auditevent (activity varchar_pattern_ops)"
        )


def _drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}_like")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0009_scim_provisioning"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="activity",
                    field=models.CharField(max_length=128),
                ),
            ],
            database_operations=[migrations.RunPython(_drop, _restore)],
        ),
    ]
