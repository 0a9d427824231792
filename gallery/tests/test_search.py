"""Finding images by words, tags and colours, scoped to the owner."""

from __future__ import annotations

import hashlib

import pytest

from gallery import services
from gallery.analysis import AnalysisResult, BaseAnalyzer, Colors, Tag
from gallery.models import Image, OwnerTag

pytestmark = pytest.mark.django_db

# What the scripted analyzer answers, by the SHA-256 of the image's bytes.
SCRIPT: dict[str, AnalysisResult] = {}


class ScriptedAnalyzer(BaseAnalyzer):
    name = "scripted"

    def analyze(self, data: bytes) -> AnalysisResult:
        return SCRIPT[hashlib.sha256(data).hexdigest()]


@pytest.fixture
def add_image(settings, make_upload, make_image_bytes):
    settings.GALLERY_ANALYZER = "gallery.tests.test_search.ScriptedAnalyzer"
    settings.GALLERY_UPLOAD_LIMIT = 0
    shade = iter(range(1, 250))

    def add(owner, name, description, tags=(), colors=("gray",), accent="#808080"):
        data = make_image_bytes("PNG", color=(next(shade), 10, 10))
        SCRIPT[hashlib.sha256(data).hexdigest()] = AnalysisResult(
            description=description,
            description_confidence=0.8,
            tags=[Tag(tag, 0.9) for tag in tags],
            colors=Colors(colors[0], colors[-1], list(colors), accent, False),
        )
        return services.image_upload(owner=owner, file=make_upload(name, data=data))

    yield add
    SCRIPT.clear()


@pytest.fixture
def library(alice, bob, add_image):
    return {
        "cat": add_image(
            alice,
            "IMG_0001.jpg",
            "A photo of a tabby cat",
            ["tabby cat", "cat", "animal"],
            ["gray", "white"],
            "#7a6a5a",
        ),
        "cats": add_image(
            alice,
            "kittens.jpg",
            "A photo of two cats on a sofa",
            ["cat", "sofa"],
            ["brown"],
            "#8b5a2b",
        ),
        "beach": add_image(
            alice,
            "holiday_beach.jpg",
            "A photo of a sandy beach",
            ["beach", "sea"],
            ["blue", "yellow"],
            "#2a6fdb",
        ),
        "sea": add_image(
            alice,
            "boat.png",
            "A photo of a boat at sea",
            ["boat", "sea", "vehicle"],
            ["blue"],
            "#1f4fa8",
        ),
        "forest": add_image(
            alice,
            "walk.jpg",
            "A photo of a pine forest",
            ["forest", "tree"],
            ["green"],
            "#2e9d4a",
        ),
        "bobs_cat": add_image(
            bob, "bobs-cat.jpg", "A photo of a cat", ["cat"], ["gray"], "#777777"
        ),
    }


def names(response) -> list[str]:
    return [image.original_filename for image in response.context["page"].object_list]


def test_words_find_descriptions_with_stemming(alice_client, library):
    found = names(alice_client.get("/images/?q=cats"))
    assert set(found) == {"IMG_0001.jpg", "kittens.jpg"}


def test_search_never_shows_another_users_images(alice_client, library):
    assert "bobs-cat.jpg" not in names(alice_client.get("/images/?q=cat"))
    assert "bobs-cat.jpg" not in names(alice_client.get("/images/?tag=cat"))
    assert "bobs-cat.jpg" not in names(alice_client.get("/images/?color=gray"))


def test_photos_with_every_word_come_first(alice_client, library):
    # Photos that only resemble the words in meaning may follow (the beach
    # is about the sea too): gallery/tests/test_semantic_search.py.
    found = names(alice_client.get("/images/?q=boat sea"))
    assert found[0] == "boat.png"
    assert "walk.jpg" not in found


def test_the_last_word_matches_as_a_prefix_while_typing(alice_client, library):
    assert names(alice_client.get("/images/?q=fore")) == ["walk.jpg"]


