"""Renditions and analysis after the response, on the background worker."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from gallery import services
from gallery.models import AnalysisStatus, Image
from gallery.services import processing
from gallery.tests.analyzers import FIXED

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def in_background(settings):
    settings.GALLERY_PROCESSING = "worker"
    settings.GALLERY_ANALYZER = FIXED


def stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.django_db
def test_the_upload_answers_before_its_renditions_and_analysis(
    in_background, settings, alice, alice_client, make_upload
):
    response = alice_client.post("/images/upload/", {"images": [make_upload()]})
    assert response.status_code == 200
    image = Image.objects.get(owner=alice)
    assert image.processing
    assert not image.thumbnail and not image.preview
    assert image.analysis_status == AnalysisStatus.PENDING
    assert stored_files(settings) == [image.file.name]

    gallery = alice_client.get("/images/").content.decode()
    assert "Preparing…" in gallery
    detail = alice_client.get(f"/images/{image.id}/").content.decode()
    assert "Preparing the preview…" in detail
    assert "Analysing…" in detail

    assert services.image_process_next()
    assert not services.image_process_next()  # nothing else waits
    image.refresh_from_db()
    assert not image.processing
    assert image.thumbnail and image.preview
    assert image.analysis_status == AnalysisStatus.DONE
    assert image.description == "A photo from the worker"
    gallery = alice_client.get("/images/").content.decode()
    assert "Preparing…" not in gallery
    assert "A photo from the worker" in gallery
    detail = alice_client.get(f"/images/{image.id}/").content.decode()
    assert "Preparing the preview…" not in detail


@pytest.mark.django_db
def test_in_request_mode_the_response_comes_with_everything(
    settings, alice, alice_client, make_upload
):
    settings.GALLERY_PROCESSING = "request"
    settings.GALLERY_ANALYZER = FIXED
    alice_client.post("/images/upload/", {"images": [make_upload()]})
    image = Image.objects.get(owner=alice)
    assert not image.processing
    assert image.thumbnail and image.preview
    assert image.description == "A photo from the worker"


@pytest.mark.django_db
def test_reanalysis_goes_to_the_worker(in_background, alice, alice_client, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    assert services.image_process_next()
    alice_client.post(f"/images/{image.id}/reanalyze/")
    image.refresh_from_db()
    assert image.processing
    assert image.analysis_status == AnalysisStatus.PENDING
    assert image.thumbnail  # kept while it is analysed again
    assert services.image_process_next()
    image.refresh_from_db()
    assert image.analysis_status == AnalysisStatus.DONE
    assert not image.processing


@pytest.mark.django_db
def test_an_image_that_keeps_stopping_its_worker_is_given_up(
    in_background, alice, make_upload
):
    image = services.image_upload(owner=alice, file=make_upload())
    Image.objects.filter(pk=image.pk).update(
        processing_attempts=processing.MAX_ATTEMPTS
    )
    assert services.image_process_next()
    image.refresh_from_db()
    assert not image.processing
    assert image.analysis_status == AnalysisStatus.FAILED
    assert "several times" in image.analysis_error


@pytest.mark.django_db
def test_a_deleted_image_is_not_processed(in_background, alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    services.image_delete(image=image)
    assert not services.image_process_next()


# The worker as a process of its own, killed and restarted for real.


def start_worker(settings, *, seconds: float, drain: bool = False):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gallery.tests.worker_settings",
        "TEST_WORKER_DATABASE": connection.settings_dict["NAME"],
        "TEST_WORKER_MEDIA": str(settings.MEDIA_ROOT),
        "TEST_ANALYSIS_SECONDS": str(seconds),
    }
    command = [sys.executable, "manage.py", "process_images"]
    return subprocess.Popen(
        command + (["--drain"] if drain else []),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def advisory_locks_held() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        )
        return cursor.fetchone()[0]


def wait_until(condition, timeout=60.0, what="the worker"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not get there in {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_loses_nothing(
    in_background, settings, alice, make_upload
):
    image = services.image_upload(owner=alice, file=make_upload())
    worker = start_worker(settings, seconds=120)
    try:
        # Renditions are stored first; the analysis then takes two minutes.
        wait_until(
            lambda: (
                Image.objects.filter(pk=image.pk).exclude(thumbnail="").exists()
                and advisory_locks_held() == 1
            )
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    image.refresh_from_db()
    assert image.processing  # still waiting: nothing marked it done
    assert image.analysis_status != AnalysisStatus.DONE
    assert image.processing_attempts == 1
    # PostgreSQL lets go when its backend notices the client is gone, which
    # takes a moment on a busy machine.
    wait_until(lambda: advisory_locks_held() == 0, timeout=30, what="the lock")

    restarted = start_worker(settings, seconds=0, drain=True)
    output, _ = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, output
    assert "Processed 1 images." in output
    image.refresh_from_db()
    assert not image.processing
    assert image.analysis_status == AnalysisStatus.DONE
    assert image.processing_attempts == 2
    assert image.thumbnail.storage.exists(image.thumbnail.name)
    assert image.preview.storage.exists(image.preview.name)
    # The second attempt replaced the first one's renditions: no orphans.
    assert stored_files(settings) == sorted(
        [image.file.name, *(field.name for field in image.renditions)]
    )


@pytest.mark.django_db(transaction=True)
def test_a_backlog_drains_over_two_workers_with_nothing_stuck(
    in_background, settings, alice, make_upload
):
    settings.GALLERY_UPLOAD_LIMIT = 0
    count = 30
    for n in range(count):
        services.image_upload(owner=alice, file=make_upload(f"b{n}.jpg"))
    workers = [start_worker(settings, seconds=0, drain=True) for _ in range(2)]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    processed = [int(out.rsplit("Processed ", 1)[1].split()[0]) for out in outputs]
    assert sum(processed) == count  # each image by exactly one worker
    images = Image.objects.filter(owner=alice)
    assert images.count() == count
    assert not images.filter(processing=True).exists()
    assert not images.filter(thumbnail="").exists()
    assert set(images.values_list("analysis_status", flat=True)) == {"done"}
    assert set(images.values_list("processing_attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_an_analysis_is_stored_in_one_transaction(in_background, alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql.split()[0].upper())
        return execute(sql, params, many, context)

    # The test runs in a transaction, so an atomic block shows as a savepoint.
    with connection.execute_wrapper(record):
        services.image_analyze(image=Image.objects.get(pk=image.pk))
    writes = {"INSERT", "UPDATE", "DELETE"}
    # Nothing written outside a transaction: the faces' grouping has one of
    # its own, then the analysis and its index are written in one, last.
    depth, outside = 0, []
    for statement in statements:
        depth += {"SAVEPOINT": 1, "RELEASE": -1}.get(statement, 0)
        if depth == 0 and statement in writes:
            outside.append(statement)
    assert not outside, statements
    last = len(statements) - 1 - statements[::-1].index("SAVEPOINT")
    assert "UPDATE" in statements[last:]  # the analysis and its index


@pytest.mark.django_db
def test_background_workers_lower_their_cpu_priority(settings, monkeypatch):
    from django.core.management import call_command

    from image_repo_project import celery

    settings.GALLERY_WORKER_PRIORITY = "low"
    lowered: list[str] = []
    monkeypatch.setattr(
        processing, "worker_priority_lower", lambda: lowered.append("lowered")
    )
    celery._lower_the_priority()
    monkeypatch.setattr(processing, "image_process_next", lambda: False)
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # keep pytest's
    call_command("process_images", "--drain", stdout=io.StringIO())
    assert lowered == ["lowered", "lowered"]


PRIORITY_OF_A_WORKER = """
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "image_repo_project.settings"
django.setup()
from gallery.services.processing import worker_priority_lower
worker_priority_lower()
policy = os.sched_getscheduler(0)
print("idle" if policy == os.SCHED_IDLE else "other", os.nice(0))
"""


@pytest.mark.parametrize(
    ("priority", "expected"),
    [("idle", "idle 0"), ("low", "other 10"), ("normal", "other 0")],
)
def test_a_worker_takes_the_configured_priority(priority, expected):
    # A process of its own: a priority, once lowered, cannot be raised again.
    result = subprocess.run(
        [sys.executable, "-c", PRIORITY_OF_A_WORKER],
        cwd=ROOT,
        env={**os.environ, "GALLERY_WORKER_PRIORITY": priority},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split()[-2:] == expected.split(), result.stderr


def test_an_unknown_worker_priority_stops_the_start_with_its_name():
    result = subprocess.run(
        [sys.executable, "-c", PRIORITY_OF_A_WORKER],
        cwd=ROOT,
        env={**os.environ, "GALLERY_WORKER_PRIORITY": "fast"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "GALLERY_WORKER_PRIORITY must be one of idle, low, normal" in result.stderr


@pytest.mark.django_db
def test_a_worker_stopped_while_grouping_faces_leaves_the_image_queued(
    in_background, alice, make_upload, monkeypatch
):
    from gallery.services import analysis

    class WorkerKilled(BaseException):
        """Stands for the process dying: nothing after it runs."""

    def killed(**kwargs):
        raise WorkerKilled

    image = services.image_upload(owner=alice, file=make_upload())
    monkeypatch.setattr(analysis, "image_faces_record", killed)
    with pytest.raises(WorkerKilled):
        services.image_process_next()
    image.refresh_from_db()
    # Not finished: the next claim analyses it again and records its faces.
    assert image.processing
    assert image.analysis_status != AnalysisStatus.DONE

    recorded = []
    monkeypatch.setattr(
        analysis, "image_faces_record", lambda **kwargs: recorded.append(kwargs)
    )
    assert services.image_process_next()
    image.refresh_from_db()
    assert [call["image"].pk for call in recorded] == [image.pk]
    assert not image.processing
    assert image.analysis_status == AnalysisStatus.DONE
