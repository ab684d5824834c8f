"""Install the default playbook as version 1, active, so a new workspace has an agreement to start from."""

from pathlib import Path

from django.db import migrations

from accord.playbook.domain.document import parse


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    version_model = apps.get_model("playbook", "PlaybookVersion")
    if version_model.objects.exists():
        return
    source = (Path(__file__).resolve().parent.parent / "default.yaml").read_text(encoding="utf-8")
    playbook = parse(source)
    version_model.objects.create(
        number=1, status="active", digest=playbook.digest, source=source,
        note="The default playbook that ships with Accord.",
    )


def uninstall(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("playbook", "PlaybookVersion").objects.filter(number=1, created_by=None).delete()


class Migration(migrations.Migration):
    dependencies = [("playbook", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
