"""Reads: the queries behind the gallery, search and detail pages.

Every query is scoped to one owner and served by an index of that owner's rows
(the owner + date index, or the owner-scoped GIN indexes of gallery.search),
so its cost follows one library, not the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchRank
from django.core.paginator import Page, Paginator
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Power, Sqrt

from . import search, semantic
from .analysis import AZURE_COLOR_NAMES
from .colorspace import parse_hex, rgb_to_lab
from .models import Image, OwnerTag

SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "name": ("original_filename", "id"),
    "size": ("-size_bytes", "-id"),
}


@dataclass(frozen=True)
class ImageFilters:
    q: str = ""
    tag: str = ""
    color: str = ""
    sort: str = "newest"
    errors: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.q or self.tag or self.color)


def image_filters(params) -> ImageFilters:
    """Clean ?q=, ?tag=, ?color= and ?sort= from a query dict."""
    errors = []
    color = params.get("color", "").strip().lower()
    if color and color not in AZURE_COLOR_NAMES and parse_hex(color) is None:
        errors.append(
            f"“{color[:30]}” is not a colour: use a name such as blue, or a "
            "hex value such as #3366cc."
        )
        color = ""
    elif parse_hex(color):
        color = "#" + color.lstrip("#")
    sort = params.get("sort", "newest")
    return ImageFilters(
        q=params.get("q", "").strip()[:200],
        tag=params.get("tag", "").strip().lower()[:100],
        color=color,
        sort=sort if sort in SORTS else "newest",
        errors=errors,
    )


def image_list(*, owner, filters: ImageFilters | None = None) -> QuerySet[Image]:
    """The owner's images matching the filters, in the chosen order."""
    filters = filters or ImageFilters()
    images = Image.objects.filter(owner=owner)
    ordering = SORTS[filters.sort]
    if filters.tag:
        tag = search.tag_key(owner.pk, filters.tag)
        images = images.filter(facet_keys__contains=[tag])
    if filters.color in AZURE_COLOR_NAMES:
        color = search.color_key(owner.pk, filters.color)
        images = images.filter(facet_keys__contains=[color])
    elif filters.color:
        lab = rgb_to_lab(parse_hex(filters.color))
        cells = search.lab_neighbourhood_keys(owner.pk, lab)
        images = (
            images.filter(facet_keys__overlap=cells)
            .annotate(color_distance=_lab_distance(lab))
            .filter(color_distance__lte=search.MAX_COLOR_DISTANCE)
        )
        ordering = ("color_distance", *ordering)
    if filters.q:
        images, best_first = _text_matches(images, owner=owner, text=filters.q)
        if filters.sort == "newest" and not filters.color.startswith("#"):
            # Best match first when the person has not asked for an order.
            ordering = (best_first, *ordering)
    return images.order_by(*ordering)


def _text_matches(
    images: QuerySet[Image], *, owner, text: str
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
    score = RawSQL(
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


def image_page(images: QuerySet[Image], number, *, per_page: int) -> Page:
    """One page of ``images``, its rows fetched by id.

    The offset is walked over ids only (an index-only scan in the gallery's
    order), then only the page's rows are read, so deep pages stay cheap.
    """
    ids = images.values_list("pk", flat=True)
    page = Paginator(ids, per_page).get_page(number)
    page_ids = list(page.object_list)
    rows = Image.objects.in_bulk(page_ids)
    page.object_list = [rows[image_id] for image_id in page_ids if image_id in rows]
    return page


def _lab_distance(lab: tuple[float, float, float]) -> Sqrt:
    """ΔE 1976 between the image's accent colour and ``lab``."""
    return Sqrt(
        Power(F("accent_lab__0") - lab[0], 2)
        + Power(F("accent_lab__1") - lab[1], 2)
        + Power(F("accent_lab__2") - lab[2], 2),
        output_field=FloatField(),
    )


def image_count(*, owner) -> int:
    return Image.objects.filter(owner=owner).count()


def tag_counts(*, owner, limit: int = 15) -> list[tuple[str, int]]:
    """The owner's most common tags with their image counts."""
    return list(
        OwnerTag.objects.filter(owner=owner)
        .order_by("-image_count", "name")
        .values_list("name", "image_count")[:limit]
    )
