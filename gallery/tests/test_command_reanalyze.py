"""`manage.py reanalyze` runs the real analysis service on the chosen images."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command

from gallery import services
from gallery.analysis import (
    AnalysisError,
    AnalysisResult,
    AnalysisSkipped,
    BaseAnalyzer,
    Colors,
    Tag,
)
from gallery.models import AnalysisStatus, Image

pytestmark = pytest.mark.django_db

HERE = "gallery.tests.test_command_reanalyze"


class StubAnalyzer(BaseAnalyzer):
    """Describes the bytes it was given, so a test can tell which file it read."""

    name = "stub"
    version = "2"
    seen: list[str] = []

    def analyze(self, data: bytes) -> AnalysisResult:
        digest = hashlib.sha256(data).hexdigest()
        self.seen.append(digest)
        return AnalysisResult(
            description=f"{len(data)} bytes",
            description_confidence=0.5,
            tags=[Tag("stub", 0.9)],
            colors=Colors("red", "white", ["red", "white"], "#c82828", False),
        )


class RefusingAnalyzer(BaseAnalyzer):
    name = "refusing"

    def analyze(self, data: bytes) -> AnalysisResult:
        raise AnalysisError("The service refused the image.", code="InvalidImage")


class SkippingAnalyzer(BaseAnalyzer):
    name = "skipping"

    def analyze(self, data: bytes) -> AnalysisResult:
        raise AnalysisSkipped("Too small to analyse.")


class CrashingAnalyzer(BaseAnalyzer):
    name = "crashing"

    def analyze(self, data: bytes) -> AnalysisResult:
        raise RuntimeError("bug in the analyzer")


@pytest.fixture
def use_analyzer(settings):
    StubAnalyzer.seen = []

    def use(cls: type[BaseAnalyzer]) -> None:
        settings.GALLERY_ANALYZER = f"{HERE}.{cls.__name__}"

    return use


@pytest.fixture
def upload(make_upload):
    def upload(owner, status: str = AnalysisStatus.FAILED) -> Image:
        image = services.image_upload(owner=owner, file=make_upload())
        Image.objects.filter(pk=image.pk).update(analysis_status=status)
        return image

    return upload


def reanalyze(*args, stderr=None) -> str:
    out = io.StringIO()
    call_command("reanalyze", *args, stdout=out, stderr=stderr or io.StringIO())
    return out.getvalue()


def status_of(image: Image) -> str:
    return Image.objects.get(pk=image.pk).analysis_status


def test_with_analysis_off_an_upload_is_kept_and_marked_not_analysed(
    alice, alice_client, make_upload, settings
):
    settings.GALLERY_ANALYZER = "none"
    image = services.image_upload(owner=alice, file=make_upload())
    image.refresh_from_db()
    assert image.analysis_status == AnalysisStatus.SKIPPED
    assert image.analysis_error == "Analysis is off."
    assert "Not analysed" in alice_client.get(f"/images/{image.id}/").content.decode()


def test_failed_reanalyses_only_failed_images(alice, upload, use_analyzer):
    failed = [upload(alice), upload(alice)]
    skipped = upload(alice, AnalysisStatus.SKIPPED)
    use_analyzer(StubAnalyzer)

    output = reanalyze("--failed", "--no-progress")

    assert "Analysed 2 images: 2 done, 0 failed, 0 skipped." in output
    for image in failed:
        image = Image.objects.get(pk=image.pk)
        assert image.analysis_status == AnalysisStatus.DONE
        assert image.analyzer == "stub"
        # The analyzer was given the stored original, read back from storage.
        assert image.description == f"{image.size_bytes} bytes"
        assert image.tag_names == ["stub"]
        assert image.analysis_error == ""
    assert status_of(skipped) == AnalysisStatus.SKIPPED


def test_user_limits_the_run_to_that_users_images(alice, bob, upload, use_analyzer):
    alices = upload(alice)
    bobs = upload(bob)
    use_analyzer(StubAnalyzer)

    output = reanalyze("--failed", "--user", "bob")

    assert "Analysed 1 image: 1 done, 0 failed, 0 skipped." in output
    assert status_of(bobs) == AnalysisStatus.DONE
    assert status_of(alices) == AnalysisStatus.FAILED


def test_all_reanalyses_every_image(alice, bob, upload, use_analyzer):
    images = [
        upload(alice, AnalysisStatus.DONE),
        upload(alice, AnalysisStatus.SKIPPED),
        upload(bob, AnalysisStatus.FAILED),
    ]
    use_analyzer(StubAnalyzer)

    output = reanalyze("--all")

    assert "Analysed 3 images: 3 done, 0 failed, 0 skipped." in output
    assert {status_of(image) for image in images} == {AnalysisStatus.DONE}


def test_outdated_resumes_an_interrupted_run(alice, bob, upload, use_analyzer):
    renewed = upload(alice, AnalysisStatus.DONE)
    older = upload(alice, AnalysisStatus.DONE)
    never = upload(bob, AnalysisStatus.FAILED)
    Image.objects.filter(pk=older.pk).update(analyzer="stub", analyzer_version="1")
    use_analyzer(StubAnalyzer)
    services.image_analyze(image=renewed)  # done before the run was cut off
    StubAnalyzer.seen = []

    output = reanalyze("--outdated")

    assert "Analysed 2 images: 2 done" in output
    assert len(StubAnalyzer.seen) == 2
    for image in (renewed, older, never):
        image.refresh_from_db()
        assert (image.analyzer, image.analyzer_version) == ("stub", "2")
    assert "Analysed 0 images" in reanalyze("--outdated")


def test_pending_picks_images_whose_analysis_never_ran(alice, upload, use_analyzer):
    pending = upload(alice, AnalysisStatus.PENDING)
    failed = upload(alice, AnalysisStatus.FAILED)
    use_analyzer(StubAnalyzer)

    output = reanalyze("--pending")

    assert "Analysed 1 image: 1 done, 0 failed, 0 skipped." in output
    assert status_of(pending) == AnalysisStatus.DONE
    assert status_of(failed) == AnalysisStatus.FAILED


def test_failed_and_pending_combine(alice, upload, use_analyzer):
    images = [upload(alice, AnalysisStatus.PENDING), upload(alice)]
    untouched = upload(alice, AnalysisStatus.SKIPPED)
    use_analyzer(StubAnalyzer)

    reanalyze("--failed", "--pending")

    assert [status_of(image) for image in images] == [AnalysisStatus.DONE] * 2
    assert status_of(untouched) == AnalysisStatus.SKIPPED


def test_images_are_analysed_oldest_first(alice, upload, use_analyzer):
    first, second, third = upload(alice), upload(alice), upload(alice)
    # Upload order and age disagree: the command must follow created_at.
    newest = Image.objects.get(pk=first.pk).created_at
    Image.objects.filter(pk=third.pk).update(created_at=newest.replace(year=2001))
    Image.objects.filter(pk=second.pk).update(created_at=newest.replace(year=2002))
    use_analyzer(StubAnalyzer)

    reanalyze("--failed")

    assert StubAnalyzer.seen == [third.sha256, second.sha256, first.sha256]


def test_failures_are_recorded_and_counted(alice, upload, use_analyzer):
    images = [upload(alice), upload(alice)]
    use_analyzer(RefusingAnalyzer)

    output = reanalyze("--failed")

    assert "Analysed 2 images: 0 done, 2 failed, 0 skipped." in output
    for image in images:
        image = Image.objects.get(pk=image.pk)
        assert image.analysis_status == AnalysisStatus.FAILED
        assert image.analysis_error == "The service refused the image."


def test_skips_are_counted(alice, upload, use_analyzer):
    image = upload(alice)
    use_analyzer(SkippingAnalyzer)

    output = reanalyze("--failed")

    assert "Analysed 1 image: 0 done, 0 failed, 1 skipped." in output
    assert status_of(image) == AnalysisStatus.SKIPPED


def test_an_unexpected_error_does_not_stop_the_run(alice, upload, use_analyzer):
    images = [upload(alice), upload(alice)]
    use_analyzer(CrashingAnalyzer)
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="2 images could not be analysed"):
        reanalyze("--failed", stderr=stderr)

    for image in images:
        assert f"Error analysing {image.id}: RuntimeError" in stderr.getvalue()


def test_a_selection_is_required(alice, upload, use_analyzer):
    image = upload(alice)
    use_analyzer(StubAnalyzer)

    with pytest.raises(CommandError, match="--failed, --pending, --outdated or --all"):
        reanalyze("--user", "alice")

    assert status_of(image) == AnalysisStatus.FAILED


def test_an_unknown_user_is_an_error(alice, upload, use_analyzer):
    image = upload(alice)
    use_analyzer(StubAnalyzer)

    with pytest.raises(CommandError, match='no user named "carol"'):
        reanalyze("--failed", "--user", "carol")

    assert status_of(image) == AnalysisStatus.FAILED


def test_it_refuses_to_run_when_analysis_is_off(alice, upload):
    image = upload(alice)

    with pytest.raises(CommandError, match="Analysis is off"):
        reanalyze("--all")

    assert status_of(image) == AnalysisStatus.FAILED


def test_nothing_selected_reports_zero(alice, upload, use_analyzer):
    upload(alice, AnalysisStatus.DONE)
    use_analyzer(StubAnalyzer)

    assert "Analysed 0 images: 0 done, 0 failed, 0 skipped." in reanalyze("--failed")
    assert StubAnalyzer.seen == []


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_progress_bar(alice, upload, use_analyzer):
    upload(alice), upload(alice)
    use_analyzer(StubAnalyzer)

    terminal = Terminal()
    reanalyze("--failed", stderr=terminal)
    assert "2/2" in terminal.getvalue()


def test_no_progress_bar_without_a_terminal_or_with_no_progress(
    alice, upload, use_analyzer
):
    upload(alice)
    use_analyzer(StubAnalyzer)

    not_a_terminal = io.StringIO()
    reanalyze("--failed", stderr=not_a_terminal)
    assert not_a_terminal.getvalue() == ""

    Image.objects.update(analysis_status=AnalysisStatus.FAILED)
    terminal = Terminal()
    reanalyze("--failed", "--no-progress", stderr=terminal)
    assert terminal.getvalue() == ""


def test_an_interrupted_all_run_resumes_from_its_start_time(
    alice, bob, upload, use_analyzer
):
    images = [upload(alice, AnalysisStatus.DONE) for _ in range(3)]
    use_analyzer(StubAnalyzer)
    first = reanalyze("--all", "--user", "alice")
    resume = first.splitlines()[0]
    assert resume.startswith("If this run is interrupted, resume it with:")
    started = resume.split("--started ")[1].split()[0]
    # The run was cut off after its first image: the others were analysed
    # before it started.
    Image.objects.filter(pk__in=[i.pk for i in images[1:]]).update(
        analyzed_at="2020-01-01T00:00:00Z"
    )
    StubAnalyzer.seen = []

    output = reanalyze("--all", "--started", started)

    assert "Analysed 2 images: 2 done" in output
    assert len(StubAnalyzer.seen) == 2
    assert "Analysed 0 images" in reanalyze("--all", "--started", started)


def test_started_needs_all_and_a_time(alice, upload, use_analyzer):
    use_analyzer(StubAnalyzer)
    with pytest.raises(CommandError, match="add --all"):
        reanalyze("--failed", "--started", "2026-12-03T12:00:00+00:00")
    with pytest.raises(CommandError, match="not an ISO 8601 time"):
        reanalyze("--all", "--started", "yesterday")
