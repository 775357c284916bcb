import django.db.models.deletion
from django.db import migrations, models

from groups.rule_version import statements


def install(apps, schema_editor):
    for sql in statements(schema_editor.connection.vendor, install=True):
        schema_editor.execute(sql)


def remove(apps, schema_editor):
    for sql in statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0005_rule_change_hold"),
        ("portal", "0004_user_name_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="RuleVersion",
            fields=[
                (
                    "tenant",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="portal.tenant",
                    ),
                ),
                ("token", models.CharField(max_length=36)),
            ],
        ),
        migrations.RunPython(install, remove),
    ]
