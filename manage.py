#!/usr/bin/env python
"""Django's command-line entry point."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if "DATABASE_URL" not in os.environ:
        # The embedded default (a SQLite file under var/) is the development setup that `make run`
        # starts with DEBUG=1; its commands run the same way. A deployment names its database.
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    from config import startup, telemetry

    startup.load_settings("manage.py")
    telemetry.setup()

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
