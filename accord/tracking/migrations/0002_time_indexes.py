"""Time-range indexes for the event store: BRIN on PostgreSQL (tiny, cheap to maintain on an
append-only table whose rows arrive in time order), a B-tree on SQLite. See docs/adr/0007."""

from django.db import migrations

POSTGRES = [
    ("CREATE INDEX IF NOT EXISTS event_received_brin ON tracking_event USING brin (received_at)",
     "DROP INDEX IF EXISTS event_received_brin"),
    ("CREATE INDEX IF NOT EXISTS event_time_brin ON tracking_event USING brin (timestamp)",
     "DROP INDEX IF EXISTS event_time_brin"),
]
OTHER = [
    ("CREATE INDEX IF NOT EXISTS event_time ON tracking_event (timestamp)", "DROP INDEX IF EXISTS event_time"),
]


def _run(schema_editor, forward: bool) -> None:  # type: ignore[no-untyped-def]
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else OTHER
    for create, drop in statements:
        schema_editor.execute(create if forward else drop)


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run(schema_editor, True)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run(schema_editor, False)


class Migration(migrations.Migration):
    dependencies = [("tracking", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
