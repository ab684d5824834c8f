"""The `accord` command: Django's management commands with Accord's settings.

    accord migrate | accord demo | accord serve | accord createuser --email E --role R
    accord playbook validate FILE | export [--version N] | import FILE | diff A B
    accord apikey create --name N --scopes read,write
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0], *sys.argv[1:]])


if __name__ == "__main__":
    main()
