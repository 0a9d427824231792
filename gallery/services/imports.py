"""Bulk import: a folder tree of photos into one user's library.

Each file goes through the upload service, so an import validates, caps,
stores and analyses exactly as the upload page does. Files whose bytes the
library already holds are skipped before any decoding, which is what makes an
interrupted import safe to run again: what was stored is recognised by its
content, and a file cut off mid-way left nothing behind (the upload service
removes its objects when no row was committed).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File

from ..imaging import sha256_of
from ..models import Image
from .uploads import DuplicateImage, UploadLimitReached, UploadRefused, image_upload


@dataclass
class ImportSummary:
    imported: int = 0
    already_there: int = 0
    # (path, reason) of each file that was not stored.
    refused: list[tuple[str, str]] = field(default_factory=list)
    limit_reached: bool = False


def import_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Files named, and the files of folders named (depth first, by name),
    leaving out hidden files and folders (.DS_Store, .thumbnails, …)."""
    for given in paths:
        path = Path(given)
        if path.is_file():
            yield path
            continue
        for folder, folders, files in os.walk(path):
            folders[:] = sorted(name for name in folders if not name.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    yield Path(folder) / name


def image_import(
    *, owner: User, path: Path, enforce_limit: bool = True
) -> Image | None:
    """Store one file for ``owner``; None when the library already has it.

    Raises what image_upload raises (ValidationError, UploadRefused).
    """
    with path.open("rb") as handle:
        file = File(handle, name=path.name)
        if Image.objects.filter(owner=owner, sha256=sha256_of(file)).exists():
            return None
        try:
            return image_upload(owner=owner, file=file, enforce_limit=enforce_limit)
        except DuplicateImage:
            return None


def images_import(
    *,
    owner: User,
    paths: Iterable[Path],
    enforce_limit: bool = True,
    progress: Callable[[Path], object] | None = None,
) -> ImportSummary:
    """Import ``paths`` one by one; stops at the cap (the rest would be refused)."""
    summary = ImportSummary()
    for path in paths:
        try:
            image = image_import(owner=owner, path=path, enforce_limit=enforce_limit)
        except UploadLimitReached as reached:
            summary.refused.append((str(path), str(reached)))
            summary.limit_reached = True
            break
        except ValidationError as error:
            summary.refused.append((str(path), " ".join(error.messages)))
        except UploadRefused as refused:
            summary.refused.append((str(path), str(refused)))
        except OSError as error:
            summary.refused.append((str(path), f"could not be read ({error.strerror})"))
        else:
            if image is None:
                summary.already_there += 1
            else:
                summary.imported += 1
        if progress is not None:
            progress(path)
    return summary
