"""Owner-scoped full-text search and exact filters, served by GIN indexes.

PostgreSQL cannot combine ``owner_id = X`` with a GIN lookup in one index
without the btree_gin extension (which the embedded PostgreSQL lacks), and a
GIN lookup of a common word across every library grows with the whole table.
So the owner goes into the indexed values themselves:

* every lexeme of ``Image.search_vector`` is prefixed with ``u<owner id>_``
  ("u7_beach"), and queries are built from the same prefixed lexemes, so the
  GIN index only ever returns the owner's rows, prefix queries included;
* ``Image.facet_keys`` holds "tag:<owner>:<tag>", "color:<owner>:<name>" and
  "lab:<owner>:<cell>" keys for the tag, colour-name and nearest-colour filters.

The cost of a search then follows the number of the owner's matches, neither
the size of the table nor of the rest of the library.
"""

from __future__ import annotations

import math
import re
from itertools import product

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models.expressions import RawSQL

SEARCH_CONFIG = "english"
# Nearest-colour search looks at images whose accent colour lies in the
# query's CIELAB cell or a neighbouring one: with cells as wide as the cut-off,
# that covers every colour within the cut-off.
MAX_COLOR_DISTANCE = 30.0
LAB_CELL = MAX_COLOR_DISTANCE
WORD = re.compile(r"\w+", re.UNICODE)
WEIGHTED_PART = (
    "setweight(array_to_tsvector(ARRAY("
    "SELECT %s || lexeme FROM unnest(to_tsvector(%s::regconfig, %s))"
    ')), %s::"char")'
)


class LexemeQuery(SearchQuery):
    """A tsquery of lexemes that are already normalised: cast, never parsed
    (a text search parser would split "u7_beach" at the underscore)."""

    template = "(%(expressions)s)::tsquery"

    def __init__(self, value: str) -> None:
        super().__init__(value, search_type="raw")


def owner_prefix(owner_id: int) -> str:
    return f"u{owner_id}_"


def search_vector(
    *, owner_id: int, description: str, tag_names: list[str], filename: str
) -> RawSQL:
    """The value of Image.search_vector: description A, tags B, file name C."""
    # Separators become spaces so that "IMG_2041-beach.jpg" yields "beach".
    filename_words = re.sub(r"[_.\-]+", " ", filename)
    parts = [(description, "A"), (" ".join(tag_names), "B"), (filename_words, "C")]
    sql = " || ".join([WEIGHTED_PART] * len(parts))
    params: list[str] = []
    for text, weight in parts:
        params += [owner_prefix(owner_id), SEARCH_CONFIG, text, weight]
    return RawSQL(sql, params)


def text_query(*, owner_id: int, text: str) -> SearchQuery | None:
    """Every word must match; the last one also as a prefix, as people type.

    Words are stemmed by PostgreSQL exactly as the indexed text was ("cats"
    becomes "cat"), then prefixed with the owner. None when no word is left
    (only punctuation or stop words).
    """
    words = WORD.findall(text.lower())[:10]
    if not words:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word.position, lexeme.lexeme "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS word(text, position), "
            "unnest(to_tsvector(%s::regconfig, word.text)) AS lexeme "
            "ORDER BY word.position",
            [words, SEARCH_CONFIG],
        )
        lexemes = cursor.fetchall()
    if not lexemes:
        return None
    last = lexemes[-1][0]
    prefix = owner_prefix(owner_id)
    # Lexemes of \w+ words hold no quote; quoting keeps tsquery syntax out.
    terms = [
        f"'{prefix}{lexeme}'" + (":*" if position == last else "")
        for position, lexeme in lexemes
    ]
    return LexemeQuery(" & ".join(terms))


def facet_keys(
    *,
    owner_id: int,
    tag_names: list[str],
    color_names: list[str],
    accent_lab: list[float] | None,
) -> list[str]:
    keys = {tag_key(owner_id, tag) for tag in tag_names}
    keys |= {color_key(owner_id, name) for name in color_names if name}
    if accent_lab:
        keys.add(_lab_key(owner_id, _lab_cell(accent_lab)))
    return sorted(keys)


def tag_key(owner_id: int, tag: str) -> str:
    return f"tag:{owner_id}:{tag}"


def color_key(owner_id: int, name: str) -> str:
    return f"color:{owner_id}:{name}"


def lab_neighbourhood_keys(owner_id: int, lab: tuple[float, float, float]) -> list[str]:
    """Keys of the cells that can hold a colour within MAX_COLOR_DISTANCE."""
    centre = _lab_cell(lab)
    return [
        _lab_key(owner_id, tuple(c + d for c, d in zip(centre, delta, strict=True)))
        for delta in product((-1, 0, 1), repeat=3)
    ]


def _lab_cell(lab) -> tuple[int, int, int]:
    return tuple(math.floor(value / LAB_CELL) for value in lab)


def _lab_key(owner_id: int, cell: tuple[int, ...]) -> str:
    return f"lab:{owner_id}:" + ":".join(str(value) for value in cell)


def indexed_fields(image) -> dict:
    """search_vector and facet_keys for an image's current analysis fields."""
    return {
        "search_vector": search_vector(
            owner_id=image.owner_id,
            description=image.description,
            tag_names=image.tag_names,
            filename=image.original_filename,
        ),
        "facet_keys": facet_keys(
            owner_id=image.owner_id,
            tag_names=image.tag_names,
            color_names=[
                image.dominant_foreground,
                image.dominant_background,
                *image.dominant_colors,
            ],
            accent_lab=image.accent_lab,
        ),
    }
