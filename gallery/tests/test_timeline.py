"""The gallery as a timeline: day headings, the month index, jumping to a month."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from gallery import selectors, services
from gallery.models import Image

pytestmark = pytest.mark.django_db


@pytest.fixture
def dated(alice, make_upload, settings):
    """Alice's photos on given days (site time zone), one upload each."""
    settings.GALLERY_UPLOAD_LIMIT = 0

    def add(name: str, when: datetime.datetime) -> Image:
        image = services.image_upload(owner=alice, file=make_upload(name))
        Image.objects.filter(pk=image.pk).update(created_at=when)
        return image

    return add


def at(year: int, month: int, day: int, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def test_photos_are_grouped_under_day_headings_newest_first(alice_client, dated):
    dated("morning.jpg", at(2026, 11, 20, 9))
    dated("evening.jpg", at(2026, 11, 20, 19))
    dated("older.jpg", at(2025, 6, 2))
    response = alice_client.get("/images/")
    days = response.context["days"]
    assert [day.day for day in days] == [
        datetime.date(2026, 11, 20),
        datetime.date(2025, 6, 2),
    ]
    assert [image.original_filename for image in days[0].images] == [
        "evening.jpg",
        "morning.jpg",
    ]
    html = response.content.decode()
    assert html.index("20 Nov 2026") < html.index("2 Jun 2025")


def test_the_month_index_lists_each_month_once_newest_first(alice, dated):
    for day in (3, 9, 28):
        dated(f"nov-{day}.jpg", at(2026, 11, day))
    dated("june.jpg", at(2025, 6, 2))
    dated("jan.jpg", at(2024, 1, 31, 23))
    assert selectors.timeline_months(owner=alice) == [
        datetime.date(2026, 11, 1),
        datetime.date(2025, 6, 1),
        datetime.date(2024, 1, 1),
    ]


def test_the_month_index_follows_the_site_time_zone(alice, dated, settings):
    settings.TIME_ZONE = "America/New_York"
    # 03:00 UTC on 1 March is still February in New York.
    dated("late.jpg", datetime.datetime(2026, 3, 1, 3, tzinfo=datetime.UTC))
    with timezone.override("America/New_York"):
        assert selectors.timeline_months(owner=alice) == [datetime.date(2026, 2, 1)]


def test_jumping_to_a_month_starts_the_timeline_at_its_end(alice_client, dated):
    dated("dec.jpg", at(2026, 12, 1))
    dated("nov.jpg", at(2026, 11, 30, 23))
    dated("oct.jpg", at(2026, 10, 5))
    html = alice_client.get("/images/").content.decode()
    assert '<option value="2026-11" >November 2026</option>' in html
    names = [
        image.original_filename
        for image in alice_client.get("/images/?month=2026-11")
        .context["page"]
        .object_list
    ]
    assert names == ["nov.jpg", "oct.jpg"]


@pytest.mark.parametrize("month", ["2026-13", "26-11", "0000-01", "abc", "2026-1"])
def test_a_malformed_month_shows_the_newest_photos(alice_client, dated, month):
    dated("dec.jpg", at(2026, 12, 1))
    response = alice_client.get("/images/", {"month": month})
    assert response.status_code == 200
    assert response.context["filters"].month == ""
    assert len(response.context["page"].object_list) == 1


def test_the_last_month_there_is_can_be_jumped_to(alice_client, dated):
    dated("dec.jpg", at(2026, 12, 1))
    response = alice_client.get("/images/?month=9999-12")
    assert len(response.context["page"].object_list) == 1


def test_the_month_index_is_one_query_of_a_few_index_probes(
    alice, dated, django_assert_num_queries
):
    for month in range(1, 13):
        dated(f"{month}.jpg", at(2025, month, 10))
    with django_assert_num_queries(1):
        assert len(selectors.timeline_months(owner=alice)) == 12


def test_only_the_first_photos_load_eagerly(alice_client, dated):
    for n in range(12):
        dated(f"{n}.jpg", at(2026, 11, 1 + n))
    html = alice_client.get("/images/").content.decode()
    assert html.count('loading="lazy"') == 12 - 8


def test_the_timeline_files_a_photo_under_the_day_it_was_taken(
    alice, alice_client, dated
):
    old = dated("holiday.jpg", at(2026, 11, 20))
    dated("today.jpg", at(2026, 11, 25))
    # Taken at 23:30 on 1 August in UTC+02:00: its camera's day is 1 August.
    taken = datetime.datetime(2025, 8, 1, 21, 30, tzinfo=datetime.UTC)
    Image.objects.filter(pk=old.pk).update(taken_at=taken, taken_at_offset=120)
    days = alice_client.get("/images/").context["days"]
    assert [(day.day, [i.original_filename for i in day.images]) for day in days] == [
        (datetime.date(2026, 11, 25), ["today.jpg"]),
        (datetime.date(2025, 8, 1), ["holiday.jpg"]),
    ]
    assert selectors.timeline_months(owner=alice) == [
        datetime.date(2026, 11, 1),
        datetime.date(2025, 8, 1),
    ]
    jumped = alice_client.get("/images/?month=2025-08").context["page"].object_list
    assert [image.original_filename for image in jumped] == ["holiday.jpg"]
    # Ordered by upload, the headings are the upload days.
    by_upload = alice_client.get("/images/?sort=newest").context["days"]
    assert [day.day for day in by_upload] == [
        datetime.date(2026, 11, 25),
        datetime.date(2026, 11, 20),
    ]


def test_the_month_index_groups_months_under_years_with_their_words():
    months = [
        datetime.date(2026, 11, 1),
        datetime.date(2026, 2, 1),
        datetime.date(2025, 6, 1),
    ]
    groups = selectors.month_index(months, selected="2026-02")
    assert [
        (group.year, [(m.value, m.label, m.selected) for m in group.months])
        for group in groups
    ] == [
        (
            2026,
            [("2026-11", "November 2026", False), ("2026-02", "February 2026", True)],
        ),
        (2025, [("2025-06", "June 2025", False)]),
    ]
    # One month is nothing to jump between.
    assert selectors.month_index(months[:1]) == []


def test_day_and_month_words_are_what_djangos_date_filter_says():
    from django.utils import dateformat

    for offset in range(0, 366, 9):
        day = datetime.date(2025, 1, 1) + datetime.timedelta(days=offset)
        heading = selectors.TimelineDay(day=day, cards=[])
        assert heading.iso == dateformat.format(day, "Y-m-d")
        assert heading.weekday == dateformat.format(day, "D")
        assert heading.label == dateformat.format(day, "j M Y")
        (group,) = selectors.month_index([day, day.replace(year=2024)], selected="")[:1]
        assert group.months[0].label == dateformat.format(day, "F Y")
        assert group.months[0].value == dateformat.format(day, "Y-m")
    assert selectors.TimelineDay(day=None, cards=[]).iso == ""
