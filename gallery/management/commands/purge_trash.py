"""Delete for good the images that have been in the trash long enough."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.template.defaultfilters import pluralize

from gallery.services import trash_purge


class Command(BaseCommand):
    help = (
        "Delete for good, with their stored files, the images trashed more than "
        "GALLERY_TRASH_DAYS days ago (all trashed images when it is 0). Run it "
        "daily from cron, or let Celery beat run gallery.tasks.purge_trash."
    )

    def handle(self, *args, **options):
        deleted = trash_purge()
        self.stdout.write(
            f"Deleted {deleted} image{pluralize(deleted)} for good "
            f"(in the trash for more than {settings.GALLERY_TRASH_DAYS} days)."
        )
