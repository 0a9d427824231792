"""The gallery's cached months and tag chips: each change of the library
through a service shows on the next page, and no one sees another's."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gallery import selectors, services
from gallery.analysis import AnalysisResult
from gallery.models import Image
from gallery.services.indexing import library_changed
from gallery.tests.analyzers import FIXED, FixedAnalyzer

pytestmark = pytest.mark.django_db


@pytest.fixture
def dated(alice, make_upload, settings):
    """Alice's photos uploaded in given months."""
    settings.GALLERY_UPLOAD_LIMIT = 0

    def add(name: str, year: int, month: int, owner=None) -> Image:
        image = services.image_upload(owner=owner or alice, file=make_upload(name))
        when = timezone.make_aware(datetime.datetime(year, month, 15, 12))
        Image.objects.filter(pk=image.pk).update(created_at=when)
        return image

    return add


def months(client) -> list[str]:
    return [
        option.value
        for group in client.get("/images/").context["months"]
        for option in group.months
    ]


def chips(client) -> dict[str, int]:
    response = client.get("/images/")
    return {tag: count for tag, count, _ in response.context["tag_chips"]}


class UntaggingAnalyzer(FixedAnalyzer):
    """Finds no tags at all."""

    def analyze(self, data: bytes) -> AnalysisResult:
        return dataclasses.replace(super().analyze(data), tags=[])


def analyse(image: Image, settings, analyzer: str = FIXED) -> None:
    """Analyse the image (FIXED tags every photo "worker"); uploads stay
    unanalysed."""
    settings.GALLERY_ANALYZER = analyzer
    services.image_analyze(image=Image.objects.get(pk=image.pk))
    settings.GALLERY_ANALYZER = "none"


def sql_of(client, url: str = "/images/") -> str:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return "\n".join(query["sql"] for query in captured)


def test_a_page_seen_again_reads_neither_months_nor_tags(alice_client, dated):
    dated("june.jpg", 2025, 6)
    dated("november.jpg", 2026, 11)
    first = sql_of(alice_client)
    assert "WITH RECURSIVE" in first and "gallery_ownertag" in first
    again = sql_of(alice_client, "/images/?page=1")
    assert "WITH RECURSIVE" not in again and "gallery_ownertag" not in again
    assert months(alice_client) == ["2026-11", "2025-06"]


def test_uploads_trash_restore_and_deletion_change_the_months(
    alice, alice_client, dated
):
    dated("june.jpg", 2025, 6)
    dated("november.jpg", 2026, 11)
    assert months(alice_client) == ["2026-11", "2025-06"]
    january = dated("january.jpg", 2024, 1)
    assert months(alice_client) == ["2026-11", "2025-06", "2024-01"]
    services.images_trash(owner=alice, ids=[january.pk])
    assert months(alice_client) == ["2026-11", "2025-06"]
    services.images_restore(owner=alice, ids=[january.pk])
    assert months(alice_client) == ["2026-11", "2025-06", "2024-01"]
    services.image_delete_for_owner(owner=alice, ids=[january.pk])
    assert months(alice_client) == ["2026-11", "2025-06"]
    services.image_delete_all(owner=alice)
    assert months(alice_client) == []


def test_analysis_trash_restore_and_deletion_change_the_tag_chips(
    alice, alice_client, dated, settings
):
    first, second = dated("one.jpg", 2025, 6), dated("two.jpg", 2025, 7)
    assert chips(alice_client) == {}
    analyse(first, settings)
    assert chips(alice_client) == {"worker": 1}
    analyse(second, settings)
    assert chips(alice_client) == {"worker": 2}
    services.images_trash(owner=alice, ids=[first.pk])
    assert chips(alice_client) == {"worker": 1}
    services.images_restore(owner=alice, ids=[first.pk])
    assert chips(alice_client) == {"worker": 2}
    services.image_delete_for_owner(owner=alice, ids=[second.pk])
    assert chips(alice_client) == {"worker": 1}
    # Analysed again by an analyzer that finds no tags: the chip goes.
    analyse(first, settings, f"{__name__}.UntaggingAnalyzer")
    assert Image.objects.get(pk=first.pk).tag_names == []
    assert chips(alice_client) == {}


def test_the_trash_emptied_or_purged_leaves_the_cached_months_true(
    alice, alice_client, dated
):
    dated("june.jpg", 2025, 6)
    trashed = dated("january.jpg", 2024, 1)
    services.images_trash(owner=alice, ids=[trashed.pk])
    assert months(alice_client) == []  # one month only: no index to jump in
    dated("november.jpg", 2026, 11)
    assert months(alice_client) == ["2026-11", "2025-06"]
    services.trash_empty(owner=alice)
    assert months(alice_client) == ["2026-11", "2025-06"]


def test_a_library_is_cached_for_its_owner_only(
    alice, bob, alice_client, bob_client, dated, settings
):
    analysed = dated("alices.jpg", 2025, 6)
    dated("alices-too.jpg", 2026, 11)
    analyse(analysed, settings)
    assert chips(alice_client) == {"worker": 1}
    assert months(alice_client) == ["2026-11", "2025-06"]
    # Bob's library: one month, no tags, however warm Alice's cache is.
    dated("bobs.jpg", 2023, 3, owner=bob)
    assert chips(bob_client) == {}
    assert months(bob_client) == []
    page = bob_client.get("/images/").content.decode()
    assert "worker" not in page and "2026-11" not in page
    alice_library = selectors.library_get(owner=alice)
    bob_library = selectors.library_get(owner=bob)
    assert alice_library.version != bob_library.version
    # Even handed Alice's version, Bob's cache key is his own.
    assert selectors.tag_counts(owner=bob, library=alice_library) == []


def test_a_change_from_another_process_shows_at_once(alice, alice_client, dated):
    """The version lives in the database: a process whose cache still holds
    the old months sees the new ones as soon as another process changed the
    library (here the change bypasses this process's cache entirely)."""
    dated("june.jpg", 2025, 6)
    dated("november.jpg", 2026, 11)
    assert months(alice_client) == ["2026-11", "2025-06"]
    with connection.cursor() as cursor:  # what another process's upload writes
        cursor.execute(
            "UPDATE gallery_image SET created_at = %s WHERE original_filename = %s",
            [timezone.make_aware(datetime.datetime(2020, 2, 2)), "june.jpg"],
        )
    library_changed(alice.pk)
    assert months(alice_client) == ["2026-11", "2020-02"]


def test_an_unreachable_cache_costs_only_the_queries(
    alice, alice_client, dated, settings, monkeypatch
):
    analyse(dated("june.jpg", 2025, 6), settings)
    dated("november.jpg", 2026, 11)

    class Down:
        def get(self, *args, **kwargs):
            raise ConnectionError("cache down")

        set = get

    monkeypatch.setattr(selectors, "cache", Down())
    assert chips(alice_client) == {"worker": 1}
    assert months(alice_client) == ["2026-11", "2025-06"]
