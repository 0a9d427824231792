"""Derived fields: what search and similarity read, kept in step with each image.

An image's search vector and facet keys (gallery.search), its owner's tag
counts (OwnerTag), its embedding (gallery.similarity) and the embedding of its
words (gallery.semantic) are computed from the image's own fields (its faces
are written by gallery.services.people, and removed from here). This is the
one place that writes them: the upload service calls it as soon as a row
exists (so a new image is found by its file name at once), the analysis
service after every analysis, and the deletion service before rows go.
Callers hold the transaction.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Literal

from django.db import connection

from .. import search, semantic, similarity
from ..models import Image, ImageEmbedding, ImageTextEmbedding
from .people import faces_unindex


class _Keep(enum.Enum):
    EMBEDDING = "keep"


# Pass as ``embedding`` to leave the stored embedding as it is.
KEEP_EMBEDDING = _Keep.EMBEDDING
# A new embedding, None to remove it, or KEEP_EMBEDDING.
EmbeddingUpdate = Sequence[float] | None | Literal[_Keep.EMBEDDING]


def image_index(
    *,
    image: Image,
    tags_before: Iterable[str] = (),
    embedding: EmbeddingUpdate = KEEP_EMBEDDING,
) -> None:
    """Bring the image's derived fields in step with its current fields.

    ``tags_before`` are the tag names the image had when it was last indexed;
    ``embedding`` replaces the stored one (None removes it).
    """
    Image.objects.filter(pk=image.pk).update(**search.indexed_fields(image))
    if image.trashed_at is None:  # a trashed image's tags are not counted
        count_tags(image.owner_id, added=image.tag_names, removed=tags_before)
    if embedding is KEEP_EMBEDDING:
        return
    ImageEmbedding.objects.filter(image_id=image.pk).delete()
    if embedding is not None:
        similarity.embedding_write(
            image_id=image.pk, owner_id=image.owner_id, embedding=embedding
        )


def image_insert(*, image: Image) -> None:
    """Insert a new image with the derived fields its first index would write,
    in the one statement (an UPDATE after the INSERT cost every upload a
    second one). A new image has no tags to count and no embedding."""
    fields = search.indexed_fields(image)
    for name, value in fields.items():
        setattr(image, name, value)
    image.save(force_insert=True)
    for name in fields:
        # Deferred from now on: read from the row if asked, never saved back.
        del image.__dict__[name]


def image_text_vector(*, image: Image) -> Sequence[float] | None:
    """The embedding of the image's words for search by meaning; None without
    words. Computed before the analysis transaction: the sentence model takes
    tens of milliseconds."""
    words = semantic.image_words(image)
    return semantic.embed(words) if words else None


def image_text_index(*, image: Image, vector: Sequence[float] | None) -> None:
    """Store the embedding of the image's words (None: no words, no embedding),
    inside the transaction that stores the analysis."""
    ImageTextEmbedding.objects.filter(image_id=image.pk).delete()
    if vector is None:
        return
    if not similarity.pgvector_enabled(semantic.TABLE):
        ImageTextEmbedding.objects.create(
            image_id=image.pk, owner_id=image.owner_id, data=similarity.to_bytes(vector)
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {semantic.TABLE} (image_id, owner_id, vector) "
            "VALUES (%s, %s, %s::vector)",
            [image.pk, image.owner_id, similarity.vector_literal(vector)],
        )


def images_unindex(
    *, image_ids: Collection[object], tags_by_owner: Mapping[int, list[str]]
) -> None:
    """Remove what the images contributed, before their rows are deleted."""
    # The embeddings first: deleting their images is then a single statement.
    ImageEmbedding.objects.filter(image_id__in=image_ids).delete()
    ImageTextEmbedding.objects.filter(image_id__in=image_ids).delete()
    faces_unindex(image_ids=image_ids)
    for owner_id, tag_names in tags_by_owner.items():
        count_tags(owner_id, removed=tag_names)


def count_images(owner_id: int, delta: int) -> None:
    """Keep OwnerLibrary's total in step: ``delta`` images added (or removed).

    Every change of the owner's images out of the trash comes through here
    (upload, trash, restore, delete), so this also gives the library a new
    version: the months a page caches (selectors.library_cached) are read
    again.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO gallery_ownerlibrary AS library (owner_id, image_count)
            VALUES (%s, GREATEST(%s, 0))
            ON CONFLICT (owner_id)
            DO UPDATE SET image_count = GREATEST(library.image_count + %s, 0),
                          version = gen_random_uuid()
            """,
            [owner_id, delta, delta],
        )


def library_changed(owner_id: int) -> None:
    """Give the owner's library a new version: what pages cache about it
    (selectors.library_cached) is read again. A library without a row has
    nothing cached."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE gallery_ownerlibrary SET version = gen_random_uuid() "
            "WHERE owner_id = %s",
            [owner_id],
        )


def count_tags(
    owner_id: int, *, added: Iterable[str] = (), removed: Iterable[str] = ()
) -> None:
    """Keep OwnerTag in step with the tags of the owner's images.

    A constant number of statements however many tags change; the upsert
    keeps concurrent changes of one owner's counts from losing each other.
    """
    change = Counter(added)
    change.subtract(Counter(removed))
    names = [name for name, delta in change.items() if delta]
    if not names:
        return
    deltas = [change[name] for name in names]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO gallery_ownertag AS tag (owner_id, name, image_count)
            SELECT %s, change.name, change.delta
            FROM unnest(%s::text[], %s::int[]) AS change(name, delta)
            WHERE change.delta > 0
            ON CONFLICT (owner_id, name)
            DO UPDATE SET image_count = tag.image_count + EXCLUDED.image_count
            """,
            [owner_id, names, deltas],
        )
        cursor.execute(
            """
            UPDATE gallery_ownertag AS tag
            SET image_count = GREATEST(tag.image_count + change.delta, 0)
            FROM unnest(%s::text[], %s::int[]) AS change(name, delta)
            WHERE change.delta < 0 AND tag.owner_id = %s AND tag.name = change.name
            """,
            [names, deltas, owner_id],
        )
        cursor.execute(
            "DELETE FROM gallery_ownertag WHERE owner_id = %s AND image_count = 0",
            [owner_id],
        )
    # After the tags' rows, as every caller that also counts images does, so
    # that concurrent changes of one owner lock the rows in one order.
    library_changed(owner_id)
