# PostgreSQL: room on each page of the contacts table, so that the event pipeline's updates of
# first and last touch and last seen (no index covers them) are heap-only updates.

from django.db import migrations


def _room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE contacts_contact SET (fillfactor = 80)")


def _full(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE contacts_contact RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0008_scores_in_their_own_table"),
    ]

    operations = [migrations.RunPython(_room, _full)]
