"""Browsing: the gallery page, the detail page, and strangers' ids."""

from __future__ import annotations

import datetime
import io
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image as PILImage

from gallery import services
from gallery.models import Image

pytestmark = pytest.mark.django_db


@pytest.fixture
def unlimited(settings):
    settings.GALLERY_UPLOAD_LIMIT = 0


def test_an_empty_gallery_invites_an_upload(alice_client):
    page = alice_client.get("/images/").content.decode()
    assert "No photos yet" in page


def test_the_gallery_shows_the_owners_images_newest_first(
    alice_client, alice, bob, make_upload
):
    for name in ("first.jpg", "second.jpg", "third.jpg"):
        services.image_upload(owner=alice, file=make_upload(name))
    services.image_upload(owner=bob, file=make_upload("bobs.jpg"))
    page = alice_client.get("/images/").content.decode()
    assert page.index("third.jpg") < page.index("second.jpg") < page.index("first.jpg")
    assert "bobs.jpg" not in page
    assert "3 images" in page


def test_the_gallery_is_paginated_by_24(alice_client, alice, make_upload, unlimited):
    for n in range(26):
        services.image_upload(owner=alice, file=make_upload(f"img-{n:02}.jpg"))
    first = alice_client.get("/images/")
    assert len(first.context["page"].object_list) == 24
    second = alice_client.get("/images/?page=2").content.decode()
    assert "img-00.jpg" in second and "img-01.jpg" in second
    assert "img-02.jpg" not in second
    # A page number out of range or malformed shows a page rather than failing.
    assert alice_client.get("/images/?page=99").status_code == 200
    assert alice_client.get("/images/?page=abc").status_code == 200


def queries_of(client, url: str) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured]


def test_a_gallery_page_costs_the_same_queries_whatever_the_library_size(
    alice_client, alice, make_upload, unlimited
):
    for _ in range(3):
        services.image_upload(owner=alice, file=make_upload())
    small = queries_of(alice_client, "/images/")
    # Session, user, the library (total, version, upload limit), the page's
    # rows, months, tags.
    assert len(small) <= 6
    # Months and tags from the cache until the library changes.
    small_again = queries_of(alice_client, "/images/")
    assert len(small_again) <= 4
    # 60 photos over 30 months: full pages, day headings and a month index.
    for n in range(57):
        image = services.image_upload(owner=alice, file=make_upload())
        Image.objects.filter(pk=image.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=n * 16)
        )
    assert len(queries_of(alice_client, "/images/")) == len(small)
    for url in ("/images/", "/images/?page=2", "/images/?page=3"):
        assert len(queries_of(alice_client, url)) == len(small_again), url
    assert 'id="jump-month"' in alice_client.get("/images/").content.decode()


def test_the_gallery_counts_nothing_and_shows_the_kept_total(
    alice_client, alice, bob, make_upload, unlimited
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    images = [services.image_upload(owner=alice, file=make_upload()) for _ in range(27)]
    services.image_upload(owner=bob, file=make_upload())
    services.image_delete_for_owner(owner=alice, ids=[i.id for i in images[:2]])
    with CaptureQueriesContext(connection) as queries:
        page = alice_client.get("/images/?page=2").content.decode()
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert "25 images" in page
    assert "Page 2 of 2" in page
    trashed = [images[2].id, images[3].id]
    services.images_trash(owner=alice, ids=trashed)
    assert "23 images" in alice_client.get("/images/").content.decode()
    services.images_restore(owner=alice, ids=trashed[:1])
    assert "24 images" in alice_client.get("/images/").content.decode()
    services.trash_empty(owner=alice)  # the trash was out of the total already
    assert "24 images" in alice_client.get("/images/").content.decode()
    services.image_delete_all(owner=alice)
    assert "No photos yet" in alice_client.get("/images/").content.decode()


def test_a_filtered_gallery_counts_its_matches(
    alice_client, alice, make_upload, unlimited
):
    for name in ("harbour-1.jpg", "harbour-2.jpg", "forest.jpg"):
        services.image_upload(owner=alice, file=make_upload(name))
    page = alice_client.get("/images/?q=harbour").content.decode()
    assert "2 matches" in page


def test_a_card_shows_image_name_and_date(alice_client, alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload("cat.jpg"))
    page = alice_client.get("/images/").content.decode()
    assert image.thumbnail.url.split("/")[1] == "media"
    assert 'alt="cat.jpg"' in page
    assert f'href="/images/{image.id}/"' in page
    assert "<time datetime=" in page


def test_the_detail_page_shows_the_image_and_its_metadata(
    alice_client, alice, make_upload
):
    image = services.image_upload(
        owner=alice, file=make_upload("dog.png", fmt="PNG", size=(300, 200))
    )
    page = alice_client.get(f"/images/{image.id}/").content.decode()
    assert "dog.png" in page
    assert "300 × 200 px" in page
    assert "image/png" in page
    assert "Download original" in page


def stranger_routes(image_id):
    return [
        ("get", f"/images/{image_id}/"),
        ("post", f"/images/{image_id}/delete/"),
        ("post", f"/images/{image_id}/reanalyze/"),
    ]


def test_another_users_image_answers_404_like_a_missing_one(
    bob_client, alice, make_upload
):
    image = services.image_upload(owner=alice, file=make_upload())
    for method, url in stranger_routes(image.id) + stranger_routes(uuid.uuid4()):
        response = getattr(bob_client, method)(url)
        assert response.status_code == 404, url
    assert Image.objects.filter(pk=image.pk).exists()


def test_a_malformed_id_is_404(alice_client):
    assert alice_client.get("/images/not-a-uuid/").status_code == 404


def test_a_visitor_is_asked_to_log_in_for_a_detail_page(alice, make_upload):
    image = services.image_upload(owner=alice, file=make_upload())
    response = Client().get(f"/images/{image.id}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_detail_page_shows_a_webp_preview_not_the_original(
    alice_client, alice, make_upload
):
    # Browsers do not show TIFF, and originals can be many megabytes.
    image = services.image_upload(
        owner=alice, file=make_upload("scan.tiff", fmt="TIFF", size=(2400, 1800))
    )
    page = alice_client.get(f"/images/{image.id}/")
    preview_url = image.preview.url
    # The grant, without the signature's timestamp (a second may pass between).
    assert preview_url.split("/")[2].split(":")[0] in page.content.decode()
    served = Client().get(preview_url)
    assert served["Content-Type"] == "image/webp"
    preview = PILImage.open(io.BytesIO(b"".join(served.streaming_content)))
    assert preview.size == (1600, 1200)


@pytest.mark.parametrize(
    "sort, index",
    [
        ("taken", "image_owner_taken"),
        ("newest", "image_owner_newest"),
        ("oldest", "image_owner_newest"),
        ("name", "image_owner_name"),
        ("size", "image_owner_size"),
    ],
)
def test_each_gallery_order_walks_its_pages_in_an_index_alone(
    alice, make_upload, sort, index
):
    """A deep page skips its offset inside the order's index, without reading
    a row per image skipped (the index holds only images out of the trash)."""
    from django.db import connection

    from gallery import selectors

    services.image_upload(owner=alice, file=make_upload())
    filters = selectors.ImageFilters(sort=sort)
    ids = selectors.image_list(owner=alice, filters=filters).values_list("pk")
    sql, params = ids[240:264].query.sql_with_params()
    with connection.cursor() as cursor:
        # A test table is tiny: tell the planner that reading every row and
        # sorting them is out of the question, as it is for a large library.
        for plan in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{plan} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Index Only Scan using {index}" in plan or (
        f"Index Only Scan Backward using {index}" in plan
    ), plan


