"""Analysis as a Celery task on a real Redis broker and a real worker."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.exceptions import Retry
from kombu.exceptions import OperationalError

from gallery import services
from gallery.analysis import AnalysisError
from gallery.models import AnalysisStatus, Image
from gallery.tasks import analyze_image, process_image, retry_delay
from gallery.tests.analyzers import FIXED, FixedAnalyzer
from gallery.tests.support import BROKER, component_missing, redis_answers
from image_repo_project.celery import app

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def celery_worker(settings):
    if not redis_answers():
        component_missing("No Redis on 127.0.0.1:6379.")
    settings.CELERY_BROKER_URL = BROKER
    settings.GALLERY_ANALYZER = FIXED
    settings.GALLERY_PROCESSING = "worker"
    app.conf.broker_url = BROKER
    app.conf.result_backend = None
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    app.conf.broker_url = None


def wait_for_status(image_id, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        image = Image.objects.get(pk=image_id)
        if not image.is_pending:
            return image
        time.sleep(0.1)
    raise AssertionError("analysis did not finish on the worker")


def test_the_upload_is_queued_and_the_worker_analyses_it(
    celery_worker, alice, alice_client, make_upload
):
    alice_client.post("/images/upload/", {"images": [make_upload("queued.jpg")]})
    image = Image.objects.get(owner=alice)
    done = wait_for_status(image.id)
    assert done.analysis_status == AnalysisStatus.DONE
    assert done.description == "A photo from the worker"
    assert done.analyzer == "fixed"
    assert done.thumbnail and done.preview
    assert not done.processing
    page = alice_client.get(f"/images/{image.id}/").content.decode()
    assert "A photo from the worker" in page


def test_a_queued_image_shows_as_analysing(settings, alice, alice_client, make_upload):
    # A broker is configured but no worker runs: the image waits in the queue.
    settings.CELERY_BROKER_URL = BROKER
    settings.GALLERY_PROCESSING = "worker"
    if not redis_answers():
        component_missing("No Redis on 127.0.0.1:6379.")
    app.conf.broker_url = BROKER
    try:
        image = services.image_upload(owner=alice, file=make_upload())
        app.control.purge()
    finally:
        app.conf.broker_url = None
    assert Image.objects.get(pk=image.pk).analysis_status == AnalysisStatus.PENDING
    assert "Analysing…" in alice_client.get(f"/images/{image.id}/").content.decode()
    assert "Analysing…" in alice_client.get("/images/").content.decode()


def test_in_request_mode_analysis_runs_inline(settings, alice, make_upload):
    settings.GALLERY_ANALYZER = FIXED
    image = services.image_upload(owner=alice, file=make_upload())
    image.refresh_from_db()
    assert image.analysis_status == AnalysisStatus.DONE
    assert image.description == "A photo from the worker"


def test_an_unreachable_broker_falls_back_to_inline_analysis(
    settings, alice, alice_client, make_upload, monkeypatch
):
    settings.GALLERY_ANALYZER = FIXED
    settings.CELERY_BROKER_URL = BROKER
    settings.GALLERY_PROCESSING = "worker"

    def broker_down(*args, **kwargs):
        # What kombu raises when Redis refuses the connection.
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(app, "send_task", broker_down)
    response = alice_client.post("/images/upload/", {"images": [make_upload()]})
    assert response.status_code == 200
    image = Image.objects.get(owner=alice)
    assert image.analysis_status == AnalysisStatus.DONE
    assert image.thumbnail


class BusyAnalyzer(FixedAnalyzer):
    """Azure at its rate limit: retryable, with a Retry-After hint."""

    def analyze(self, data):
        raise AnalysisError("Rate limit reached.", retryable=True, retry_after=17)


def test_a_rate_limited_task_retries_after_the_hint(
    settings, alice, make_upload, monkeypatch
):
    settings.GALLERY_PROCESSING = "worker"
    image = services.image_upload(owner=alice, file=make_upload())
    settings.GALLERY_ANALYZER = "gallery.tests.test_celery.BusyAnalyzer"
    countdowns = []

    def scheduled_retry(exc=None, countdown=None, **options):
        # What the broker would be asked: run again in `countdown` seconds.
        countdowns.append(countdown)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(process_image, "retry", scheduled_retry)
    result = process_image.apply(args=[str(image.id)], throw=False)
    assert result.state == "RETRY"
    assert countdowns == [17]
    image.refresh_from_db()
    assert image.analysis_status == AnalysisStatus.FAILED
    assert image.analysis_error == "Rate limit reached."
    assert image.thumbnail  # the renditions did not wait for the analysis
    assert image.processing  # the job stays open for the retry
    settings.GALLERY_ANALYZER = FIXED
    assert process_image.apply(args=[str(image.id)]).get() == "processed"
    image.refresh_from_db()
    assert image.analysis_status == AnalysisStatus.DONE
    assert not image.processing
    assert retry_delay(AnalysisError("x", retryable=True), 0) == 5
    assert retry_delay(AnalysisError("x", retryable=True, retry_after=17), 3) == 17


def test_tasks_queued_under_the_old_analysis_name_are_processed(
    settings, alice, make_upload
):
    settings.GALLERY_PROCESSING = "worker"
    settings.GALLERY_ANALYZER = FIXED
    image = services.image_upload(owner=alice, file=make_upload())
    assert analyze_image.apply(args=[str(image.id)]).get() == "processed"
    image.refresh_from_db()
    assert image.analysis_status == AnalysisStatus.DONE
    assert image.thumbnail
