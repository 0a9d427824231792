"""People: faces grouped by who they are, the People pages, the owner's fixes,
search by name, and the setting that turns it all off."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

from gallery import services
from gallery.analysis import FaceFound
from gallery.models import Face, Person
from gallery.models import Image as ImageRow
from gallery.services import people
from gallery.tests.offline import encode
from gallery.tests.photos import photo_bytes

pytestmark = pytest.mark.django_db

RNG = np.random.default_rng(20261203)
# Two synthetic people: a face descriptor each, seen with a little noise
# (two sightings of one person lie about 0.9 apart by cosine).
ADA, BEN = (v / np.linalg.norm(v) for v in RNG.standard_normal((2, 1024)))


def seen(person: np.ndarray, noise: float = 0.01) -> list[float]:
    v = person + RNG.standard_normal(1024) * noise
    return (v / np.linalg.norm(v)).tolist()


def face(person: np.ndarray, box=(0.3, 0.2, 0.2, 0.2)) -> FaceFound:
    thumb = io.BytesIO()
    Image.new("RGB", (160, 160), (200, 160, 140)).save(thumb, "JPEG")
    return FaceFound(box, 0.9, seen(person), thumb.getvalue())


@pytest.fixture(autouse=True)
def _no_upload_limit(settings):
    settings.GALLERY_UPLOAD_LIMIT = 0


@pytest.fixture
def photo(make_upload):
    def photo(owner, *faces: FaceFound, name: str = "photo.jpg") -> ImageRow:
        image = services.image_upload(owner=owner, file=make_upload(name))
        people.image_faces_record(image=image, faces=list(faces))
        return image

    return photo


def person_of(image: ImageRow) -> Person:
    return Face.objects.get(image=image).person


# --- grouping -----------------------------------------------------------------


def test_faces_of_two_people_are_grouped_apart(alice, photo):
    ada_photos = [photo(alice, face(ADA)) for _ in range(3)]
    ben_photos = [photo(alice, face(BEN)) for _ in range(3)]

    assert Person.objects.filter(owner=alice).count() == 2
    assert len({person_of(i).pk for i in ada_photos}) == 1
    assert len({person_of(i).pk for i in ben_photos}) == 1
    assert person_of(ada_photos[0]) != person_of(ben_photos[0])


def test_two_faces_in_one_photo_are_two_people(alice, photo):
    image = photo(alice, face(ADA), face(BEN, box=(0.6, 0.2, 0.2, 0.2)))
    assert Face.objects.filter(image=image).values("person").distinct().count() == 2


def test_grouping_is_owner_scoped(alice, bob, photo):
    alices = photo(alice, face(ADA))
    bobs = photo(bob, face(ADA))
    assert person_of(alices) != person_of(bobs)
    assert person_of(bobs).owner == bob


def test_the_sample_people_are_grouped_apart_by_the_real_analyzer(
    alice, make_upload, offline_settings
):
    # Edited copies of two photos shipped in scikit-image: the astronaut and
    # the cameraman (gallery/tests/data/photos).
    uploaded = {}
    for name in ("astronaut.jpg", "cameraman.jpg"):
        img = Image.open(io.BytesIO(photo_bytes(name))).convert("RGB")
        copies = [img, ImageOps.mirror(img), ImageEnhance.Brightness(img).enhance(1.2)]
        uploaded[name] = [
            services.image_upload(
                owner=alice,
                file=make_upload(f"{i}-{name}", data=encode(copy, "JPEG", quality=92)),
            )
            for i, copy in enumerate(copies)
        ]

    groups = {
        name: {person_of(image).pk for image in images}
        for name, images in uploaded.items()
    }
    assert [len(g) for g in groups.values()] == [1, 1]
    assert groups["astronaut.jpg"] != groups["cameraman.jpg"]
    assert Person.objects.filter(owner=alice).count() == 2


def test_analysing_again_keeps_the_name_and_removed_faces(alice, photo):
    image = photo(alice, face(ADA))
    services.person_rename(owner=alice, person_id=person_of(image).pk, name="Ada")
    other = photo(alice, face(ADA))
    services.face_remove(owner=alice, face_id=Face.objects.get(image=other).pk)

    people.image_faces_record(image=image, faces=[face(ADA)])
    people.image_faces_record(image=other, faces=[face(ADA)])

    assert person_of(image).name == "Ada"
    assert Face.objects.get(image=other).removed
    assert Face.objects.get(image=other).person is None


def test_deleting_a_photo_deletes_its_faces_and_an_empty_person(alice, photo):
    image = photo(alice, face(ADA))
    services.image_delete(image=image)
    assert not Face.objects.exists()
    assert not Person.objects.exists()


# --- the owner's fixes ------------------------------------------------------------


def test_merge_moves_the_faces_and_keeps_a_name(alice, photo):
    first = person_of(photo(alice, face(ADA)))
    second = person_of(photo(alice, face(BEN)))
    services.person_rename(owner=alice, person_id=first.pk, name="Ada")

    into = services.people_merge(owner=alice, person_id=first.pk, into_id=second.pk)

    assert into == second
    assert Person.objects.get().name == "Ada"
    assert Face.objects.filter(person=second).count() == 2


def test_a_removed_face_is_not_grouped_again(alice, photo):
    first = photo(alice, face(ADA))
    services.face_remove(owner=alice, face_id=Face.objects.get(image=first).pk)
    assert not Person.objects.exists()  # its only face is gone
    later = photo(alice, face(ADA))
    assert person_of(later) is not None
    assert Face.objects.get(image=first).person is None


def test_turning_grouping_off_deletes_the_face_data_and_stops_it(alice, bob, photo):
    photo(alice, face(ADA))
    photo(bob, face(BEN))
    services.face_grouping_set(owner=alice, enabled=False)

    assert not Face.objects.filter(owner=alice).exists()
    assert not Person.objects.filter(owner=alice).exists()
    photo(alice, face(ADA))
    assert not Face.objects.filter(owner=alice).exists()
    assert Face.objects.filter(owner=bob).count() == 1  # bob's are his

    services.face_grouping_set(owner=alice, enabled=True)
    photo(alice, face(ADA))
    assert Face.objects.filter(owner=alice).count() == 1


# --- the pages ----------------------------------------------------------------------


def test_people_page_shows_each_person_with_a_face(alice_client, alice, photo):
    photo(alice, face(ADA))
    photo(alice, face(ADA))
    ben = person_of(photo(alice, face(BEN)))
    services.person_rename(owner=alice, person_id=ben.pk, name="Ben")

    page = alice_client.get("/people/").content.decode()

    assert page.index("Ben") < page.index("Unnamed")  # named people first
    assert "2 photos" in page and "1 photo<" in page
    face_url = page.split('class="face" src="')[1].split('"')[0]
    response = alice_client.get(face_url)
    assert response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (160, 160)


def test_name_a_person_and_find_their_photos_by_name(alice_client, alice, photo):
    image = photo(alice, face(ADA), name="garden.jpg")
    photo(alice, face(BEN), name="office.jpg")
    person = person_of(image)

    response = alice_client.post(f"/people/{person.pk}/rename/", {"name": " Ada  L "})
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).name == "Ada L"
    page = alice_client.get(f"/people/{person.pk}/").content.decode()
    assert "Ada L" in page and "garden.jpg" in page and "office.jpg" not in page

    found = alice_client.get("/images/", {"q": "ada l"}).content.decode()
    assert "garden.jpg" in found and "office.jpg" not in found


def test_merge_and_remove_through_the_pages(alice_client, alice, photo):
    first = person_of(photo(alice, face(ADA)))
    second = person_of(photo(alice, face(BEN)))

    response = alice_client.post(f"/people/{first.pk}/merge/", {"into": second.pk})
    assert response.url == f"/people/{second.pk}/"
    assert Face.objects.filter(person=second).count() == 2

    wrong = Face.objects.filter(person=second).first()
    alice_client.post(f"/people/faces/{wrong.pk}/remove/")
    assert Face.objects.filter(person=second).count() == 1

    response = alice_client.post(f"/people/{second.pk}/merge/", {"into": "nonsense"})
    assert response.status_code == 302  # a message, never a 500


def test_the_setting_on_the_page(alice_client, alice, photo):
    photo(alice, face(ADA))
    alice_client.post("/people/grouping/", {"enabled": "off"})
    page = alice_client.get("/people/").content.decode()
    assert "Face grouping is off" in page and "Turn on face grouping" in page
    assert not Face.objects.exists()


def test_another_users_people_answer_404(bob_client, alice, photo):
    image = photo(alice, face(ADA))
    person, the_face = person_of(image), Face.objects.get(image=image)
    for method, url, data in [
        ("get", f"/people/{person.pk}/", {}),
        ("post", f"/people/{person.pk}/rename/", {"name": "Mallory"}),
        ("post", f"/people/{person.pk}/merge/", {"into": person.pk}),
        ("get", f"/people/faces/{the_face.pk}.jpg", {}),
        ("post", f"/people/faces/{the_face.pk}/remove/", {}),
    ]:
        assert getattr(bob_client, method)(url, data).status_code == 404, url
    assert Person.objects.get().name == ""
    assert not Face.objects.get().removed
    assert "Ada" not in bob_client.get("/people/").content.decode()
    # Bob searching a name of Alice's finds nothing of hers.
    services.person_rename(owner=alice, person_id=person.pk, name="Ada")
    assert "photo.jpg" not in bob_client.get("/images/?q=Ada").content.decode()


def test_the_people_page_needs_a_login(client):
    assert client.get("/people/").status_code == 302


def test_a_name_is_found_as_whole_words_among_others(alice_client, alice, photo):
    mary = person_of(photo(alice, face(ADA), name="garden.jpg"))
    services.person_rename(owner=alice, person_id=mary.pk, name="Mary-Jane")
    photo(alice, face(BEN), name="office.jpg")

    def found(q: str) -> str:
        return alice_client.get("/images/", {"q": q}).content.decode()

    assert "garden.jpg" in found("mary jane at the beach")
    assert "garden.jpg" in found("MARY-JANE")
    assert "garden.jpg" not in found("mary")


def test_a_person_whose_photos_are_all_in_the_trash_leaves_the_people_page(
    alice_client, alice, photo
):
    kept = photo(alice, face(ADA), name="kept.jpg")
    trashed = photo(alice, face(ADA), name="trashed.jpg")
    alone = photo(alice, face(BEN), name="alone.jpg")
    services.images_trash(owner=alice, ids=[trashed.pk, alone.pk])
    page = alice_client.get("/people/").content.decode()
    assert "1 photo<" in page and "2 photos" not in page
    assert page.count('class="face"') == 1  # Ben's only photo is in the trash
    ada = alice_client.get(f"/people/{person_of(kept).pk}/").content.decode()
    assert "kept.jpg" in ada and "trashed.jpg" not in ada
    services.images_restore(owner=alice, ids=[trashed.pk])
    assert "2 photos" in alice_client.get("/people/").content.decode()


def test_the_photo_page_links_the_people_in_it(alice_client, alice, photo):
    image = photo(alice, face(BEN, box=(0.6, 0.2, 0.2, 0.2)), face(ADA))
    ada = Face.objects.get(image=image, left=0.3).person
    services.person_rename(owner=alice, person_id=ada.pk, name="Ada")

    page = alice_client.get(f"/images/{image.pk}/").content.decode()

    people = page.split('id="in-photo-heading"')[1]
    assert people.index("Ada") < people.index("Unnamed")  # left to right
    assert f'href="/people/{ada.pk}/"' in people


def test_the_people_page_lists_a_bounded_number_of_people(
    alice_client, alice, photo, django_assert_max_num_queries
):
    from gallery import selectors

    strangers = [v / np.linalg.norm(v) for v in RNG.standard_normal((4, 1024))]
    for stranger in strangers:
        photo(alice, face(stranger))
    named = person_of(photo(alice, face(ADA)))
    services.person_rename(owner=alice, person_id=named.pk, name="Ada")

    shown = selectors.people_list(owner=alice, limit=3)

    assert [s.person.name for s in shown] == ["Ada", "", ""]
    with django_assert_max_num_queries(8):
        assert alice_client.get("/people/").status_code == 200


def test_photos_in_the_trash_leave_the_people_pages(alice_client, alice, photo):
    kept = photo(alice, face(ADA), name="kept.jpg")
    trashed = photo(alice, face(ADA), name="trashed.jpg")
    person = person_of(kept)
    services.images_trash(owner=alice, ids=[trashed.pk])

    page = alice_client.get(f"/people/{person.pk}/").content.decode()
    assert "kept.jpg" in page and "trashed.jpg" not in page
    assert "1 photo<" in alice_client.get("/people/").content.decode()
