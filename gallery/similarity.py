"""Image embeddings and "looks alike" search, scoped to one owner.

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

from functools import cache

import numpy as np
from django.db import connection

from .models import Image, ImageEmbedding

CHUNK = 2000
# Cosine similarity above which two images are the same photo resized,
# re-encoded or lightly edited (measured on the offline model's embeddings).
NEAR_DUPLICATE = 0.93


# The offline model's embedding size (gallery.analysis.local.model), repeated
# here so that web processes need not import the model's libraries.
EMBEDDING_DIM = 256


@cache
def stored_dtype(dim: int) -> np.dtype:
    return np.dtype([("scale", "<f4"), ("values", "i1", (dim,))])


def to_bytes(embedding) -> bytes:
    vector = np.asarray(embedding, dtype=np.float32)
    scale = float(np.abs(vector).max()) / 127 or 1.0
    stored = np.zeros(1, stored_dtype(len(vector)))
    stored["scale"] = scale
    stored["values"] = np.round(vector / scale)
    return stored.tobytes()


def from_bytes(data: bytes | memoryview, dim: int = EMBEDDING_DIM) -> np.ndarray:
    """The vectors in ``data`` (one or several stored embeddings), as rows."""
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


def embedding_store(*, image: Image, embedding: list[float] | None) -> None:
    """Save an image's embedding (None removes it)."""
    ImageEmbedding.objects.filter(image_id=image.pk).delete()
    if embedding is None or not Image.objects.filter(pk=image.pk).exists():
        return
    if not pgvector_enabled():
        ImageEmbedding.objects.create(
            image_id=image.pk, owner_id=image.owner_id, data=to_bytes(embedding)
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO gallery_imageembedding (image_id, owner_id, vector) "
            "VALUES (%s, %s, %s::vector)",
            [image.pk, image.owner_id, vector_literal(embedding)],
        )


def embedding_of(image: Image) -> np.ndarray | None:
    if pgvector_enabled():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT vector::text FROM gallery_imageembedding WHERE image_id = %s",
                [image.pk],
            )
            row = cursor.fetchone()
        return None if row is None else np.array(row[0].strip("[]").split(","), "<f4")
    data = (
        ImageEmbedding.objects.filter(image_id=image.pk)
        .values_list("data", flat=True)
        .first()
    )
    return None if data is None else from_bytes(data)[0]


def vector_literal(embedding) -> str:
    """pgvector's text form of an embedding."""
    return "[" + ",".join(f"{value:.6f}" for value in embedding) + "]"


def similar_images(
    *, image: Image, limit: int = 12, min_similarity: float = 0.0
) -> list[tuple[Image, float]]:
    """The owner's other images most like ``image``, best first, with scores."""
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
            SELECT other.image_id, other.vector <=> query.vector AS distance
            FROM gallery_imageembedding AS other,
                 (SELECT vector FROM gallery_imageembedding WHERE image_id = %s)
                     AS query
            WHERE other.owner_id = %s AND other.image_id <> %s
            ORDER BY distance
            LIMIT %s
            """,
            [image.pk, image.owner_id, image.pk, limit],
        )
        ranked = [(image_id, 1 - distance) for image_id, distance in cursor.fetchall()]
    return [(image_id, score) for image_id, score in ranked if score >= min_similarity]


def _rank_in_python(image: Image, limit: int, min_similarity: float):
    query = embedding_of(image)
    if query is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT image_id, data FROM gallery_imageembedding "
            "WHERE owner_id = %s AND image_id <> %s",
            [image.owner_id, image.pk],
        )
        ranked = best_rows(cursor, query, limit, EMBEDDING_DIM)
    return [(image_id, score) for image_id, score in ranked if score >= min_similarity]


def near_duplicates(*, image: Image, limit: int = 6) -> list[tuple[Image, float]]:
    return similar_images(image=image, limit=limit, min_similarity=NEAR_DUPLICATE)


def has_embedding(image: Image) -> bool:
    return ImageEmbedding.objects.filter(image_id=image.pk).exists()
