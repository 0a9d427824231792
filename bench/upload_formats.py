"""Upload benchmark per format: JPEG, HEIC and AVIF phone photos.

    IMG_REPO_SECRET_KEY=bench DATABASE_URL=postgres://… .venv/bin/python \
        bench/upload_formats.py [--runs 5] [--megapixels 12]

Times the upload service (``image_upload``: validation by content, EXIF,
renditions, storing the original and its renditions on local storage, the
row and its search fields) on photo-like pictures made in memory
(bench/synthetic.py) with a phone's EXIF, encoded as each format. Analysis is
off: its cost does not depend on the container and has its own benchmark. A
throw-away test database is created on the server DATABASE_URL points to
(or the embedded one) and dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "image_repo_project.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from synthetic import photo_like  # noqa: E402

from gallery.tests.camera_photos import exif_block  # noqa: E402

FORMATS = {"JPEG": {"quality": 90}, "HEIF": {"quality": 80}, "AVIF": {"quality": 70}}


def encoded(fmt: str, size: tuple[int, int], seed: int) -> bytes:
    picture = photo_like(seed, *size)
    out = io.BytesIO()
    exif = exif_block(orientation=6, gps=(48.8581, 2.2945), offset="+02:00")
    picture.save(out, fmt, exif=exif.tobytes(), **FORMATS[fmt])
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--megapixels", type=float, default=12)
    args = parser.parse_args()
    width = int((args.megapixels * 1e6 * 4 / 3) ** 0.5)
    size = (width, width * 3 // 4)

    from django.contrib.auth import get_user_model

    from gallery.services import image_upload

    media = tempfile.mkdtemp(prefix="bench-upload-")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "gallery.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": media},
        },
    }
    settings.GALLERY_ANALYZER = "none"
    settings.GALLERY_UPLOAD_LIMIT = 0
    settings.CELERY_BROKER_URL = ""
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        owner = get_user_model().objects.create_user("bench")
        print(f"{size[0]}×{size[1]} px ({args.megapixels:g} MP), {args.runs} runs")
        print(f"{'format':6} {'file':>9} {'median':>9} {'min':>9}")
        for fmt in FORMATS:
            files = [encoded(fmt, size, seed) for seed in range(args.runs)]
            times = []
            for n, data in enumerate(files):
                upload = SimpleUploadedFile(f"IMG_{n}.{fmt.lower()}", data)
                started = time.perf_counter()
                image_upload(owner=owner, file=upload)
                times.append(time.perf_counter() - started)
            average_size = statistics.mean(len(data) for data in files) / 1e6
            median, fastest = statistics.median(times) * 1000, min(times) * 1000
            print(f"{fmt:6} {average_size:7.2f} MB {median:6.0f} ms {fastest:6.0f} ms")
    finally:
        connection.creation.destroy_test_db(database, verbosity=0)


if __name__ == "__main__":
    main()
