# The ten score columns move off the contact's wide row into a 1:1 table (docs/adr/0017).

import django.db.models.deletion
from django.db import migrations, models


COLUMNS = (
    "fit_score, fit_grade, persona, interest_score, quadrant, interest_mass, interest_anchor, interest_caps,"
    " scored_at, score_version_id"
)
# The scores of every scored contact move to their own table, and back when the migration is undone.
_COPY_OUT = (
    f"INSERT INTO contacts_score (contact_id, {COLUMNS})"
    f" SELECT id, {COLUMNS} FROM contacts_contact WHERE scored_at IS NOT NULL OR fit_score IS NOT NULL"
)
_COPY_BACK = (
    "UPDATE contacts_contact SET"
    + ",".join(
        f" {c} = (SELECT s.{c} FROM contacts_score s WHERE s.contact_id = contacts_contact.id)"
        for c in COLUMNS.replace(" ", "").split(",")
    )
    + " WHERE id IN (SELECT contact_id FROM contacts_score)"
)


def _room_for_updates(apps, schema_editor):
    """PostgreSQL: leave room on each page, so that rewriting a contact's scores (no index covers
    them) is a heap-only update that writes no index entry."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE contacts_score SET (fillfactor = 70)")


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0007_crm_ids_per_object_and_property_types"),
        ("playbook", "0002_default_playbook"),
    ]

    operations = [
        migrations.CreateModel(
            name="Score",
            fields=[
                (
                    "contact",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="score",
                        serialize=False,
                        to="contacts.contact",
                    ),
                ),
                ("fit_score", models.IntegerField(blank=True, null=True)),
                ("fit_grade", models.CharField(blank=True, max_length=1)),
                ("persona", models.CharField(blank=True, max_length=40)),
                ("interest_score", models.FloatField(blank=True, null=True)),
                ("quadrant", models.CharField(blank=True, max_length=10)),
                ("interest_mass", models.BigIntegerField(default=0)),
                ("interest_anchor", models.IntegerField(blank=True, null=True)),
                ("interest_caps", models.JSONField(blank=True, default=dict)),
                ("scored_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AddField(
            model_name="score",
            name="score_version",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="playbook.playbookversion",
            ),
        ),
        migrations.RunPython(_room_for_updates, migrations.RunPython.noop),
        migrations.RunSQL(_COPY_OUT, _COPY_BACK),
        migrations.RemoveIndex(
            model_name="contact",
            name="contact_quadrant_interest",
        ),
        migrations.RemoveField(
            model_name="contact",
            name="fit_grade",
        ),
        migrations.RemoveField(
            model_name="contact",
            name="fit_score",
        ),
        migrations.RemoveField(
            model_name="contact",
            name="interest_anchor",
        ),
        migrations.RemoveField(
            model_name="contact",
            name="interest_caps",
        ),
        migrations.RemoveField(
            model_name="contact",
            name="interest_mass",
        ),
        migrations.RemoveField(
            model_name="contact",
            name="interest_score",
        ),
        migrations.RemoveField(
            model_name="contact",
            name="persona",
        ),
        migrations.RemoveField(
            model_name="contact",
            name="quadrant",
        ),
        migrations.RemoveField(
            model_name="contact",
            name="score_version",
        ),
        migrations.RemoveField(
            model_name="contact",
            name="scored_at",
        ),
    ]