def test_tags_and_filenames_are_searchable(alice_client, library):
    assert names(alice_client.get("/images/?q=vehicle")) == ["boat.png"]
    assert names(alice_client.get("/images/?q=holiday")) == ["holiday_beach.jpg"]


def test_the_best_match_comes_first(alice_client, library):
    # "sea" is in the description of the boat, only a tag of the beach.
    assert names(alice_client.get("/images/?q=sea")) == [
        "boat.png",
        "holiday_beach.jpg",
    ]


def test_punctuation_cannot_break_the_query(alice_client, library):
    for text in ["cat & | !", "'):*", "<>", "   ", "ça"]:
        response = alice_client.get("/images/", {"q": text})
        assert response.status_code == 200


def test_a_tag_filter_is_exact(alice_client, library):
    assert set(names(alice_client.get("/images/?tag=cat"))) == {
        "IMG_0001.jpg",
        "kittens.jpg",
    }
    assert names(alice_client.get("/images/?tag=ca")) == []


def test_the_gallery_shows_the_most_common_tags_with_counts(alice_client, library):
    response = alice_client.get("/images/")
    counts = {tag: count for tag, count, _ in response.context["tag_chips"]}
    assert counts["cat"] == 2
    assert counts["sea"] == 2
    assert 'href="?tag=cat"' in response.content.decode()


def test_a_tag_chip_keeps_the_words_and_the_colour(alice_client, library):
    page = alice_client.get("/images/?q=photo&color=%233366cc&page=2&tag=sea")
    html = page.content.decode()
    assert 'href="?q=photo&amp;color=%233366cc&amp;tag=cat"' in html
    # Following it keeps the words and the colour, on the first page.
    response = alice_client.get("/images/?q=photo&color=%233366cc&tag=cat")
    assert response.context["filters"].q == "photo"
    assert response.context["filters"].color == "#3366cc"


def test_a_colour_name_matches_dominant_foreground_or_background(alice_client, library):
    assert set(names(alice_client.get("/images/?color=blue"))) == {
        "holiday_beach.jpg",
        "boat.png",
    }
    assert names(alice_client.get("/images/?color=yellow")) == ["holiday_beach.jpg"]


def test_a_hex_colour_orders_by_perceptual_distance(alice_client, library):
    # The beach's accent is #2a6fdb and the boat's #1f4fa8: each query sits
    # next to one of them, so only the distance can put that one first (the
    # date order alone would put the newer boat first both times).
    near_beach = names(alice_client.get("/images/", {"color": "#2c70d8"}))
    assert near_beach[:2] == ["holiday_beach.jpg", "boat.png"]
    near_boat = names(alice_client.get("/images/", {"color": "#2050a0"}))
    assert near_boat[:2] == ["boat.png", "holiday_beach.jpg"]
    # Far colours are cut off: no green forest for a blue query.
    assert "walk.jpg" not in near_beach + near_boat


def test_a_nonsense_colour_is_explained(alice_client, library):
    response = alice_client.get("/images/", {"color": "bluish"})
    assert response.status_code == 200
    assert "is not a colour" in response.content.decode()
    assert len(names(response)) == 5


def test_filters_combine(alice_client, library):
    assert names(alice_client.get("/images/?q=photo&color=green")) == ["walk.jpg"]
    assert names(alice_client.get("/images/?tag=sea&q=boat")) == ["boat.png"]


def test_filters_survive_pagination_and_can_be_cleared(alice_client, alice, add_image):
    for n in range(26):
        add_image(alice, f"dog-{n:02}.jpg", "A photo of a dog", ["dog"])
    add_image(alice, "other.jpg", "A photo of a tree", ["tree"])
    page = alice_client.get("/images/?tag=dog").content.decode()
    assert 'href="?tag=dog&amp;page=2"' in page
    second = alice_client.get("/images/?tag=dog&page=2")
    assert len(names(second)) == 2
    assert "Clear all" in page
    assert 'aria-label="Clear the tag"' in page


@pytest.mark.parametrize(
    ("sort", "first"),
    [("oldest", "IMG_0001.jpg"), ("name", "IMG_0001.jpg"), ("newest", "walk.jpg")],
)
def test_sort_orders(alice_client, library, sort, first):
    assert names(alice_client.get(f"/images/?sort={sort}"))[0] == first


