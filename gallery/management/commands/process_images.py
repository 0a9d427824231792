"""The background worker: renditions and analysis of uploaded images.

    python manage.py process_images          # until stopped (SIGTERM, Ctrl-C)
    python manage.py process_images --drain  # until no image waits

Run as many as the cores allow, on any machine that reaches the database and
the storage: they share the queue without ever taking the same image.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from gallery.services import processing


class Command(BaseCommand):
    help = "Make the renditions and the analysis of uploaded images."

    def add_arguments(self, parser):
        parser.add_argument(
            "--drain", action="store_true", help="Stop when no image waits."
        )

    def handle(self, *args, drain: bool = False, **options):
        processing.worker_priority_lower()
        stop = threading.Event()

        def finish_the_current_image(signum, frame):
            stop.set()

        signal.signal(signal.SIGTERM, finish_the_current_image)
        signal.signal(signal.SIGINT, finish_the_current_image)
        done = processing.processing_worker_run(stop=stop, drain=drain)
        self.stdout.write(f"Processed {done} images.")
