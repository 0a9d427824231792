"""Analysing many of an owner's images again: the gallery's bulk action."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from ..models import Image
from .processing import image_analysis_schedule

# With GALLERY_PROCESSING=request each analysis runs inside the request, so a
# bulk re-analysis there is kept to what one request can do; on the workers a
# selection is marked one image at a time, so it is kept to a thousand
# (`manage.py reanalyze` renews whole libraries).
MAX_REANALYSES_IN_REQUEST = 24
MAX_REANALYSES = 1000


class TooManyToAnalyseNow(Exception):
    """More images than one request should take on."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            f"Re-analysing {count} photos at once is more than {limit}: choose "
            f"fewer, or have an operator run `manage.py reanalyze`."
        )


def image_reanalyze_many(*, images: QuerySet[Image]) -> int:
    """Have ``images`` analysed again; TooManyToAnalyseNow beyond the limit."""
    limit = (
        MAX_REANALYSES_IN_REQUEST
        if settings.GALLERY_PROCESSING == "request"
        else MAX_REANALYSES
    )
    chosen = list(images[: limit + 1])
    if len(chosen) > limit:
        raise TooManyToAnalyseNow(images.count(), limit)
    for image in chosen:
        image_analysis_schedule(image=image)
    return len(chosen)
