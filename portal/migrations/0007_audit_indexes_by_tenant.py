"""AuditEvent: drop the indexes of ``tenant`` and ``activity_date_time`` alone; every read is by tenant and
the (tenant, -activity_date_time) index serves it. Plain DROP INDEX: altering the fields would make
SQLite rebuild the table, and the rebuild would drop the append-only triggers (portal.audit_guard)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

INDEXES = {
    "portal_auditevent_tenant_id_38305d70": "tenant_id",
    "portal_auditevent_activity_date_time_bf582dce": "activity_date_time",
}


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_audit_tenant_activity_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="activity_date_time",
                    field=models.DateTimeField(default=django.utils.timezone.now),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="tenant",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="portal.tenant",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    f"CREATE INDEX {name} ON portal_auditevent ({column})",
                )
                for name, column in INDEXES.items()
            ],
        ),
    ]
