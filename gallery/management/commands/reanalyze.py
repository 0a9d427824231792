"""Run image analysis again on failed, pending or all images; or make the
renditions of images stored before today's renditions (--renditions)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q, QuerySet
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from gallery.analysis import get_analyzer
from gallery.models import AnalysisStatus, Image
from gallery.services import image_analyze, image_renditions_rebuild

# Rows fetched per round trip of the server-side cursor: the table is never
# loaded whole, and each chunk is small enough to hold while analysing it.
CHUNK_SIZE = 100


class Command(BaseCommand):
    help = (
        "Analyse images again with the configured analyzer, oldest first. "
        "Choose the images with --failed, --pending, --outdated and/or --all; "
        "--user limits the run to one owner's images. Runs inline, not on Celery "
        "workers. An interrupted --all prints the --started value that resumes it. "
        "--renditions instead makes the renditions (WebP, each size) of images "
        "stored before them, without analysing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--failed", action="store_true", help="images whose analysis failed"
        )
        parser.add_argument(
            "--pending",
            action="store_true",
            help="images still waiting for their first analysis",
        )
        parser.add_argument(
            "--outdated",
            action="store_true",
            help="images not analysed by the configured analyzer's current version",
        )
        parser.add_argument("--all", action="store_true", help="every image")
        parser.add_argument(
            "--renditions",
            action="store_true",
            help="make the renditions of images whose renditions predate today's "
            "sizes and format (no analysis); run again after an interruption",
        )
        parser.add_argument(
            "--started",
            metavar="TIME",
            help="resume an --all run that started at TIME (ISO 8601, as it "
            "printed): images analysed since then are skipped",
        )
        parser.add_argument(
            "--user", metavar="NAME", help="only the images of this user"
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="do not show a progress bar"
        )

    def handle(self, *args, **options):
        if options["renditions"]:
            self._renditions(options)
            return
        analyzer = get_analyzer()
        if analyzer is None:
            raise CommandError(
                "Analysis is off (GALLERY_ANALYZER=none); there is nothing to run."
            )
        started = self._started(options)
        if options["all"]:
            # Every analysis records when it ran, so the images this run has
            # renewed are known without any state of its own: run again with
            # the same start time and they are skipped.
            self.stdout.write(
                "If this run is interrupted, resume it with: manage.py reanalyze "
                f"--all --started {started.isoformat()}"
                + (f" --user {options['user']}" if options["user"] else "")
            )
        images = self._selected_images(options, analyzer, started)
        total = images.count()
        progress = tqdm(
            total=total,
            unit="image",
            file=_TqdmStream(self.stderr),
            disable=options["no_progress"] or not self.stderr.isatty(),
        )
        outcomes: Counter[str] = Counter()
        errors = 0
        with progress:
            for image in images.iterator(chunk_size=CHUNK_SIZE):
                try:
                    image_analyze(image=image)
                except Exception as error:
                    # image_analyze records every analysis failure itself; this
                    # is a bug or an outage, and one image must not stop the run.
                    errors += 1
                    progress.clear()
                    self.stderr.write(f"Error analysing {image.id}: {error!r}")
                else:
                    outcomes[image.analysis_status] += 1
                progress.update()
        self.stdout.write(
            f"Analysed {total} image{pluralize(total)}: "
            f"{outcomes[AnalysisStatus.DONE]} done, "
            f"{outcomes[AnalysisStatus.FAILED]} failed, "
            f"{outcomes[AnalysisStatus.SKIPPED]} skipped."
        )
        if errors:
            raise CommandError(
                f"{errors} image{pluralize(errors)} could not be analysed (see above)."
            )

    def _renditions(self, options) -> None:
        if any(options[name] for name in ("failed", "pending", "outdated", "all")):
            raise CommandError(
                "--renditions makes renditions only; analyse in a separate run."
            )
        # Images stored before the small thumbnail have JPEG renditions only;
        # images still waiting for the worker get theirs from it.
        images = Image.objects.filter(thumbnail_small="", processing=False).order_by(
            "created_at", "id"
        )
        if options["user"] is not None:
            images = images.filter(owner=self._user(options["user"]))
        made = cleared = 0
        for image in images.iterator(chunk_size=CHUNK_SIZE):
            image_renditions_rebuild(image=image)
            if image.thumbnail_small:
                made += 1
            else:
                cleared += 1
                self.stderr.write(f"Could not make the renditions of {image.id}.")
        self.stdout.write(
            f"Made the renditions of {made} image{pluralize(made)}"
            + (f"; {cleared} could not be read." if cleared else ".")
        )
        if cleared:
            raise CommandError(
                f"{cleared} image{pluralize(cleared)} could not be read (see above)."
            )

    def _started(self, options) -> datetime:
        if options["started"] is None:
            return timezone.now()
        if not options["all"]:
            raise CommandError("--started resumes an --all run; add --all.")
        started = parse_datetime(options["started"])
        if started is None:
            raise CommandError(
                f'--started "{options["started"]}" is not an ISO 8601 time.'
            )
        if timezone.is_naive(started):
            started = timezone.make_aware(started, UTC)
        return started

    def _selected_images(self, options, analyzer, started: datetime) -> QuerySet[Image]:
        statuses = []
        if options["failed"]:
            statuses.append(AnalysisStatus.FAILED)
        if options["pending"]:
            statuses.append(AnalysisStatus.PENDING)
        if not (statuses or options["outdated"] or options["all"]):
            raise CommandError(
                "Say which images to analyse: --failed, --pending, --outdated or --all."
            )
        images = Image.objects.order_by("created_at", "id")
        if options["all"]:
            images = images.filter(
                Q(analyzed_at__isnull=True) | Q(analyzed_at__lt=started)
            )
        else:
            chosen = Q(analysis_status__in=statuses)
            if options["outdated"]:
                # Every run records its analyzer and version, so what this one
                # already renewed is skipped: an interrupted run resumes.
                chosen |= ~Q(analyzer=analyzer.name, analyzer_version=analyzer.version)
            images = images.filter(chosen)
        if options["user"] is not None:
            images = images.filter(owner=self._user(options["user"]))
        return images

    def _user(self, name: str):
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: name})
        except User.DoesNotExist:
            raise CommandError(f'There is no user named "{name}".') from None


class _TqdmStream:
    """Lets tqdm draw on a command's OutputWrapper, which adds newlines itself."""

    def __init__(self, wrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")

    def flush(self) -> None:
        self._wrapper.flush()
