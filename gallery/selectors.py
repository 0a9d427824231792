"""Reads: the queries behind the gallery, search and detail pages.

Every query is scoped to one owner and served by an index of that owner's rows
(the owner + date index, or the owner-scoped GIN indexes of gallery.search),
so its cost follows one library, not the table.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.postgres.search import SearchRank
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Power, Sqrt
from django.utils import timezone

from accounts.models import Profile

from . import archive, search, semantic, similarity
from .colorspace import (
    COLOR_NAMES,
    is_hex_color,
    normalize_color,
    parse_hex,
    rgb_to_lab,
)
from .models import Image, ImageEmbedding, OwnerTag
from .storage import download_url

SORTS: dict[str, tuple[str, ...]] = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "name": ("original_filename", "id"),
    "size": ("-size_bytes", "-id"),
}


# The date the timeline files an image under, one column for the ordering,
# the day headings and the month index alike.
TIMELINE_DATE = "created_at"

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class ImageFilters:
    q: str = ""
    tag: str = ""
    color: str = ""
    sort: str = "newest"
    # "YYYY-MM": start the newest-first timeline at the end of that month.
    month: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.q or self.tag or self.color)

    @property
    def color_is_hex(self) -> bool:
        return is_hex_color(self.color)

    @property
    def by_date(self) -> bool:
        """Whether results come in date order (words and hex colours rank
        by closeness instead)."""
        return self.sort in ("newest", "oldest") and not (self.q or self.color_is_hex)


def image_filters(params: Mapping[str, str]) -> ImageFilters:
    """Clean ?q=, ?tag=, ?color= and ?sort= from a query dict."""
    errors = []
    given = params.get("color", "").strip()
    color = normalize_color(given) if given else ""
    if color is None:
        errors.append(
            f"“{given[:30]}” is not a colour: use a name such as blue, or a "
            "hex value such as #3366cc."
        )
    sort = params.get("sort", "newest")
    month = params.get("month", "").strip()
    return ImageFilters(
        q=params.get("q", "").strip()[:200],
        tag=params.get("tag", "").strip().lower()[:100],
        color=color or "",
        sort=sort if sort in SORTS else "newest",
        month=month if _month_start(month) else "",
        errors=errors,
    )


def _month_start(month: str) -> datetime.datetime | None:
    """The first instant of a "YYYY-MM" month in the site's time zone."""
    found = MONTH_PATTERN.match(month)
    if not found:
        return None
    year, number = int(found[1]), int(found[2])
    if not (1 <= year <= 9999 and 1 <= number <= 12):
        return None
    return timezone.make_aware(datetime.datetime(year, number, 1))


def _next_month(start: datetime.datetime) -> datetime.datetime | None:
    if start.year == 9999 and start.month == 12:
        return None
    year, month = divmod(start.year * 12 + start.month, 12)
    return timezone.make_aware(datetime.datetime(year, month + 1, 1))


def image_list(*, owner: User, filters: ImageFilters | None = None) -> QuerySet[Image]:
    """The owner's images matching the filters, in the chosen order."""
    filters = filters or ImageFilters()
    images = Image.objects.filter(owner=owner)
    ordering = SORTS[filters.sort]
    if filters.month and filters.sort == "newest":
        end = _next_month(_month_start(filters.month) or timezone.now())
        if end is not None:
            images = images.filter(**{f"{TIMELINE_DATE}__lt": end})
    if filters.tag:
        tag = search.tag_key(owner.pk, filters.tag)
        images = images.filter(facet_keys__contains=[tag])
    if filters.color_is_hex:
        lab = rgb_to_lab(_rgb(filters.color))
        cells = search.lab_neighbourhood_keys(owner.pk, lab)
        images = (
            images.filter(facet_keys__overlap=cells)
            .annotate(color_distance=_lab_distance(lab))
            .filter(color_distance__lte=search.MAX_COLOR_DISTANCE)
        )
        ordering = ("color_distance", *ordering)
    elif filters.color in COLOR_NAMES:
        color = search.color_key(owner.pk, filters.color)
        images = images.filter(facet_keys__contains=[color])
    if filters.q:
        images, best_first = _text_matches(images, owner=owner, text=filters.q)
        if filters.sort == "newest" and not filters.color_is_hex:
            # Best match first when the person has not asked for an order.
            ordering = (best_first, *ordering)
    return images.order_by(*ordering)


