"""A value built on first use, once per process: the home of every lazily
loaded model (the classifier, the object detector, the face models, the
sentence model).

Models are heavy (tens of megabytes, hundreds of milliseconds to load), so a
process that never analyses or searches never loads them, and threads that ask
at the same time wait for one build instead of each building their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Lazy(Generic[T]):
    """``get()`` builds the value with ``build()`` the first time, behind a lock,
    and returns the same value afterwards; ``reset()`` forgets it (tests, or
    after the settings it was built from changed)."""

    def __init__(self, build: Callable[[], T], name: str) -> None:
        self._build = build
        self.name = name
        self._lock = threading.Lock()
        self._value: T | None = None

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                value = self._value
                if value is None:
                    start = time.perf_counter()
                    value = self._build()
                    logger.info(
                        "Loaded %s in %.2fs", self.name, time.perf_counter() - start
                    )
                    self._value = value
        return value

    def reset(self) -> None:
        with self._lock:
            self._value = None

    @property
    def loaded(self) -> bool:
        return self._value is not None
