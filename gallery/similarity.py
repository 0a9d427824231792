"""Image embeddings and "looks alike" search, scoped to one owner.

Embeddings are unit-length float32 vectors (cosine similarity = dot product)
kept in ``Image.embedding``. Where PostgreSQL has pgvector, migration 0002 adds
a ``vector`` column that mirrors them and the database ranks the owner's
images itself; elsewhere the owner's embeddings are streamed in chunks and
ranked with numpy, keeping only the best ``limit`` in memory.

Either way the search is exact and reads only the owner's rows (through the
owner index), so its cost follows the size of one library, not of the table.
A global approximate index cannot serve a per-owner query in pgvector 0.6: it
filters after the index scan and may return nothing for a small library.
"""

from __future__ import annotations

import heapq
from functools import cache

import numpy as np
from django.db import connection

from .models import Image

CHUNK = 2000
# Cosine similarity above which two images are the same photo resized,
# re-encoded or lightly edited.
NEAR_DUPLICATE = 0.93


def to_bytes(embedding: list[float] | np.ndarray) -> bytes:
    return np.asarray(embedding, dtype="<f4").tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f4")


@cache
def _has_vector_column(database_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'gallery_image' AND column_name = 'embedding_vector'"
        )
        return cursor.fetchone() is not None


def pgvector_enabled() -> bool:
    return _has_vector_column(connection.settings_dict["NAME"])


def embedding_store(*, image_id, embedding: list[float] | None) -> None:
    """Save an image's embedding (None clears it)."""
    data = None if embedding is None else to_bytes(embedding)
    Image.objects.filter(pk=image_id).update(embedding=data)
    if pgvector_enabled():
        vector = None if embedding is None else _vector_literal(embedding)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE gallery_image SET embedding_vector = %s::vector WHERE id = %s",
                [vector, image_id],
            )


def _vector_literal(embedding) -> str:
    return "[" + ",".join(f"{value:.6f}" for value in embedding) + "]"


def similar_images(
    *, image: Image, limit: int = 12, min_similarity: float = 0.0
) -> list[tuple[Image, float]]:
    """The owner's other images most like ``image``, best first, with scores."""
    if image.embedding is None:
        return []
    if pgvector_enabled():
        ranked = _rank_in_database(image, limit, min_similarity)
    else:
        ranked = _rank_in_python(image, limit, min_similarity)
    found = Image.objects.in_bulk([image_id for image_id, _ in ranked])
    return [(found[image_id], score) for image_id, score in ranked if image_id in found]


def _rank_in_database(image: Image, limit: int, min_similarity: float):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH query AS (
                SELECT embedding_vector AS vector FROM gallery_image WHERE id = %s
            )
            SELECT other.id, 1 - (other.embedding_vector <=> query.vector)
            FROM gallery_image AS other, query
            WHERE other.owner_id = %s
              AND other.id <> %s
              AND other.embedding_vector IS NOT NULL
            ORDER BY other.embedding_vector <=> query.vector
            LIMIT %s
            """,
            [image.id, image.owner_id, image.id, limit],
        )
        return [
            (row[0], row[1]) for row in cursor.fetchall() if row[1] >= min_similarity
        ]


def _rank_in_python(image: Image, limit: int, min_similarity: float):
    query = from_bytes(image.embedding)
    rows = (
        Image.objects.filter(owner_id=image.owner_id, embedding__isnull=False)
        .exclude(pk=image.pk)
        .values_list("id", "embedding")
        .iterator(chunk_size=CHUNK)
    )
    best: list[tuple[float, str, object]] = []
    for image_id, data in rows:
        score = float(from_bytes(data) @ query)
        if score < min_similarity:
            continue
        item = (score, str(image_id), image_id)
        if len(best) < limit:
            heapq.heappush(best, item)
        elif item > best[0]:
            heapq.heapreplace(best, item)
    return [(image_id, score) for score, _, image_id in sorted(best, reverse=True)]


def near_duplicates(*, image: Image, limit: int = 6) -> list[tuple[Image, float]]:
    return similar_images(image=image, limit=limit, min_similarity=NEAR_DUPLICATE)
