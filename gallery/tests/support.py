"""Helpers shared by the test suites."""

from __future__ import annotations

import os
import socket

import pytest

# A Redis database of its own for the Celery tests (TEST_REDIS_URL lets two
# checkouts run their suites side by side on one Redis).
BROKER = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def unit_vector(alike: float, direction: int) -> list[float]:
    """An image embedding whose cosine with the first axis is ``alike``;
    embeddings of different ``direction`` (1 and up) are otherwise orthogonal,
    so a test sets how alike its photos are."""
    import numpy as np

    from gallery.analysis.base import EMBEDDING_DIM

    vector = np.zeros(EMBEDDING_DIM)
    vector[0] = alike
    vector[direction] = np.sqrt(1 - alike**2)
    return vector.tolist()


def component_missing(message: str) -> None:
    """Skip a test whose real component is missing here; in CI, fail it.

    CI installs every component (.ci/run), so a missing one there is a broken
    setup, not a reason to pass quietly.
    """
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def row_lock_is_free(user) -> bool:
    """Whether another connection, as a parallel request has, could lock the
    user's row right now (asked from a thread of its own)."""
    import threading

    from django.contrib.auth.models import User
    from django.db import DatabaseError, connections, transaction

    answer = []

    def try_the_lock():
        try:
            with transaction.atomic():
                User.objects.select_for_update(nowait=True).get(pk=user.pk)
            answer.append(True)
        except DatabaseError:
            answer.append(False)
        finally:
            connections.close_all()

    probe = threading.Thread(target=try_the_lock)
    probe.start()
    probe.join()
    return answer[0]
