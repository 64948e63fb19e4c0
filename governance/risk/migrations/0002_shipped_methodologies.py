"""Load the methodologies shipped in governance/risk/methodologies/ (idempotent)."""

from django.db import migrations

from governance.risk.shipped import load_shipped_methodologies


def load(apps, schema_editor):
    load_shipped_methodologies(apps)


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
