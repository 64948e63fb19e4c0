from django.db import migrations

from governance.findings.policy import ensure_default_policy


def create(apps, schema_editor):
    ensure_default_policy(apps.get_model("findings", "FindingPolicy"))


class Migration(migrations.Migration):
    dependencies = [("findings", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
