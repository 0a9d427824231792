"""Image embeddings in PostgreSQL: their stored form and owner-scoped ranking.

The storage-level library under the indexing service (writes) and the
selectors (reads).

Embeddings are unit-length vectors (cosine similarity = dot product) in their
own narrow table, ImageEmbedding. Where PostgreSQL has pgvector, migration 0003
gives that table a ``vector`` column and the database ranks the owner's images
itself; elsewhere the owner's embeddings are streamed in chunks and ranked
with numpy, keeping only the best ``limit`` in memory. Reading them is what
that path costs, so they are stored as 8-bit integers with a per-vector scale
(260 bytes instead of 1 KB; the cosine moves by about 0.0005).

Either way the search is exact and reads only the owner's rows (through the
owner index), so its cost follows the size of one library, not of the table.
A global approximate index (HNSW) cannot serve a per-owner query in pgvector
0.6: it filters after the index scan and may return nothing for a small
library.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from django.db import connection

from .analysis.base import EMBEDDING_DIM
from .models import ImageEmbedding

if TYPE_CHECKING:
    import numpy as np

CHUNK = 2000
# Cosine similarity above which two images are the same photo resized,
# re-encoded or lightly edited (measured on the offline model's embeddings).
NEAR_DUPLICATE = 0.93
# Below this, photos have little in common (on the offline model two
# unrelated photos score 0.1-0.35; scenes of one kind 0.8 and more).
ALIKE = 0.4


@cache
def stored_dtype(dim: int) -> np.dtype:
    import numpy as np

    return np.dtype([("scale", "<f4"), ("values", "i1", (dim,))])


def to_bytes(embedding: Sequence[float]) -> bytes:
    import numpy as np

    vector = np.asarray(embedding, dtype=np.float32)
    scale = float(np.abs(vector).max()) / 127 or 1.0
    stored = np.zeros(1, stored_dtype(len(vector)))
    stored["scale"] = scale
    stored["values"] = np.round(vector / scale)
    return stored.tobytes()


def from_bytes(data: bytes | memoryview, dim: int = EMBEDDING_DIM) -> np.ndarray:
    """The vectors in ``data`` (one or several stored embeddings), as rows."""
    import numpy as np

    stored = np.frombuffer(bytes(data), stored_dtype(dim))
    return stored["values"].astype(np.float32) * stored["scale"][:, None]


@cache
def _has_vector_column(database_name: str, table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = %s AND column_name = 'vector'",
            [table],
        )
        return cursor.fetchone() is not None


def pgvector_enabled(table: str = "gallery_imageembedding") -> bool:
    return _has_vector_column(connection.settings_dict["NAME"], table)


def best_rows(cursor, query: np.ndarray, limit: int, dim: int) -> list[tuple]:
    """The ``limit`` best (id, cosine) of a cursor over (id, stored vector)
    rows, read in chunks: only the best so far are held in memory."""
    import numpy as np

    best_ids: list = []
    best_scores = np.empty(0, dtype=np.float32)
    while chunk := cursor.fetchmany(CHUNK):
        vectors = from_bytes(b"".join(bytes(data) for _, data in chunk), dim)
        best_ids += [row_id for row_id, _ in chunk]
        best_scores = np.concatenate([best_scores, vectors @ query])
        keep = np.argsort(-best_scores, kind="stable")[:limit]
        best_ids = [best_ids[i] for i in keep]
        best_scores = best_scores[keep]
    return [
        (row_id, float(score))
        for row_id, score in zip(best_ids, best_scores, strict=True)
    ]


def embedding_write(*, image_id, owner_id: int, embedding: Sequence[float]) -> None:
    """Store an image's embedding in whichever column this database uses."""
    if not pgvector_enabled():
        ImageEmbedding.objects.create(
            image_id=image_id, owner_id=owner_id, data=to_bytes(embedding)
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO gallery_imageembedding (image_id, owner_id, vector) "
            "VALUES (%s, %s, %s::vector)",
            [image_id, owner_id, vector_literal(embedding)],
        )


def embedding_read(image_id) -> np.ndarray | None:
    import numpy as np

    if pgvector_enabled():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT vector::text FROM gallery_imageembedding WHERE image_id = %s",
                [image_id],
            )
            row = cursor.fetchone()
        return None if row is None else np.array(row[0].strip("[]").split(","), "<f4")
    data = (
        ImageEmbedding.objects.filter(image_id=image_id)
        .values_list("data", flat=True)
        .first()
    )
    return None if data is None else from_bytes(data)[0]


def vector_literal(embedding: Sequence[float] | np.ndarray) -> str:
    """pgvector's text form of an embedding."""
    return "[" + ",".join(f"{value:.6f}" for value in embedding) + "]"


Ranked = list[tuple[uuid.UUID, float]]


def rank_similar(
    *, image_id, owner_id: int, limit: int, min_similarity: float
) -> Ranked:
    """Ids of the owner's other images nearest to ``image_id``, best first."""
    if pgvector_enabled():
        ranked = _rank_in_database(image_id, owner_id, limit)
    else:
        ranked = _rank_in_python(image_id, owner_id, limit)
    return [(other, score) for other, score in ranked if score >= min_similarity]


def _rank_in_database(image_id, owner_id: int, limit: int) -> Ranked:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT other.image_id, other.vector <=> query.vector AS distance
            FROM gallery_imageembedding AS other,
                 (SELECT vector FROM gallery_imageembedding WHERE image_id = %s)
                     AS query
            WHERE other.owner_id = %s AND other.image_id <> %s
            ORDER BY distance
            LIMIT %s
            """,
            [image_id, owner_id, image_id, limit],
        )
        return [(other, 1 - distance) for other, distance in cursor.fetchall()]


def _rank_in_python(image_id, owner_id: int, limit: int) -> Ranked:
    query = embedding_read(image_id)
    if query is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT image_id, data FROM gallery_imageembedding "
            "WHERE owner_id = %s AND image_id <> %s",
            [owner_id, image_id],
        )
        ranked = best_rows(cursor, query, limit, EMBEDDING_DIM)
    return ranked
