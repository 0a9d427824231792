"""Find (and with --fix, repair) storage objects and image rows that lost each other."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from gallery.services import storage_audit


class Command(BaseCommand):
    help = (
        "Compare storage with the database, one owner directory at a time: list "
        "objects under images/, previews/, thumbnails/ and small-thumbnails/ "
        "that no image references, and images whose original or a rendition is "
        "missing from storage. Exits with status 1 when problems were found and "
        "not fixed. --fix deletes orphan objects, deletes images whose original "
        "is gone, and rebuilds missing renditions from the original. "
        "Storage is read with one listing per owner directory; each suspected "
        "problem is confirmed with one more request (on S3, a HEAD per missing "
        "object and per orphan's modification time)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix", action="store_true", help="repair what the audit finds"
        )
        parser.add_argument(
            "--min-age",
            type=int,
            default=60,
            metavar="MINUTES",
            help=(
                "ignore objects younger than this (default 60): an upload writes "
                "its objects just before its row commits"
            ),
        )

    def handle(self, *args, **options):
        self.fix = options["fix"]
        self.tally = storage_audit(
            fix=self.fix,
            min_age=timedelta(minutes=options["min_age"]),
            say=self.stdout.write,
            fixed=lambda line: self.stdout.write(self.style.SUCCESS(line)),
            failed=self.stderr.write,
        )
        self._summarise()

    def _summarise(self) -> None:
        tally = self.tally
        self.stdout.write(
            f"Checked {tally.rows} image row{pluralize(tally.rows)} and "
            f"{tally.objects} object{pluralize(tally.objects)}: "
            f"{tally.objects_without_row} object{pluralize(tally.objects_without_row)}"
            f" without row, {tally.rows_without_object} "
            f"row{pluralize(tally.rows_without_object)} without object, "
            f"{tally.rows_without_rendition} "
            f"row{pluralize(tally.rows_without_rendition)} without a preview or "
            "thumbnail."
        )
        if tally.too_new:
            self.stdout.write(
                f"Left alone {tally.too_new} unreferenced "
                f"object{pluralize(tally.too_new)} younger than --min-age."
            )
        if self.fix:
            self.stdout.write(f"Fixed {tally.fixed}.")
            if tally.fix_failures:
                raise CommandError(f"{tally.fix_failures} fixes failed (see above).")
        elif tally.problems:
            raise CommandError(
                f"Found {tally.problems} problem{pluralize(tally.problems)}; "
                "run with --fix to repair."
            )