def _text_matches(
    images: QuerySet[Image], *, owner: User, text: str
) -> tuple[QuerySet[Image], str]:
    """Images matching ``text`` by its words or by its meaning, and the
    ordering that puts the best first.

    Photos with the words come first (by full-text rank, then meaning), then
    those that only mean the same ("kitten" for a cat), by closeness.
    """
    query = search.text_query(owner_id=owner.pk, text=text)
    meaning = semantic.images_by_meaning(owner_id=owner.pk, text=text)
    if query is None and not meaning:
        return images.none(), "-created_at"
    ids = [image_id for image_id, _ in meaning]
    matches = Q(search_vector=query) if query is not None else Q(pk__in=[])
    if meaning:
        matches |= Q(pk__in=ids)
    # One array lookup per row, not a CASE of hundreds of branches (whose
    # compilation alone cost Django tens of milliseconds).
    score: Any = RawSQL(
        'COALESCE((%s::float8[])[array_position(%s::uuid[], "gallery_image"."id")], 0)',
        ([score for _, score in meaning], [str(image_id) for image_id in ids]),
        output_field=FloatField(),
    )
    if query is not None:
        score = score + Case(
            When(search_vector=query, then=1.0 + SearchRank(F("search_vector"), query)),
            default=Value(0.0),
            output_field=FloatField(),
        )
    return images.filter(matches).annotate(rank=score), "-rank"


def _rgb(color: str) -> tuple[int, int, int]:
    rgb = parse_hex(color)
    assert rgb is not None, "filters hold only normalised colours"
    return rgb


def image_page(
    images: QuerySet[Image], number: str | None, *, per_page: int
) -> Page[Image]:
    """One page of ``images``, its rows fetched by id.

    The offset is walked over ids only (an index-only scan in the gallery's
    order), then only the page's rows are read, so deep pages stay cheap.
    """
    ids = images.values_list("pk", flat=True)
    page: Page[Any] = Paginator(ids, per_page).get_page(number)
    page_ids = list(page.object_list)
    rows = Image.objects.in_bulk(page_ids)
    page.object_list = [rows[image_id] for image_id in page_ids if image_id in rows]
    return page


def image_timeline_date(image: Image) -> datetime.date:
    """The day the timeline shows an image under, in the site's time zone."""
    return timezone.localdate(getattr(image, TIMELINE_DATE))


@dataclass(frozen=True)
class TimelineDay:
    day: datetime.date | None
    images: list[Image]


def timeline_days(
    images: Iterable[Image], *, by_date: bool = True
) -> list[TimelineDay]:
    """A page's images under day headings, in the page's order; one group
    without a day when the order is not by date.

    Runs over the rows already read, so headings cost no query; a day cut by
    the page boundary is headed again on the next page.
    """
    days: list[TimelineDay] = []
    for image in images:
        day = image_timeline_date(image) if by_date else None
        if not days or days[-1].day != day:
            days.append(TimelineDay(day=day, images=[]))
        days[-1].images.append(image)
    return days