def test_a_card_waiting_for_its_renditions_signs_no_url(
    alice, alice_client, make_upload, settings, monkeypatch
):
    from gallery import selectors, storage

    settings.GALLERY_PROCESSING = "worker"  # renditions come later
    image = services.image_upload(owner=alice, file=make_upload("new.jpg"))
    signed: list[str] = []
    sign_media = storage.sign_media
    monkeypatch.setattr(
        storage,
        "sign_media",
        lambda name, **kw: signed.append(name) or sign_media(name, **kw),
    )
    (card,) = selectors.image_cards([image])
    assert card.awaits_thumbnail and card.url == f"/images/{image.id}/"
    assert signed == [] and card.src == card.srcset == ""
    page = alice_client.get("/images/").content.decode()
    assert "Preparing…" in page and "new.jpg" in page


def test_a_cards_words_are_escaped_and_its_states_shown(
    alice, alice_client, make_upload, settings
):
    settings.GALLERY_PROCESSING = "worker"  # renditions and analysis come later
    waiting = services.image_upload(owner=alice, file=make_upload("waiting.jpg"))
    shown = services.image_upload(owner=alice, file=make_upload("shown.jpg"))
    Image.objects.filter(pk=shown.pk).update(
        thumbnail=shown.file.name,
        original_filename='"><script>alert(1)</script>.jpg',
        description='A "quoted" <b>cat</b> & dog',
    )
    page = alice_client.get("/images/").content.decode()
    assert "<script>alert(1)" not in page and "<b>cat" not in page
    assert 'alt="A &quot;quoted&quot; &lt;b&gt;cat&lt;/b&gt; &amp; dog"' in page
    assert "Select &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;.jpg" in page
    assert f'id="card-{waiting.id}"' in page and "Preparing…" in page
    assert page.count("data-pending>Analysing…") == 2
    assert page.count('loading="lazy"') == 0  # the first eight load at once


def test_the_uploads_left_come_from_the_kept_total_without_a_count(
    alice, alice_client, make_upload, settings
):
    from accounts.models import Profile

    settings.GALLERY_UPLOAD_LIMIT = 5
    for _ in range(2):
        services.image_upload(owner=alice, file=make_upload())
    assert "3 uploads left" in alice_client.get("/images/").content.decode()
    Profile.objects.create(user=alice, upload_limit=7)  # an operator's override
    sql = queries_of(alice_client, "/images/")
    assert not [q for q in sql if "COUNT(" in q.upper() or 'accounts_profile"' in q]
    assert "5 uploads left" in alice_client.get("/images/").content.decode()
    Profile.objects.filter(user=alice).update(upload_limit=0)  # no limit
    assert "uploads left" not in alice_client.get("/images/").content.decode()


def test_a_similar_pages_card_shows_its_score_instead_of_a_selection_box(
    alice, make_upload
):
    from gallery import selectors
    from gallery.templatetags.gallery_markup import card_tiles

    image = services.image_upload(owner=alice, file=make_upload("alike.jpg"))
    (card,) = selectors.image_cards([image])
    similar = card_tiles([card], [0.724])
    assert '<span class="badge tile-badge">72% alike</span>' in similar
    assert 'name="ids"' not in similar
    assert 'name="ids"' in card_tiles([card]) and "alike</span>" not in card_tiles(
        [card]
    )
