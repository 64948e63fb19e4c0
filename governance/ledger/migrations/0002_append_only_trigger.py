"""On PostgreSQL the database itself refuses UPDATE, DELETE and TRUNCATE of ledger events.

The ORM already refuses, but the database is the last line: a script, a console session or a
compromised app path gets the same answer. The one escape is a session setting
(`governance.ledger_maintenance = 'on'`) that only the test suite sets, so that Django can
empty its throw-away test database between tests; production connections never set it.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    IF current_setting('governance.ledger_maintenance', true) = 'on' THEN
        IF TG_OP = 'TRUNCATE' THEN RETURN NULL; END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'ledger events are append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_event_no_update_delete
    BEFORE UPDATE OR DELETE ON ledger_ledgerevent
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE TRIGGER ledger_event_no_truncate
    BEFORE TRUNCATE ON ledger_ledgerevent
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ledger_event_no_truncate ON ledger_ledgerevent;
DROP TRIGGER IF EXISTS ledger_event_no_update_delete ON ledger_ledgerevent;
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
