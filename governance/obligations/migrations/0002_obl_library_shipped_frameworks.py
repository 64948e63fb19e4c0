"""Load the frameworks shipped in governance/obligations/frameworks/ (idempotent)."""

from django.db import migrations

from governance.obligations.library import load_shipped_frameworks


def load(apps, schema_editor):
    load_shipped_frameworks(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("obligations", "0001_initial"),
        ("inventory", "0003_obl_library_annex_iii_point_and_use_facts"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
