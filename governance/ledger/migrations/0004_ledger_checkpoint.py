"""Signed checkpoints of the chain's head, append-only in the database like the events.

PostgreSQL: the refusing function of migration 0002 now names the table it guards, and also
guards the checkpoints (with the same test-suite-only session setting). SQLite: the same
per-connection function as migration 0003.
"""

from django.db import migrations, models

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    IF current_setting('governance.ledger_maintenance', true) = 'on' THEN
        IF TG_OP = 'TRUNCATE' THEN RETURN NULL; END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = %s || ' are append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

PG_FORWARD = PG_FUNCTION % """CASE TG_TABLE_NAME WHEN 'ledger_ledgercheckpoint'
        THEN 'ledger checkpoints' ELSE 'ledger events' END""" + """
CREATE TRIGGER ledger_checkpoint_no_update_delete
    BEFORE UPDATE OR DELETE ON ledger_ledgercheckpoint
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_checkpoint_no_truncate
    BEFORE TRUNCATE ON ledger_ledgercheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS ledger_checkpoint_no_truncate ON ledger_ledgercheckpoint;
DROP TRIGGER IF EXISTS ledger_checkpoint_no_update_delete ON ledger_ledgercheckpoint;
""" + PG_FUNCTION % "'ledger events'"

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER ledger_checkpoint_no_{op.lower()}
    BEFORE {op} ON ledger_ledgercheckpoint
    WHEN NOT governance_ledger_maintenance()
    BEGIN
        SELECT RAISE(ABORT, 'ledger checkpoints are append-only: {op} refused');
    END
    """
    for op in ("UPDATE", "DELETE")
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_checkpoint_no_update",
    "DROP TRIGGER IF EXISTS ledger_checkpoint_no_delete",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0003_sqlite_append_only_trigger'),
    ]

    operations = [
        migrations.CreateModel(
            name='LedgerCheckpoint',
            fields=[
                ('seq', models.BigIntegerField(primary_key=True, serialize=False)),
                ('head_hash', models.CharField(max_length=64)),
                ('ts', models.DateTimeField()),
                ('algorithm', models.CharField(max_length=32)),
                ('signature', models.TextField(help_text='Base64 of the raw signature')),
                ('certificate_sha256', models.CharField(max_length=64)),
                ('certificate', models.TextField(help_text='PEM of the signing certificate')),
            ],
            options={
                'ordering': ('seq',),
                'constraints': [models.CheckConstraint(condition=models.Q(('seq__gte', 1)), name='checkpoint_seq_positive')],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
