"""Reads: the queries behind the gallery, search and detail pages.

Every query is scoped to one owner and served by an index on the owner's rows
(see Image.Meta.indexes), so its cost follows one library, not the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet
from django.db.models.functions import Power, Sqrt

from .analysis import AZURE_COLOR_NAMES
from .colorspace import parse_hex, rgb_to_lab
from .models import SEARCH_CONFIG, Image

SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "name": ("original_filename", "id"),
    "size": ("-size_bytes", "-id"),
}
# CIELAB ΔE (1976) beyond which a colour no longer reads as "that colour".
MAX_COLOR_DISTANCE = 30.0
WORD = re.compile(r"\w+", re.UNICODE)


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
        images = images.filter(tag_names__contains=[filters.tag])
    if filters.q:
        query = text_query(filters.q)
        if query is None:
            return images.none()
        images = images.filter(search_vector=query)
        if filters.sort == "newest" and not filters.color.startswith("#"):
            # Best match first when the person has not asked for an order.
            images = images.annotate(rank=SearchRank(F("search_vector"), query))
            ordering = ("-rank", *ordering)
    if filters.color in AZURE_COLOR_NAMES:
        images = images.filter(
            Q(dominant_colors__contains=[filters.color])
            | Q(dominant_foreground=filters.color)
            | Q(dominant_background=filters.color)
        )
    elif filters.color:
        images = images.annotate(
            color_distance=_lab_distance(rgb_to_lab(parse_hex(filters.color)))
        ).filter(color_distance__lte=MAX_COLOR_DISTANCE)
        ordering = ("color_distance", *ordering)
    return images.order_by(*ordering)


def text_query(text: str) -> SearchQuery | None:
    """Every word must match; the last one also as a prefix, as people type."""
    words = WORD.findall(text.lower())[:10]
    if not words:
        return None
    terms = [
        f"{word}:*" if i == len(words) - 1 else word for i, word in enumerate(words)
    ]
    # Each word goes through the stemmer first: to_tsquery('english', 'cats')
    # is 'cat'; the words are \w+ only, so they cannot inject tsquery syntax.
    return SearchQuery(" & ".join(terms), search_type="raw", config=SEARCH_CONFIG)


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
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT tag, count(*) AS images
            FROM gallery_image, unnest(tag_names) AS tag
            WHERE owner_id = %s
            GROUP BY tag
            ORDER BY images DESC, tag
            LIMIT %s
            """,
            [owner.pk, limit],
        )
        return cursor.fetchall()
