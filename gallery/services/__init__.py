"""Writes: every change to images goes through these functions.

uploads: storing new images; analysis: running and recording analysis;
indexing: the derived fields search and similarity read; deletion: removing
images, users and their objects; audit: storage and rows that lost each other;
people: faces grouped into people and the owner's corrections.
"""

from __future__ import annotations

from .analysis import (
    ANALYSIS_FIELDS,
    TooManyToAnalyseNow,
    image_analysis_schedule,
    image_analyze,
    image_reanalyze_many,
)
from .audit import storage_audit
from .deletion import (
    image_delete,
    image_delete_all,
    image_delete_for_owner,
    image_delete_many,
    user_delete,
)
from .indexing import image_index
from .people import (
    PersonError,
    face_grouping_set,
    face_remove,
    people_merge,
    person_rename,
)
from .uploads import (
    DuplicateImage,
    StorageUnavailable,
    UploadLimitReached,
    UploadRefused,
    clean_filename,
    image_renditions_rebuild,
    image_upload,
)

__all__ = [
    "ANALYSIS_FIELDS",
    "DuplicateImage",
    "PersonError",
    "StorageUnavailable",
    "TooManyToAnalyseNow",
    "UploadLimitReached",
    "UploadRefused",
    "clean_filename",
    "face_grouping_set",
    "face_remove",
    "image_analysis_schedule",
    "image_analyze",
    "image_delete",
    "image_delete_all",
    "image_delete_for_owner",
    "image_delete_many",
    "image_index",
    "image_reanalyze_many",
    "image_renditions_rebuild",
    "image_upload",
    "people_merge",
    "person_rename",
    "storage_audit",
    "user_delete",
]
