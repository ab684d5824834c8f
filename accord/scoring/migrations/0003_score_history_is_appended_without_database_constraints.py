# The score history drops its database foreign keys and their indexes (docs/adr/0018).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0008_scores_in_their_own_table"),
        ("playbook", "0002_default_playbook"),
        ("scoring", "0002_score_changes_keep_the_interest_state"),
    ]

    operations = [
        migrations.AlterField(
            model_name="scorechange",
            name="contact",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="score_changes",
                to="contacts.contact",
            ),
        ),
        migrations.AlterField(
            model_name="scorechange",
            name="playbook_version",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="playbook.playbookversion",
            ),
        ),
    ]
