from django.db import migrations, models

from governance.approvals.defaults import BLOCKING_FINDING_SEVERITIES


def set_defaults(apps, schema_editor):
    # Existing versions get their tier's shipped default: critical findings close every
    # tier's gate, high ones those of tiers III and IV.
    policy_model = apps.get_model("approvals", "ApprovalPolicy")
    for tier, severities in BLOCKING_FINDING_SEVERITIES.items():
        policy_model.objects.filter(tier=tier).update(blocking_finding_severities=severities)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0002_default_policies")]

    operations = [
        migrations.AddField(
            model_name="approvalpolicy",
            name="blocking_finding_severities",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Severities of open findings that close the deployment gate in this tier",
            ),
        ),
        migrations.RunPython(set_defaults, migrations.RunPython.noop),
    ]
