"""Search by meaning, combined with search by words, scoped to the owner.

The images carry real analysis records: what the offline analyzer said about
scikit-image's sample photos (gallery/tests/data/sample_analyses.json, made by
bench/analysis_quality.py). Each test runs twice: ranking by pgvector (where
the database has it) and the streamed fallback in Python.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from gallery import semantic, services, similarity
from gallery.analysis import AnalysisResult, BaseAnalyzer, Colors, Tag
from gallery.models import ImageTextEmbedding

pytestmark = pytest.mark.django_db

RECORDS = json.loads(
    (Path(__file__).with_name("data") / "sample_analyses.json").read_text()
)
SCRIPT: dict[str, AnalysisResult] = {}


class RecordedAnalyzer(BaseAnalyzer):
    """Answers with the recorded analysis of the photo the bytes stand for."""

    name = "local"
    version = "recorded"

    def analyze(self, data: bytes) -> AnalysisResult:
        return SCRIPT[hashlib.sha256(data).hexdigest()]


def result_of(record: dict) -> AnalysisResult:
    fg, bg, dominant, accent, bw = record["colors"]
    return AnalysisResult(
        description=record["description"],
        description_confidence=0.8,
        tags=[Tag(name, conf, count) for name, conf, count in record["tags"]],
        colors=Colors(fg, bg, dominant, accent, bw),
    )


@pytest.fixture(params=["pgvector", "python"])
def ranking(request, settings, monkeypatch):
    settings.GALLERY_ANALYZER = "gallery.tests.test_semantic_search.RecordedAnalyzer"
    settings.GALLERY_UPLOAD_LIMIT = 0
    if request.param == "pgvector":
        if not similarity.pgvector_enabled(semantic.TABLE):
            pytest.skip("This PostgreSQL has no pgvector; the fallback is tested.")
    else:
        monkeypatch.setattr(similarity, "pgvector_enabled", lambda *table: False)
    return request.param


@pytest.fixture
def library(ranking, alice, bob, make_upload, make_image_bytes):
    shade = iter(range(1, 250))

    def add(owner, photo):
        data = make_image_bytes("PNG", color=(next(shade), 20, 20))
        SCRIPT[hashlib.sha256(data).hexdigest()] = result_of(RECORDS[photo])
        return services.image_upload(owner=owner, file=make_upload(photo, data=data))

    images = {photo: add(alice, photo) for photo in RECORDS}
    images["bobs cat"] = add(bob, "chelsea.png")
    yield images
    SCRIPT.clear()


def found(client, **params) -> list[str]:
    response = client.get("/images/", params)
    assert response.status_code == 200
    return [image.original_filename for image in response.context["page"].object_list]


def test_every_analysed_image_gets_a_text_embedding(library):
    assert ImageTextEmbedding.objects.filter(owner=library["coffee.png"].owner).count()
    assert ImageTextEmbedding.objects.count() == len(library)


@pytest.mark.parametrize(
    ("query", "photo"),
    [
        ("kitten", "chelsea.png"),
        ("hot beverage", "coffee.png"),
        ("two people", "two_people"),
        ("red motorbike", "motorcycle_left.png"),
        ("space launch", "rocket.jpg"),
    ],
)
def test_words_that_are_not_in_the_analysis_find_the_photo(
    alice_client, library, query, photo
):
    results = found(alice_client, q=query)
    assert results[0] == photo


def test_meaning_alone_does_not_return_everything(alice_client, library):
    results = found(alice_client, q="kitten")
    assert "coffee.png" not in results and "rocket.jpg" not in results


def test_photos_with_the_words_come_before_photos_with_the_meaning(
    alice_client, library
):
    # "person" is a word of three analyses; the others only resemble it.
    results = found(alice_client, q="person")
    assert set(results[:3]) == {"astronaut.png", "camera.png", "two_people"}


def test_search_by_meaning_is_owner_scoped(bob_client, alice_client, library):
    assert found(bob_client, q="kitten") == ["chelsea.png"]
    assert found(bob_client, q="hot beverage") == []
    bobs = library["bobs cat"]
    assert all(
        image.owner_id != bobs.owner_id
        for image in alice_client.get("/images/", {"q": "kitten"})
        .context["page"]
        .object_list
    )


def test_the_red_motorcycle_is_red(alice_client, library):
    assert "motorcycle_left.png" in found(alice_client, color="red")


def test_reanalysis_replaces_the_text_embedding(library):
    image = library["coffee.png"]
    services.image_analyze(image=image)
    assert ImageTextEmbedding.objects.filter(image_id=image.pk).count() == 1


def test_deleting_images_deletes_their_text_embeddings(alice, library):
    services.image_delete_all(owner=alice)
    assert not ImageTextEmbedding.objects.filter(owner=alice).exists()


def test_a_colour_alone_is_searched_by_its_word_not_its_meaning(alice_client, library):
    # Every colour is close to every other for the sentence model.
    assert semantic.images_by_meaning(owner_id=library["coffee.png"].owner_id,
                                      text="blue") == []  # fmt: skip
    assert "coins.png" not in found(alice_client, q="blue")