def test_sort_by_size_puts_the_largest_first(alice_client, library):
    found = alice_client.get("/images/?sort=size").context["page"].object_list
    sizes = [image.size_bytes for image in found]
    assert sizes == sorted(sizes, reverse=True)


def test_the_search_costs_the_same_queries_with_many_results(
    alice_client, library, django_assert_max_num_queries
):
    # The first view reads the library's version, then its tag chips; seen
    # again, the chips come from the cache (gallery.selectors.library_cached).
    with django_assert_max_num_queries(10):
        alice_client.get("/images/?q=photo&color=blue&tag=sea")
    with django_assert_max_num_queries(9):
        alice_client.get("/images/?q=photo&color=blue&tag=sea&page=1")


def direct_tag_counts(owner):
    """Tag counts computed from the images themselves."""
    counts = {}
    for tag_names in Image.objects.filter(owner=owner).values_list(
        "tag_names", flat=True
    ):
        for name in tag_names:
            counts[name] = counts.get(name, 0) + 1
    return counts


def stored_tag_counts(owner):
    return dict(OwnerTag.objects.filter(owner=owner).values_list("name", "image_count"))


def test_tag_counts_follow_analysis_reanalysis_and_deletes(
    alice, bob, library, add_image, django_capture_on_commit_callbacks
):
    assert stored_tag_counts(alice) == direct_tag_counts(alice)
    assert stored_tag_counts(bob) == {"cat": 1}
    # Analysing again with other tags moves the counts.
    image = library["cats"]
    SCRIPT[image.sha256] = AnalysisResult(
        description="A dog on a sofa",
        description_confidence=0.7,
        tags=[Tag("dog", 0.9), Tag("sofa", 0.8)],
        colors=Colors("brown", "brown", ["brown"], "#8b5a2b", False),
    )
    services.image_analyze(image=Image.objects.get(pk=image.pk))
    assert stored_tag_counts(alice) == direct_tag_counts(alice)
    assert stored_tag_counts(alice)["cat"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.image_delete_for_owner(
            owner=alice, ids=[library["cat"].pk, library["sea"].pk]
        )
    assert stored_tag_counts(alice) == direct_tag_counts(alice)
    assert "cat" not in stored_tag_counts(alice)
    services.image_delete_all(owner=alice)
    assert stored_tag_counts(alice) == {}
    assert stored_tag_counts(bob) == {"cat": 1}


def test_a_word_only_in_another_library_finds_nothing(alice_client, bob, add_image):
    add_image(bob, "zebra.jpg", "A photo of a zebra", ["zebra"])
    assert names(alice_client.get("/images/?q=zebra")) == []
    assert names(alice_client.get("/images/?q=zeb")) == []
    assert names(alice_client.get("/images/?tag=zebra")) == []


def test_a_deep_page_shows_the_right_images(alice_client, alice, add_image):
    for n in range(50):
        add_image(alice, f"n-{n:02}.jpg", "A photo", ["x"])
    third = names(alice_client.get("/images/?page=3"))
    assert third == ["n-01.jpg", "n-00.jpg"]
    assert names(alice_client.get("/images/?page=2"))[0] == "n-25.jpg"


def test_a_new_image_is_found_by_its_name_before_its_analysis_runs(
    alice_client,
    alice,
    make_upload,
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from image_repo_project.celery import app

    queued = []
    settings.GALLERY_ANALYZER = "local"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    settings.GALLERY_PROCESSING = "worker"
    monkeypatch.setattr(app, "send_task", lambda name, args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            "/images/upload/", {"images": [make_upload("IMG_2041-lighthouse.jpg")]}
        )
    assert response.status_code == 200
    (image,) = Image.objects.filter(owner=alice)
    assert queued == [[str(image.id)]]
    assert image.analysis_status == "pending"
    assert names(alice_client.get("/images/?q=lighthouse")) == [
        "IMG_2041-lighthouse.jpg"
    ]
