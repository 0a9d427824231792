"""Similar images and near-duplicates, from the offline model's embeddings.

Runs the real offline analyzer. Each test runs twice: ranking in PostgreSQL
with pgvector (where the database has it) and the exact fallback in Python.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageEnhance, ImageOps

from bench import synthetic
from gallery import selectors, services, similarity
from gallery.analysis.local import model as local_model
from gallery.tests.support import unit_vector

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    local_model.reset_model()
    yield tmp_path_factory.mktemp("models")
    local_model.reset_model()


@pytest.fixture(params=["pgvector", "python"])
def ranking(request, settings, model_dir, monkeypatch):
    settings.GALLERY_ANALYZER = "local"
    settings.GALLERY_MODEL_DIR = model_dir
    settings.GALLERY_UPLOAD_LIMIT = 0
    if request.param == "pgvector":
        if not similarity.pgvector_enabled():
            pytest.skip("This PostgreSQL has no pgvector; the fallback is tested.")
    else:
        monkeypatch.setattr(similarity, "pgvector_enabled", lambda *table: False)
    return request.param


def jpeg(image: PILImage.Image, quality: int = 90) -> bytes:
    return synthetic.jpeg_bytes(image, quality)


@pytest.fixture
def photos(ranking, alice, make_upload):
    """Eight different photos of alice's, by seed."""
    return {
        seed: services.image_upload(
            owner=alice,
            file=make_upload(
                f"photo-{seed}.jpg", data=jpeg(synthetic.photo_like(seed))
            ),
        )
        for seed in range(200, 208)
    }


def test_every_analysed_image_gets_an_embedding(photos):
    image = photos[200]
    image.refresh_from_db()
    vector = similarity.embedding_read(image.pk)
    assert vector.shape == (256,)
    assert abs(float(vector @ vector) - 1) < 1e-3


def test_an_edited_copy_finds_its_original_first(
    photos, alice, alice_client, make_upload
):
    original = synthetic.photo_like(203)
    edited = ImageEnhance.Brightness(
        ImageOps.mirror(original.crop((30, 20, 610, 460)))
    ).enhance(1.2)
    copy = services.image_upload(
        owner=alice, file=make_upload("edited.jpg", data=jpeg(edited, 60))
    )
    response = alice_client.get(f"/images/{copy.id}/similar/")
    assert response.status_code == 200
    matches = response.context["matches"]
    assert matches[0][0].id == photos[203].id
    assert len(matches) == 8
    scores = [score for _, score in matches]
    assert scores == sorted(scores, reverse=True)


def test_similar_images_never_include_another_users(photos, bob, make_upload):
    theirs = services.image_upload(
        owner=bob, file=make_upload("bobs.jpg", data=jpeg(synthetic.photo_like(203)))
    )
    theirs.refresh_from_db()
    assert selectors.similar_images(image=theirs) == []
    assert all(
        match.owner_id != bob.id
        for match, _ in selectors.similar_images(image=photos[203])
    )


def test_a_resized_reencoded_copy_is_listed_as_a_near_duplicate(
    photos, alice, alice_client, make_upload
):
    smaller = synthetic.photo_like(205).resize((480, 360))
    copy = services.image_upload(
        owner=alice, file=make_upload("smaller.jpg", data=jpeg(smaller, 50))
    )
    duplicates = alice_client.get(f"/images/{copy.id}/").context["near_duplicates"]
    assert [image.id for image, _ in duplicates] == [photos[205].id]
    page = alice_client.get(f"/images/{photos[205].id}/").content.decode()
    assert "Near-duplicates in your library" in page
    assert f"/images/{copy.id}/" in page


def test_different_photos_are_not_near_duplicates(photos, alice_client):
    assert (
        alice_client.get(f"/images/{photos[200].id}/").context["near_duplicates"] == []
    )


def test_an_image_without_embedding_explains_why(
    ranking, alice, alice_client, settings, make_upload
):
    settings.GALLERY_ANALYZER = "none"
    image = services.image_upload(owner=alice, file=make_upload())
    page = alice_client.get(f"/images/{image.id}/similar/").content.decode()
    assert "has not been analysed yet" in page


def test_another_users_similar_page_is_404(photos, bob_client):
    assert bob_client.get(f"/images/{photos[200].id}/similar/").status_code == 404


