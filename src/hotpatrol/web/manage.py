"""``python -m hotpatrol.web.manage <command>``: Django's manage.py for the hotpatrol site (HOTPATROL_DB selects the store)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotpatrol.web.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
