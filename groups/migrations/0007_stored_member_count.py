from django.db import migrations, models

COUNT = """
UPDATE groups_group SET member_count = (
    SELECT COUNT(*) FROM groups_membership m WHERE m.group_id = groups_group.id
)
"""


class Migration(migrations.Migration):
    dependencies = [("groups", "0006_rule_version")]

    operations = [
        migrations.AddField(
            model_name="group",
            name="member_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunSQL(COUNT, migrations.RunSQL.noop),
    ]
