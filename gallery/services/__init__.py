"""Writes: every change to images goes through these functions.

uploads: storing new images; processing: their renditions and analysis
after the response (the background worker); analysis: running and recording
analysis;
indexing: the derived fields search and similarity read; deletion: removing
images, users and their objects; trash: deleting that can be undone for a
while; imports: folders of photos through the upload service; audit: storage
and rows that lost each other; people: faces grouped into people and the
owner's corrections.
"""

from __future__ import annotations

from .analysis import ANALYSIS_FIELDS, image_analyze
from .audit import storage_audit
from .deletion import (
    image_delete,
    image_delete_all,
    image_delete_for_owner,
    image_delete_many,
    objects_delete,
    pending_deletions_retry,
    user_delete,
)
from .imports import ImportSummary, image_import, images_import, import_paths
from .indexing import image_index
from .people import (
    PersonError,
    face_grouping_set,
    face_remove,
    people_merge,
    person_rename,
)
from .processing import (
    image_analysis_schedule,
    image_process,
    image_process_claimed,
    image_process_next,
    image_processing_schedule,
    processing_worker_run,
)
from .reanalysis import TooManyToAnalyseNow, image_reanalyze_many
from .renditions import image_renditions_rebuild
from .trash import (
    RestoreOverLimit,
    images_restore,
    images_trash,
    images_trash_all,
    trash_delete,
    trash_empty,
    trash_enabled,
    trash_purge,
)
from .uploads import (
    DuplicateImage,
    StorageUnavailable,
    UploadLimitReached,
    UploadRefused,
    clean_filename,
    image_upload,
)

__all__ = [
    "ANALYSIS_FIELDS",
    "DuplicateImage",
    "ImportSummary",
    "PersonError",
    "RestoreOverLimit",
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
    "image_import",
    "image_index",
    "image_process",
    "image_process_claimed",
    "image_process_next",
    "image_processing_schedule",
    "image_reanalyze_many",
    "image_renditions_rebuild",
    "image_upload",
    "images_import",
    "images_restore",
    "images_trash",
    "images_trash_all",
    "import_paths",
    "objects_delete",
    "pending_deletions_retry",
    "people_merge",
    "person_rename",
    "processing_worker_run",
    "storage_audit",
    "trash_delete",
    "trash_empty",
    "trash_enabled",
    "trash_purge",
    "user_delete",
]
