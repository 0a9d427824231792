"""Import a folder tree (or files) of photos into one user's library."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize
from tqdm import tqdm

from gallery.services import images_import, import_paths


class Command(BaseCommand):
    help = (
        "Import images for a user: each file is validated, stored and analysed as "
        "an upload is. Files the library already holds (same bytes) are skipped, "
        "so an interrupted import can simply be run again. Stops at the user's "
        "upload limit unless --ignore-limit is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
        parser.add_argument("--user", required=True, metavar="NAME", help="the owner")
        parser.add_argument(
            "--ignore-limit",
            action="store_true",
            help="import past the user's upload limit (operators)",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="do not show a progress bar"
        )

    def handle(self, *args, **options):
        users = get_user_model().objects
        try:
            owner = users.get(username=options["user"])
        except users.model.DoesNotExist:
            raise CommandError(f"No user named {options['user']!r}.") from None
        missing = [path for path in options["paths"] if not Path(path).exists()]
        if missing:
            raise CommandError(f"Not found: {', '.join(missing)}")
        paths = list(import_paths(options["paths"]))
        bar = tqdm(
            total=len(paths),
            unit="file",
            file=self.stderr,
            disable=options["no_progress"] or options["verbosity"] == 0,
        )
        with bar:
            summary = images_import(
                owner=owner,
                paths=paths,
                enforce_limit=not options["ignore_limit"],
                progress=lambda path: bar.update(1),
            )
        for path, reason in summary.refused:
            self.stdout.write(f"Not imported: {path}: {reason}")
        self.stdout.write(
            f"Imported {summary.imported} image{pluralize(summary.imported)}, "
            f"{summary.already_there} already in the library, "
            f"{len(summary.refused)} not imported."
        )
        if summary.limit_reached:
            skipped = len(paths) - summary.imported - summary.already_there
            skipped -= len(summary.refused)
            self.stdout.write(
                f"Stopped at {owner.get_username()}'s upload limit; {skipped} "
                "file(s) not tried. Run again with --ignore-limit to import them."
            )
