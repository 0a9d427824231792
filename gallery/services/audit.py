"""Storage audit: storage objects and image rows that lost each other.

Storage is read with one listing per owner directory; each suspected problem
is confirmed with one more request (on S3, a HEAD per missing object and per
orphan's modification time). With ``fix``, orphan objects are deleted, rows
whose original is gone are deleted, and missing renditions are rebuilt from
the original.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from ..models import STORAGE_PREFIXES, Image
from .deletion import image_delete_many
from .renditions import image_renditions_rebuild

# Each top-level prefix the app writes, with the Image field whose objects
# live under it.
PREFIXES = {prefix: field for field, prefix in STORAGE_PREFIXES.items()}
RENDITIONS = {prefix: field for prefix, field in PREFIXES.items() if field != "file"}
# How many orphan candidates are checked against the database in one query.
BATCH = 500


@dataclass
class Tally:
    rows: int = 0
    objects: int = 0
    too_new: int = 0
    objects_without_row: int = 0
    rows_without_object: int = 0
    rows_without_rendition: int = 0
    fixed: int = 0
    fix_failures: int = 0

    @property
    def problems(self) -> int:
        return (
            self.objects_without_row
            + self.rows_without_object
            + self.rows_without_rendition
        )


Report = Callable[[str], None]


def storage_audit(
    *,
    fix: bool,
    min_age: timedelta,
    say: Report,
    fixed: Report,
    failed: Report,
) -> Tally:
    """Compare storage with the database and report (or repair) each problem.

    Objects younger than ``min_age`` are left alone: an upload writes its
    objects just before its row commits. ``say`` receives each problem,
    ``fixed`` each repair and ``failed`` each repair that did not work.
    """
    audit = _StorageAudit(
        fix=fix,
        written_before=timezone.now() - min_age,
        say=say,
        fixed=fixed,
        failed=failed,
    )
    audit.run()
    return audit.tally


class _StorageAudit:
    def __init__(
        self,
        *,
        fix: bool,
        written_before: datetime,
        say: Report,
        fixed: Report,
        failed: Report,
    ) -> None:
        self.fix = fix
        self.written_before = written_before
        self._report, self._report_fixed, self._report_failed = say, fixed, failed
        self.tally = Tally()

    def run(self) -> None:
        self._audit()

    def _audit(self) -> None:
        listed = {prefix: _listing(prefix) for prefix in PREFIXES}
        owner_ids = (
            Image.objects.order_by("owner_id")
            .values_list("owner_id", flat=True)
            .distinct()
        )
        for owner_id in owner_ids.iterator():
            directory = str(owner_id)
            self._audit_owner(
                owner_id,
                {
                    prefix: directory in dirs
                    for prefix, (dirs, _loose) in listed.items()
                },
            )
            for dirs, _loose in listed.values():
                dirs.discard(directory)
        # Whatever is left in storage belongs to no image row at all.
        for prefix, (dirs, loose) in listed.items():
            self._report_objects_without_row(self._counted(loose))
            for directory in sorted(dirs):
                names = _walk(f"{prefix}/{directory}")
                self._report_objects_without_row(self._counted(names))

    def _audit_owner(self, owner_id: int, has_directory: dict[str, bool]) -> None:
        # Rows first, objects second: an upload writes its objects before its
        # row commits, so a row read here always has its objects in the listing.
        rows = list(
            Image.objects.filter(owner_id=owner_id)
            .order_by("created_at", "id")
            .values_list("id", *PREFIXES.values(), named=True)
        )
        self.tally.rows += len(rows)
        stored = {
            prefix: set(_walk(f"{prefix}/{owner_id}")) if present else set()
            for prefix, present in has_directory.items()
        }
        self.tally.objects += sum(len(names) for names in stored.values())
        referenced = {
            getattr(row, field) for row in rows for field in PREFIXES.values()
        }
        for prefix in PREFIXES:
            self._report_objects_without_row(sorted(stored[prefix] - referenced))

        missing_originals = []
        for row in rows:
            if not _is_stored(row.file, stored["images"]):
                self._say(f"row without object: {row.id} {row.file}")
                self.tally.rows_without_object += 1
                missing_originals.append(row.id)
                continue
            missing = [
                (field, getattr(row, field))
                for prefix, field in RENDITIONS.items()
                if getattr(row, field)
                and not _is_stored(getattr(row, field), stored[prefix])
            ]
            for field, name in missing:
                self._say(f"row without {field}: {row.id} {name}")
            if missing:
                self.tally.rows_without_rendition += 1
                if self.fix:
                    self._rebuild_renditions(row.id)
        if self.fix and missing_originals:
            self._delete_rows(missing_originals)

    def _report_objects_without_row(self, names: Iterable[str]) -> None:
        for batch in _batches(names, BATCH):
            for name in sorted(_unreferenced(batch)):
                if not self._old_enough(name):
                    self.tally.too_new += 1
                    continue
                self._say(f"object without row: {name}")
                self.tally.objects_without_row += 1
                if self.fix:
                    self._delete_object(name)

    def _counted(self, names: Iterable[str]) -> Iterator[str]:
        for name in names:
            self.tally.objects += 1
            yield name

    def _old_enough(self, name: str) -> bool:
        try:
            return default_storage.get_modified_time(name) <= self.written_before
        except FileNotFoundError:
            return False  # deleted since the listing: nothing to do

    def _delete_object(self, name: str) -> None:
        try:
            default_storage.delete(name)
        except Exception as error:
            self._fix_failed(f"could not delete {name}: {error}")
        else:
            self._fixed(f"deleted object: {name}")

    def _delete_rows(self, image_ids: list) -> None:
        images = list(Image.objects.filter(pk__in=image_ids).order_by("created_at"))
        # The service also removes their renditions once the deletion commits.
        image_delete_many(images=images)
        for image in images:
            self._fixed(f"deleted row: {image.id} {image.file.name}")

    def _rebuild_renditions(self, image_id: uuid.UUID) -> None:
        image = Image.objects.filter(pk=image_id).first()
        if image is None:
            return  # deleted meanwhile
        image_renditions_rebuild(image=image)
        if image.thumbnail:
            self._fixed(f"rebuilt renditions: {image_id}")
        else:
            # Pages fall back to the original when an image has no renditions.
            self._fixed(f"cleared renditions: {image_id}")

    def _say(self, line: str) -> None:
        self._report(line)

    def _fixed(self, line: str) -> None:
        self.tally.fixed += 1
        self._report_fixed(line)

    def _fix_failed(self, line: str) -> None:
        self.tally.fix_failures += 1
        self._report_failed(line)


def _listing(prefix: str) -> tuple[set[str], list[str]]:
    """The directory names (owner ids) and the loose object names under prefix."""
    try:
        dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:  # local storage before the first upload
        return set(), []
    return set(dirs), [f"{prefix}/{name}" for name in files]


def _walk(prefix: str) -> Iterator[str]:
    """Every object name under prefix, through the Storage API only."""
    try:
        dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}/{name}"
    for directory in dirs:
        yield from _walk(f"{prefix}/{directory}")


def _is_stored(name: str, listed: set[str]) -> bool:
    # A key outside the owner's directory is not in the listing: ask storage.
    return name in listed or default_storage.exists(name)


def _unreferenced(names: list[str]) -> set[str]:
    """The names no image row references, whichever owner's row it would be."""
    fields = PREFIXES.values()
    matches = Q()
    for field in fields:
        matches |= Q(**{f"{field}__in": names})
    found = set()
    for row in Image.objects.filter(matches).values_list(*fields):
        found.update(row)
    return set(names) - found


def _batches(names: Iterable[str], size: int) -> Iterator[list[str]]:
    batch = []
    for name in names:
        batch.append(name)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
