"""Reads: the queries behind the gallery, search and detail pages.

Every query is scoped to one owner and served by an index of that owner's rows
(the owner + date index, or the owner-scoped GIN indexes of gallery.search),
so its cost follows one library, not the table.
"""

from __future__ import annotations

import datetime
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchRank
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Lower, Power, Sqrt, StrIndex
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile

from . import archive, camera, search, semantic, similarity
from .colorspace import (
    COLOR_NAMES,
    is_hex_color,
    normalize_color,
    parse_hex,
    rgb_to_lab,
)
from .models import (
    TAKEN_OR_UPLOADED,
    Face,
    Image,
    ImageEmbedding,
    OwnerLibrary,
    OwnerTag,
    Person,
)
from .storage import download_url

logger = logging.getLogger(__name__)
T = TypeVar("T")

SORTS: dict[str, tuple[Any, ...]] = {
    "taken": (TAKEN_OR_UPLOADED.desc(), "-id"),
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "name": ("original_filename", "id"),
    "size": ("-size_bytes", "-id"),
}
SORT_LABELS = {
    "taken": "Date taken",
    "newest": "Newest upload",
    "oldest": "Oldest upload",
    "name": "Name",
    "size": "Size (largest)",
}
DEFAULT_SORT = "taken"


# The timeline (day headings, the month index, "jump to a month") follows
# the default order: when a photo was taken, else when it was uploaded
# (models.TAKEN_OR_UPLOADED, on the image_owner_taken index).
TIMELINE_SORT = "taken"
TIMELINE_SQL = "COALESCE(taken_at, created_at)"

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class ImageFilters:
    q: str = ""
    tag: str = ""
    color: str = ""
    sort: str = DEFAULT_SORT
    # "YYYY-MM": start the timeline, newest first, at the end of that month.
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
        return self.sort in ("taken", "newest", "oldest") and not (
            self.q or self.color_is_hex
        )


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
    sort = params.get("sort", DEFAULT_SORT)
    month = params.get("month", "").strip()
    return ImageFilters(
        q=params.get("q", "").strip()[:200],
        tag=params.get("tag", "").strip().lower()[:100],
        color=color or "",
        sort=sort if sort in SORTS else DEFAULT_SORT,
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
    images = live_images(owner=owner)
    ordering = SORTS[filters.sort]
    if filters.month and filters.sort == TIMELINE_SORT:
        end = _next_month(_month_start(filters.month) or timezone.now())
        if end is not None:
            images = images.alias(shown_at=TAKEN_OR_UPLOADED).filter(shown_at__lt=end)
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
        if filters.sort == DEFAULT_SORT and not filters.color_is_hex:
            # Best match first when the person has not asked for an order.
            ordering = (best_first, *ordering)
    return images.order_by(*ordering)


class _IsAnyOf(Func):
    """``value = ANY(array)``: unlike ``value IN (subquery)``, a condition
    PostgreSQL answers through an index (the array is computed once)."""

    arg_joiner = " = ANY("
    template = "(%(expressions)s))"
    output_field = BooleanField()


def _text_matches(
    images: QuerySet[Image], *, owner: User, text: str
) -> tuple[QuerySet[Image], str]:
    """Images matching ``text`` by its words or by its meaning, and the
    ordering that puts the best first.

    Photos of a person the words name come first, then photos with the words
    (by full-text rank, then meaning), then those that only mean the same
    ("kitten" for a cat), by closeness.
    """
    query = search.text_query(owner_id=owner.pk, text=text)
    meaning = semantic.images_by_meaning(owner_id=owner.pk, text=text)
    words = _spaced_words(text)
    if query is None and not meaning and not words.strip():
        return images.none(), "-created_at"
    ids = [str(image_id) for image_id, _ in meaning]
    # The meaning's ids as one array parameter: "id IN (...)" of hundreds of
    # values costs Django tens of milliseconds to build and compile.
    id_array = RawSQL("%s::uuid[]", (ids,))
    # Photos of a person named in the words come first of all. Matched as
    # "id = ANY(ARRAY(subquery))", which PostgreSQL computes once and looks up
    # through the primary key, like the meaning's ids: every branch of the
    # match is then an index condition OR'd in one bitmap (the words through
    # the GIN index), never a scan of the owner's whole library. ("id IN
    # (subquery)" would be a filter on each of the owner's rows.)
    with_people = _IsAnyOf(
        F("pk"),
        ArraySubquery(
            Face.objects.filter(
                owner=owner, removed=False, person__in=_people_named_in(owner, words)
            ).values("image_id")
        ),
    )
    # A Q, then OR'd with an expression: Django combines both.
    matches: Any = Q(search_vector=query) if query is not None else Q(pk__in=[])
    if meaning:
        matches |= _IsAnyOf(F("pk"), id_array)
    matches |= with_people
    # One array lookup per row, not a CASE of hundreds of branches (whose
    # compilation alone cost Django tens of milliseconds).
    score: Any = RawSQL(
        'COALESCE((%s::float8[])[array_position(%s::uuid[], "gallery_image"."id")], 0)',
        ([score for _, score in meaning], ids),
        output_field=FloatField(),
    )
    if query is not None:
        score = score + Case(
            When(search_vector=query, then=1.0 + SearchRank(F("search_vector"), query)),
            default=Value(0.0),
            output_field=FloatField(),
        )
    score = score + Case(
        When(with_people, then=Value(3.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return images.filter(matches).annotate(rank=score), "-rank"


def _rgb(color: str) -> tuple[int, int, int]:
    rgb = parse_hex(color)
    assert rgb is not None, "filters hold only normalised colours"
    return rgb


class _CountedPaginator(Paginator):
    """A paginator told its total instead of counting the rows."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached property


# Columns of an image that no page of photos shows (cards, the timeline):
# search and analysis data, read on the image's own page.
UNSHOWN_ON_PAGES = (
    "search_vector",
    "facet_keys",
    "tags",
    "tag_names",
    "camera_details",
    "accent_lab",
    "dominant_colors",
)


def image_page(
    images: QuerySet[Image],
    number: str | None,
    *,
    per_page: int,
    count: int | None = None,
) -> Page[Image]:
    """One page of ``images``, its rows fetched by id.

    The offset is walked over ids only (an index-only scan in the gallery's
    order), then only the page's rows are read, so deep pages stay cheap. In
    one statement when the order is by the rows' own columns (the ids are a
    subquery); ranked results (by words, by colour) read the ids first. The
    columns no page of photos shows are left unread. With ``count`` (the
    owner's total, for an unfiltered gallery) nothing is counted.
    """
    ids = images.values_list("pk", flat=True)
    paginator = (
        Paginator(ids, per_page)
        if count is None
        else _CountedPaginator(ids, per_page, count=count)
    )
    page: Page[Any] = paginator.get_page(number)
    rows = Image.objects.defer(*UNSHOWN_ON_PAGES)
    if images.query.annotations:
        page_ids = list(page.object_list)
        found = rows.in_bulk(page_ids)
        page.object_list = [found[i] for i in page_ids if i in found]
    else:
        rows = rows.filter(pk__in=page.object_list)
        if images.query.order_by:  # else the model's ordering, as the ids'
            rows = rows.order_by(*images.query.order_by)
        page.object_list = list(rows)
    return page


def image_timeline_date(image: Image, *, sort: str = TIMELINE_SORT) -> datetime.date:
    """The day the timeline shows an image under: the camera's own day when
    it was taken (its clock, in its time zone when known), else the day of
    the upload in the site's time zone; the upload's day for upload orders."""
    if sort == TIMELINE_SORT and image.taken_at is not None:
        offset = datetime.timedelta(minutes=image.taken_at_offset or 0)
        return image.taken_at.astimezone(datetime.timezone(offset)).date()
    return timezone.localdate(image.created_at)


@dataclass(frozen=True)
class Card:
    """A photo's card as pages of photos show it, worked out once in Python.

    A template looks every value up anew (a model property, a signed URL, a
    localised number): a page has two dozen cards of about thirty values.
    Here each is computed once, the URLs of a card whose renditions are not
    made yet not at all.
    """

    image: Image
    id: uuid.UUID
    url: str  # the image's page
    name: str
    awaits_thumbnail: bool
    analysing: bool
    alt: str = ""
    width: str = ""
    height: str = ""
    src: str = ""
    srcset: str = ""
    preview: str = ""
    preview_width: str = ""
    preview_height: str = ""
    eager: bool = False  # loads at once, not as it scrolls into view


def image_cards(images: Iterable[Image], *, eager: int = 0) -> list[Card]:
    """The cards of ``images``, in their order; the first ``eager`` load at
    once."""
    # The image page's URL, reversed once: only the id changes.
    placeholder = str(uuid.UUID(int=0))
    page_url = reverse("gallery:detail", args=[placeholder])
    cards = []
    for number, image in enumerate(images):
        url = page_url.replace(placeholder, str(image.pk))
        name, analysing = image.original_filename, image.is_pending
        if image.awaits_thumbnail:
            cards.append(Card(image, image.pk, url, name, True, analysing))
            continue
        preview_width, preview_height = image.preview_size
        cards.append(
            Card(
                image,
                image.pk,
                url,
                name,
                awaits_thumbnail=False,
                analysing=analysing,
                alt=image.alt_text,
                width=str(image.width),
                height=str(image.height),
                src=image.display_url,
                srcset=image.srcset,
                preview=image.preview_url,
                preview_width=str(preview_width),
                preview_height=str(preview_height),
                eager=number < eager,
            )
        )
    return cards


@dataclass(frozen=True)
class TimelineDay:
    day: datetime.date | None
    cards: list[Card]

    @property
    def images(self) -> list[Image]:
        return [card.image for card in self.cards]

    # The heading's words, made once in Python: the template's date filter
    # costs tens of microseconds a call, and a page has dozens of them.
    @cached_property
    def iso(self) -> str:
        """2026-11-20 (empty without a day)."""
        return self.day.isoformat() if self.day else ""

    @cached_property
    def weekday(self) -> str:
        """Fri"""
        return f"{self.day:%a}" if self.day else ""

    @cached_property
    def label(self) -> str:
        """20 Nov 2026"""
        return f"{self.day.day} {self.day:%b} {self.day.year:04}" if self.day else ""


def timeline_days(
    images: Iterable[Image],
    *,
    by_date: bool = True,
    sort: str = TIMELINE_SORT,
    eager: int = 0,
) -> list[TimelineDay]:
    """A page's cards under day headings, in the page's order; one group
    without a day when the order is not by date. The first ``eager`` cards
    load at once.

    Runs over the rows already read, so headings cost no query; a day cut by
    the page boundary is headed again on the next page.
    """
    days: list[TimelineDay] = []
    for card in image_cards(images, eager=eager):
        day = image_timeline_date(card.image, sort=sort) if by_date else None
        if not days or days[-1].day != day:
            days.append(TimelineDay(day=day, cards=[]))
        days[-1].cards.append(card)
    return days


def timeline_months(
    *, owner: User, library: Library | None = None, limit: int = 600
) -> list[datetime.date]:
    """The months that hold any of the owner's images (out of the trash),
    newest first; with ``library``, from the cache while it is unchanged.

    A loose index scan: each step asks the owner's date index for the newest
    image before the month found last, so the cost follows the number of
    months, not of images.
    """
    zone = timezone.get_current_timezone_name()
    return library_cached(
        library,
        owner=owner,
        part=f"months:{zone}:{limit}",
        compute=lambda: _timeline_months(owner, zone, limit),
    )


def _timeline_months(owner: User, zone: str, limit: int) -> list[datetime.date]:
    column = TIMELINE_SQL
    table = Image._meta.db_table
    newest_before = (
        f"SELECT date_trunc('month', {column} AT TIME ZONE %s) FROM {table} "
        f"WHERE owner_id = %s AND trashed_at IS NULL AND {column} < {{bound}} "
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


@dataclass(frozen=True)
class MonthOption:
    value: str  # 2026-11, as ?month= takes it
    label: str  # November 2026
    selected: bool


@dataclass(frozen=True)
class MonthGroup:
    year: int
    months: list[MonthOption]


# As strftime's %B names them (the site's words are English), without its cost.
MONTH_NAMES = ("", *(datetime.date(2000, n, 1).strftime("%B") for n in range(1, 13)))


def month_index(
    months: Sequence[datetime.date], *, selected: str = ""
) -> list[MonthGroup]:
    """The "jump to a month" choices under their years, newest first, with
    their words made here rather than by a template filter per option; none
    when there is only one month to be in."""
    groups: list[MonthGroup] = []
    if len(months) < 2:
        return groups
    for month in months:
        if not groups or groups[-1].year != month.year:
            groups.append(MonthGroup(year=month.year, months=[]))
        value = f"{month.year:04}-{month.month:02}"
        label = f"{MONTH_NAMES[month.month]} {month.year:04}"
        groups[-1].months.append(MonthOption(value, label, value == selected))
    return groups


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
    return (
        live_images(owner=owner).filter(pk__in=list(ids)).order_by(*SORTS[DEFAULT_SORT])
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
    return live_images(owner=owner).filter(pk=image_id).first()


@dataclass(frozen=True)
class Library:
    """An owner's number of images out of the trash, the version of what
    pages cache about the library (both kept by the services: OwnerLibrary),
    and the owner's own upload limit (Profile; None: the site's)."""

    count: int
    version: uuid.UUID | None  # None: never had an image, nothing cached
    upload_override: int | None = None


# Raw SQL: every gallery page reads it, and the ORM's queries of the total
# and of the upload limit cost about a millisecond of CPU each; this, 0.2 ms.
_LIBRARY_SQL = f"""
SELECT library.image_count, library.version, profile.upload_limit
FROM (SELECT %s::integer AS id) AS owner
LEFT JOIN {OwnerLibrary._meta.db_table} AS library ON library.owner_id = owner.id
LEFT JOIN {Profile._meta.db_table} AS profile ON profile.user_id = owner.id
"""


def library_get(*, owner: User) -> Library:
    """The owner's Library, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_LIBRARY_SQL, [owner.pk])
        count, version, override = cursor.fetchone()
    return Library(count or 0, version, override)


def image_count(*, owner: User) -> int:
    """The owner's number of images out of the trash, from the total the
    services keep (OwnerLibrary)."""
    return library_get(owner=owner).count


# What a page caches about a library (months, tag chips) changes only with
# its version; a day bounds what an unused version keeps in the cache.
LIBRARY_CACHE_SECONDS = 24 * 3600
_MISSING = object()


def library_cached(
    library: Library | None, *, owner: User, part: str, compute: Callable[[], T]
) -> T:
    """``compute()``, kept in the cache under the owner and the library's
    version: any change of the library (services.indexing.count_images,
    count_tags) gives it a new version, so a cached value is never stale.
    Without a library (or a version) nothing is cached; an unreachable cache
    only costs the query."""
    if library is None or library.version is None:
        return compute()
    key = f"gallery:library:{owner.pk}:{library.version}:{part}"
    try:
        value = cache.get(key, _MISSING)
    except Exception:  # a cache server down: the page still answers
        logger.warning("cache unreachable; reading %s from the database", part)
        return compute()
    if value is _MISSING:
        value = compute()
        try:
            cache.set(key, value, LIBRARY_CACHE_SECONDS)
        except Exception:
            logger.warning("cache unreachable; %s not kept", part)
    return value  # type: ignore[no-any-return]


def live_images(*, owner: User) -> QuerySet[Image]:
    """The owner's images that are not in the trash: everything a page lists,
    searches or counts (the upload limit included)."""
    return Image.objects.filter(owner=owner, trashed_at__isnull=True)


def trash_list(*, owner: User) -> QuerySet[Image]:
    """The owner's trashed images, the most recently deleted first."""
    return Image.objects.filter(owner=owner, trashed_at__isnull=False).order_by(
        "-trashed_at", "-id"
    )


def tag_counts(
    *, owner: User, library: Library | None = None, limit: int = 15
) -> list[tuple[str, int]]:
    """The owner's most common tags with their image counts; with
    ``library``, from the cache while it is unchanged."""
    return library_cached(
        library,
        owner=owner,
        part=f"tags:{limit}",
        compute=lambda: list(
            OwnerTag.objects.filter(owner=owner)
            .order_by("-image_count", "name")
            .values_list("name", "image_count")[:limit]
        ),
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
    # The ranking reads the owner's embeddings only; the owner is named here
    # too so that no other library's row can ever be shown.
    found = Image.objects.filter(
        owner_id=image.owner_id, trashed_at__isnull=True
    ).in_bulk([image_id for image_id, _ in ranked])
    return [(found[image_id], score) for image_id, score in ranked if image_id in found]


@dataclass(frozen=True)
class ImageRelatives:
    """The photo page's (and the viewer's) short lists of the owner's photos
    like one: the same photo resized, re-encoded or lightly edited, then
    photos that are only alike."""

    near_duplicates: list[tuple[Image, float]]
    similar: list[tuple[Image, float]]


# How many alike photos the photo page shows; the similar page has more.
RELATIVES_SHOWN = 8


def image_relatives(*, image: Image, limit: int = RELATIVES_SHOWN) -> ImageRelatives:
    """One ranking with the similar page's cut-off (ALIKE), split at
    NEAR_DUPLICATE: two short lists for the cost of one query and one read."""
    ranked = similar_images(image=image, limit=limit, min_similarity=ALIKE)
    return ImageRelatives(
        near_duplicates=[
            (other, score)
            for other, score in ranked
            if score >= similarity.NEAR_DUPLICATE
        ],
        similar=[
            (other, score)
            for other, score in ranked
            if score < similarity.NEAR_DUPLICATE
        ],
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


def removes_location(*, owner: User) -> bool:
    """Whether the owner asked for GPS positions to be removed on upload."""
    return bool(
        Profile.objects.filter(user=owner)
        .values_list("remove_location", flat=True)
        .first()
    )


def upload_allowance(*, owner: User, library: Library | None = None) -> UploadAllowance:
    """The owner's upload limit and what is left of it.

    The upload service calls this while it holds the lock on the owner's row,
    so that parallel uploads are counted one after the other. A page that
    read the owner's ``library`` passes it: what is left is then worked out
    from the kept total, the number the page shows, without a query.
    """
    if library is not None:
        limit = upload_limit(override=library.upload_override)
        if limit is None:
            return UploadAllowance(limit=None, left=None)
        return UploadAllowance(limit=limit, left=max(limit - library.count, 0))
    override = (
        Profile.objects.filter(user=owner)
        .values_list("upload_limit", flat=True)
        .first()
    )
    limit = upload_limit(override=override)
    if limit is None:
        return UploadAllowance(limit=None, left=None)
    # Counted, not read from the kept total: the cap must hold even for rows
    # written some other way. At most ``limit`` rows are read.
    used = live_images(owner=owner).values("pk")[:limit].count()
    return UploadAllowance(limit=limit, left=max(limit - used, 0))


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float

    @property
    def label(self) -> str:
        north = "N" if self.latitude >= 0 else "S"
        east = "E" if self.longitude >= 0 else "W"
        return f"{abs(self.latitude):.5f}° {north}, {abs(self.longitude):.5f}° {east}"

    @property
    def map_url(self) -> str:
        """A link to a map site; the server itself never fetches a map."""
        lat, lon = f"{self.latitude:.6f}", f"{self.longitude:.6f}"
        return (
            f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}"
        )


@dataclass(frozen=True)
class CameraDetails:
    """The image page's camera rows, and the place for its owner only."""

    rows: list[tuple[str, str]]
    location: Location | None


def image_camera_details(*, image: Image, viewer: User) -> CameraDetails:
    rows = []
    if image.taken_at is not None:
        rows.append(
            ("Taken", camera.taken_label(image.taken_at, image.taken_at_offset))
        )
    name = camera.camera_label(image.camera_make, image.camera_model)
    if name:
        rows.append(("Camera", name))
    if image.lens:
        rows.append(("Lens", image.lens))
    exposure = camera.exposure_summary(
        f_number=image.f_number,
        exposure_time=image.exposure_time,
        iso=image.iso,
        focal_length=image.focal_length,
    )
    if exposure:
        rows.append(("Exposure", exposure))
    location = None
    if (
        viewer.pk == image.owner_id
        and image.latitude is not None
        and image.longitude is not None
    ):
        location = Location(image.latitude, image.longitude)
    return CameraDetails(rows=rows, location=location)


# -- people ---------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSummary:
    person: Person
    face_id: uuid.UUID  # the face that shows them best
    photo_count: int


# People shown on one page: named ones, then those in the most photos. A
# library full of crowds has many one-photo strangers, not worth a page.
PEOPLE_SHOWN = 200


def people_list(*, owner: User, limit: int = PEOPLE_SHOWN) -> list[PersonSummary]:
    """The owner's people, named ones first (by name), then by photo count.

    Two queries whatever the number of people: the people with their counts,
    then each one's best face (PostgreSQL's DISTINCT ON).
    """
    people = list(
        Person.objects.filter(owner=owner)
        .annotate(
            photo_count=Count(
                "faces__image",
                filter=Q(faces__removed=False, faces__image__trashed_at__isnull=True),
                distinct=True,
            )
        )
        .filter(photo_count__gt=0)
        .order_by(
            Case(When(name="", then=Value(1)), default=Value(0)),
            Lower("name"),
            "-photo_count",
            "id",
        )[:limit]
    )
    covers = dict(
        Face.objects.filter(
            owner=owner,
            person__in=people,
            removed=False,
            image__trashed_at__isnull=True,
        )
        .order_by("person_id", "-confidence", "id")
        .distinct("person_id")
        .values_list("person_id", "id")
    )
    return [
        PersonSummary(p, covers[p.pk], p.photo_count) for p in people if p.pk in covers
    ]


def person_get(*, owner: User, person_id: uuid.UUID) -> Person | None:
    """The owner's person with this id; None for a missing or another's one."""
    return Person.objects.filter(owner=owner, pk=person_id).first()


def person_faces(*, person: Person) -> list[Face]:
    """The person's faces with their images, newest photo first."""
    return list(
        Face.objects.filter(
            owner_id=person.owner_id,
            person=person,
            removed=False,
            image__trashed_at__isnull=True,
        )
        .select_related("image")
        .defer("descriptor", "thumbnail")
        .order_by("-image__created_at", "id")
    )


def image_people(*, image: Image) -> list[Face]:
    """The grouped faces in the image with their people, left to right."""
    return list(
        Face.objects.filter(
            owner_id=image.owner_id, image=image, removed=False, person__isnull=False
        )
        .select_related("person")
        .defer("descriptor", "thumbnail")
        .order_by("left")
    )


def person_images(*, person: Person) -> QuerySet[Image]:
    """The photos the person is in (not in the trash), newest first."""
    return Image.objects.filter(
        owner_id=person.owner_id,
        trashed_at__isnull=True,
        pk__in=Face.objects.filter(person=person, removed=False).values("image_id"),
    ).order_by("-created_at", "-id")


def face_thumbnail(*, owner: User, face_id: uuid.UUID) -> bytes | None:
    """The JPEG of the owner's face with this id (None: not theirs)."""
    data = (
        Face.objects.filter(owner=owner, pk=face_id)
        .values_list("thumbnail", flat=True)
        .first()
    )
    return None if data is None else bytes(data)


def face_grouping_enabled(*, owner_id: int) -> bool:
    """Whether the owner's faces are grouped into people (on unless turned off)."""
    enabled = (
        Profile.objects.filter(user_id=owner_id)
        .values_list("face_grouping", flat=True)
        .first()
    )
    return enabled is not False


def _people_named_in(owner: User, words: str) -> QuerySet[Person]:
    """The owner's named people whose whole name is among ``words`` (from
    _spaced_words): "Ada at the beach" names Ada, "Adam" does not."""
    # The name's words, lower case, between spaces, as _spaced_words makes them.
    key = Concat(
        Value(" "),
        Func(
            Func(
                Lower("name"),
                Value("[^[:alnum:]]+"),
                Value(" "),
                Value("g"),
                function="regexp_replace",
            ),
            function="btrim",
        ),
        Value(" "),
        output_field=CharField(),
    )
    return (
        Person.objects.filter(owner=owner)
        .exclude(name="")
        .annotate(key=key)
        .exclude(key="  ")
        .annotate(at=StrIndex(Value(words), F("key")))
        .filter(at__gt=0)
    )


def _spaced_words(text: str) -> str:
    """Lower-case words between single spaces, with a space at each end."""
    return " " + " ".join(re.findall(r"[^\W_]+", text.lower())) + " "
