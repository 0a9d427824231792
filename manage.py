#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "image_repo_project.settings")
    from django.core.management import execute_from_command_line

    from image_repo_project.embedded_pg import ensure_embedded_postgres

    ensure_embedded_postgres()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
