from django.db import migrations, models

from groups.rule_version import statements

COUNT = """
UPDATE groups_group SET member_count = (
    SELECT COUNT(*) FROM groups_membership m WHERE m.group_id = groups_group.id
)
"""


def reinstall_rule_version_triggers(apps, schema_editor):
    """SQLite adds the column by rebuilding the table, which drops its triggers: put them back."""
    vendor = schema_editor.connection.vendor
    for sql in [*statements(vendor, install=False), *statements(vendor, install=True)]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("groups", "0011_membership_sparse_indexes")]

    operations = [
        migrations.AddField(
            model_name="group",
            name="member_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunSQL(COUNT, migrations.RunSQL.noop),
        migrations.RunPython(reinstall_rule_version_triggers, migrations.RunPython.noop),
    ]