def timeline_months(*, owner: User, limit: int = 600) -> list[datetime.date]:
    """The months that hold any of the owner's images, newest first.

    A loose index scan: each step asks the owner's date index for the newest
    image before the month found last, so the cost follows the number of
    months, not of images.
    """
    column = connection.ops.quote_name(TIMELINE_DATE)
    table = Image._meta.db_table
    zone = timezone.get_current_timezone_name()
    newest_before = (
        f"SELECT date_trunc('month', {column} AT TIME ZONE %s) FROM {table} "
        f"WHERE owner_id = %s AND {column} < {{bound}} "
        f"ORDER BY {column} DESC LIMIT 1"
    )
    first_bound = "'infinity'"
    sql = (
        "WITH RECURSIVE months(month) AS ("
        f" ({newest_before.format(bound=first_bound)})"
        " UNION ALL"
        f" SELECT ({newest_before.format(bound='(month AT TIME ZONE %s)')})"
        " FROM months WHERE month IS NOT NULL"
        ") SELECT month FROM months WHERE month IS NOT NULL LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [zone, owner.pk, zone, owner.pk, zone, limit])
        return [row[0].date() for row in cursor.fetchall()]


def _lab_distance(lab: tuple[float, float, float]) -> Sqrt:
    """ΔE 1976 between the image's accent colour and ``lab``."""
    return Sqrt(
        Power(F("accent_lab__0") - lab[0], 2)
        + Power(F("accent_lab__1") - lab[1], 2)
        + Power(F("accent_lab__2") - lab[2], 2),
        output_field=FloatField(),
    )


def image_selection(
    *,
    owner: User,
    ids: Iterable[uuid.UUID] = (),
    all_results: bool = False,
    filters: ImageFilters | None = None,
) -> QuerySet[Image]:
    """The owner's images a bulk action applies to, in the gallery's order:
    every result of ``filters``, or those among ``ids`` (others' are ignored)."""
    if all_results:
        return image_list(owner=owner, filters=filters)
    return Image.objects.filter(owner=owner, pk__in=list(ids)).order_by(
        *SORTS["newest"]
    )


# A ZIP holds at most this many originals: a larger one would outlast the
# web server's request timeout.
MAX_ARCHIVE_IMAGES = 500


def image_archive(*, images: QuerySet[Image]) -> Iterator[bytes]:
    """A streamed ZIP of the originals of ``images`` (at most
    MAX_ARCHIVE_IMAGES; the caller checks the count)."""
    rows = list(
        images.only("file", "original_filename", "created_at")[:MAX_ARCHIVE_IMAGES]
    )
    return archive.zip_stream(rows)


def image_get(*, owner: User, image_id: uuid.UUID) -> Image | None:
    """The owner's image with this id; None for a missing or another's image."""
    return Image.objects.filter(owner=owner, pk=image_id).first()


def image_count(*, owner: User) -> int:
    return Image.objects.filter(owner=owner).count()


def tag_counts(*, owner: User, limit: int = 15) -> list[tuple[str, int]]:
    """The owner's most common tags with their image counts."""
    return list(
        OwnerTag.objects.filter(owner=owner)
        .order_by("-image_count", "name")
        .values_list("name", "image_count")[:limit]
    )


def image_download_url(*, image: Image) -> str:
    """A short-lived URL that downloads the original under its original name."""
    return download_url(image)


# The least similarity the similar page lists (unrelated photos are left out).
ALIKE = similarity.ALIKE


def similar_images(
    *, image: Image, limit: int = 12, min_similarity: float = 0.0
) -> list[tuple[Image, float]]:
    """The owner's other images most like ``image``, best first, with scores."""
    ranked = similarity.rank_similar(
        image_id=image.pk,
        owner_id=image.owner_id,
        limit=limit,
        min_similarity=min_similarity,
    )
    found = Image.objects.in_bulk([image_id for image_id, _ in ranked])
    return [(found[image_id], score) for image_id, score in ranked if image_id in found]


def near_duplicates(*, image: Image, limit: int = 6) -> list[tuple[Image, float]]:
    """The same photo resized, re-encoded or lightly edited, in the library."""
    return similar_images(
        image=image, limit=limit, min_similarity=similarity.NEAR_DUPLICATE
    )


def image_has_embedding(*, image: Image) -> bool:
    return ImageEmbedding.objects.filter(image_id=image.pk).exists()


@dataclass(frozen=True)
class UploadAllowance:
    """How many more images a user may keep; None in both fields: no limit."""

    limit: int | None
    left: int | None

    @property
    def reached(self) -> bool:
        return self.left == 0


def upload_limit(*, override: int | None) -> int | None:
    """The limit for a user's override (None: the site's); None means no limit."""
    limit = settings.GALLERY_UPLOAD_LIMIT if override is None else override
    return limit or None


def upload_allowance(*, owner: User) -> UploadAllowance:
    """The owner's upload limit and what is left of it.

    The upload service calls this while it holds the lock on the owner's row,
    so that parallel uploads are counted one after the other.
    """
    override = (
        Profile.objects.filter(user=owner)
        .values_list("upload_limit", flat=True)
        .first()
    )
    limit = upload_limit(override=override)
    if limit is None:
        return UploadAllowance(limit=None, left=None)
    return UploadAllowance(limit=limit, left=max(limit - image_count(owner=owner), 0))
