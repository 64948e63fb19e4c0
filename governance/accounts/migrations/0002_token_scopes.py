"""Tokens get scopes and an optional expiry.

Tokens made before scopes existed keep what they could do: `gate:read read write`
(PRE_SCOPE_TOKENS), and no expiry. Their owners can replace them with narrower ones.
"""

from django.db import migrations, models

PRE_SCOPE_TOKENS = "gate:read read write"  # scopes_text(PRE_SCOPE_TOKENS), fixed here


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.CharField(
                default=PRE_SCOPE_TOKENS,
                help_text="Space-separated scopes, sorted (e.g. 'gate:read read')",
                max_length=100,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Refused from this moment on; empty: never expires",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    scopes__regex=(
                        "^(gate:read|observations:write|read|write)"
                        "( (gate:read|observations:write|read|write))*$"
                    )
                ),
                name="apitoken_scopes_known",
            ),
        ),
    ]
