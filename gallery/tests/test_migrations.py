"""Migrations that move data do what they did when they were written."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gallery import search, selectors, similarity
from gallery.models import Image

BEFORE = [("gallery", "0002_search_and_similarity")]


@pytest.fixture
def migrator(transactional_db):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("gallery")
    executor.migrate(BEFORE)
    yield MigrationExecutor(connection)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    similarity._has_vector_column.cache_clear()


def test_0003_moves_embeddings_and_builds_the_owner_scoped_index(migrator, alice):
    old = migrator.loader.project_state(BEFORE).apps.get_model("gallery", "Image")
    vector = np.zeros(similarity.EMBEDDING_DIM, dtype="<f4")
    vector[3] = 1.0
    row = old.objects.create(
        owner_id=alice.pk,
        file="images/1/a.jpg",
        original_filename="IMG_7-harbour.jpg",
        content_type="image/jpeg",
        size_bytes=10,
        width=4,
        height=3,
        sha256="0" * 64,
        analysis_status="done",
        description="A boat in a harbour",
        tag_names=["boat", "sea"],
        dominant_foreground="blue",
        dominant_colors=["blue", "white"],
        accent_lab=[40.0, 10.0, -50.0],
        embedding=vector.tobytes(),
    )

    migrator.loader.build_graph()
    migrator.migrate(migrator.loader.graph.leaf_nodes("gallery"))
    similarity._has_vector_column.cache_clear()

    image = Image.objects.get(pk=row.pk)
    # The index the migration built is the one today's code builds.
    expected = search.indexed_fields(image)
    assert image.facet_keys == expected["facet_keys"]
    for words in ("harbour", "boat", "sea", "IMG"):
        query = search.text_query(owner_id=alice.pk, text=words)
        assert Image.objects.filter(pk=row.pk, search_vector=query).exists(), words
    assert selectors.tag_counts(owner=alice) == [("boat", 1), ("sea", 1)]
    stored = similarity.embedding_read(row.pk)
    assert stored is not None
    assert np.allclose(stored, vector, atol=0.01)