def test_an_azure_described_image_still_gets_an_offline_embedding(
    ranking, settings, alice, make_upload, fake_azure
):
    settings.GALLERY_ANALYZER = "azure"
    settings.AZURE_CV_KEY = fake_azure.key
    settings.AZURE_CV_ENDPOINT = fake_azure.endpoint
    image = services.image_upload(
        owner=alice, file=make_upload("azure.jpg", data=jpeg(synthetic.photo_like(9)))
    )
    image.refresh_from_db()
    assert image.analyzer == "azure"
    assert similarity.embedding_read(image.pk) is not None


def test_stored_embeddings_keep_their_size_and_cosine():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((50, similarity.EMBEDDING_DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    stored = b"".join(similarity.to_bytes(vector) for vector in vectors)
    assert len(stored) == 50 * 260
    restored = similarity.from_bytes(stored)
    exact = vectors @ vectors[0]
    assert np.abs(restored @ vectors[0] - exact).max() < 0.002


@pytest.mark.django_db(transaction=True)
def test_deleting_images_and_users_removes_their_embeddings(
    photos, alice, bob, make_upload
):
    from gallery.models import ImageEmbedding

    services.image_upload(
        owner=bob, file=make_upload("bobs.jpg", data=jpeg(synthetic.photo_like(77)))
    )
    services.image_delete_many(images=[photos[200], photos[201]])
    assert ImageEmbedding.objects.filter(owner=alice).count() == 6
    services.user_delete(user=alice)
    assert ImageEmbedding.objects.filter(owner_id=alice.pk).count() == 0
    assert ImageEmbedding.objects.filter(owner=bob).count() == 1


def test_the_similar_page_leaves_out_unrelated_photos(ranking, alice, alice_client):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    photos = Path(__file__).parent / "data" / "photos"
    uploaded = {
        name: services.image_upload(
            owner=alice,
            file=SimpleUploadedFile(name, (photos / name).read_bytes()),
        )
        for name in ("cat.jpg", "coffee.jpg", "rocket.jpg")
    }
    copy = synthetic.jpeg_bytes(PILImage.open(photos / "cat.jpg").resize((300, 200)))
    services.image_upload(owner=alice, file=SimpleUploadedFile("cat-small.jpg", copy))
    response = alice_client.get(f"/images/{uploaded['cat.jpg'].id}/similar/")
    names = [image.original_filename for image, _ in response.context["matches"]]
    assert names == ["cat-small.jpg"]
    # Nothing to tick on this page: no boxes without a bar.
    assert 'type="checkbox"' not in response.content.decode()


@pytest.fixture
def library(ranking, settings, alice, bob, make_upload):
    """alice's photo with a copy, one alike, one unrelated and one alike in
    the trash; bob has a photo just like it. Embeddings are set by hand."""
    settings.GALLERY_ANALYZER = "none"
    made = {}
    for owner, name, alike in (
        (alice, "source.jpg", 1.0),
        (alice, "copy.jpg", 0.97),
        (alice, "alike.jpg", 0.7),
        (alice, "unrelated.jpg", 0.1),
        (alice, "trashed.jpg", 0.8),
        (bob, "bobs.jpg", 0.99),
    ):
        image = services.image_upload(owner=owner, file=make_upload(name))
        services.image_index(image=image, embedding=unit_vector(alike, 1 + len(made)))
        made[name] = image
    services.images_trash(owner=alice, ids=[made["trashed.jpg"].pk])
    return made


def test_the_photo_page_lists_similar_photos_above_the_cut_off(
    library, alice_client, bob_client
):
    source = library["source.jpg"]
    response = alice_client.get(f"/images/{source.id}/")
    context = response.context
    assert [image.original_filename for image, _ in context["near_duplicates"]] == [
        "copy.jpg"
    ]
    assert [image.original_filename for image, _ in context["similar"]] == ["alike.jpg"]
    page = response.content.decode()
    assert "Similar photos" in page
    assert f'href="/images/{library["alike.jpg"].id}/"' in page
    assert "70% alike" in page
    for name in ("unrelated.jpg", "trashed.jpg", "bobs.jpg"):
        assert str(library[name].id) not in page, name
    # Another owner's photo answers 404, like a missing one.
    assert bob_client.get(f"/images/{source.id}/").status_code == 404


def test_the_similar_photos_cost_the_same_queries_however_many(
    library, alice, make_upload, alice_client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    source = library["source.jpg"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(f"/images/{source.id}/").status_code == 200
        return len(captured)

    queries()  # once for what a first request reads and caches
    before = queries()
    for n in range(5):
        image = services.image_upload(owner=alice, file=make_upload(f"more-{n}.jpg"))
        services.image_index(image=image, embedding=unit_vector(0.6, 20 + n))
    shown = alice_client.get(f"/images/{source.id}/").context["similar"]
    assert len(shown) == 6
    assert queries() == before
