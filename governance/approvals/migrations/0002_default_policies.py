from django.db import migrations

from governance.approvals.defaults import ensure_default_policies


def create(apps, schema_editor):
    ensure_default_policies(
        apps.get_model("approvals", "ApprovalPolicy"), apps.get_model("approvals", "PolicyStage")
    )


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
