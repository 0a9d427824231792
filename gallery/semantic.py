"""Search by meaning, scoped to one owner: "kitten" finds the cat.

Each analysed image's words — its description, tags and colour names — are
embedded once at analysis time by a sentence model (gallery.text_embedding)
into a unit-length vector, stored by the indexing service
(gallery.services.indexing.image_text_index) in its own narrow table,
ImageTextEmbedding.
A query is embedded the same way, and the owner's images are ranked by cosine
similarity, exactly as gallery.similarity ranks pictures: by pgvector in the
database where PostgreSQL has it (migration 0006 adds the ``vector``
column), otherwise by streaming the owner's 8-bit vectors through numpy in
chunks, keeping only the best. Either way only the owner's rows are read.

gallery.selectors combines these matches with the full-text ones.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from django.db import connection

from . import similarity
from .colorspace import COLOR_NAMES
from .models import Image

logger = logging.getLogger(__name__)

TABLE = "gallery_imagetextembedding"
# all-MiniLM-L6-v2's size (gallery.text_embedding.DIM), repeated here so that
# web processes need not import numpy models just to render a page.
TEXT_EMBEDDING_DIM = 384
# Cosine similarity from which a photo matches a query by meaning alone. On
# our sample analyses the right photo scored 0.45-0.75 ("kitten" -> the cat
# 0.48, "red motorbike" -> the motorcycle 0.65) and unrelated ones 0.1-0.35.
MIN_SIMILARITY = 0.4
# Matches by meaning considered per query (the best ones).
CANDIDATES = 200
# Colour names all sit close together for the sentence model ("blue" is 0.4-0.5
# from any photo described by its colours): a query of colours alone is left
# to the words and the colour filter.
COLOR_WORDS = {*COLOR_NAMES, "grey", "colour", "color", "colorful", "colourful"}


def image_words(image: Image) -> str:
    """The text an image is found by: description, tags, colours."""
    parts = [image.description.rstrip(".")]
    if image.tag_names:
        parts.append(", ".join(image.tag_names))
    colors = dict.fromkeys(
        c for c in (image.dominant_foreground, *image.dominant_colors) if c
    )
    if colors:
        parts.append(", ".join(colors))
    return ". ".join(p for p in parts if p)


def embed(text: str) -> list[float]:
    # Imported here: numpy and the model load only where text is embedded.
    from .text_embedding import embed_text

    return embed_text(text)


@lru_cache(maxsize=256)
def _query_vector(text: str) -> tuple[float, ...]:
    # Paging through results asks again: embed each query once per process.
    return tuple(embed(text))


def images_by_meaning(
    *,
    owner_id: int,
    text: str,
    limit: int = CANDIDATES,
    min_similarity: float = MIN_SIMILARITY,
) -> list[tuple]:
    """(image id, cosine) of the owner's images closest in meaning to
    ``text``, best first (none for a query of colour names only)."""
    import numpy as np

    words = re.findall(r"\w+", text.lower())
    if not words or set(words) <= COLOR_WORDS:
        return []
    query = np.asarray(_query_vector(text.strip().lower()), dtype=np.float32)
    if similarity.pgvector_enabled(TABLE):
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT image_id, vector <=> %s::vector AS distance FROM {TABLE} "
                "WHERE owner_id = %s ORDER BY distance LIMIT %s",
                [similarity.vector_literal(query), owner_id, limit],
            )
            ranked = [(image_id, 1 - d) for image_id, d in cursor.fetchall()]
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT image_id, data FROM {TABLE} WHERE owner_id = %s", [owner_id]
            )
            ranked = similarity.best_rows(cursor, query, limit, TEXT_EMBEDDING_DIM)
    return [(image_id, score) for image_id, score in ranked if score >= min_similarity]
