"""Model files that come from the npm registry, fetched once at set-up.

The object detector and the face models ship in the npm package
``@vladmandic/human`` (MIT). ``make run`` / ``make test`` call
``python -m gallery.analysis.local DIR``, which downloads the package's
tarball by its pinned version, checks it against the sha512 integrity recorded
below (the registry's ``dist.integrity``), and keeps only the model files we
use and the licence under ``DIR/<name>-<version>/``. Nothing is downloaded at
request time: the analyzer reads that directory and reports clearly when it is
missing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class NpmPackage:
    name: str
    version: str
    integrity: str  # "sha512-<base64>", from the registry's metadata
    files: tuple[str, ...]  # paths inside the tarball's "package/" folder

    @property
    def folder(self) -> str:
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}"

    def tarball_url(self, registry: str) -> str:
        base = self.name.split("/")[-1]
        return f"{registry.rstrip('/')}/{self.name}/-/{base}-{self.version}.tgz"


HUMAN = NpmPackage(
    name="@vladmandic/human",
    version="3.3.6",
    integrity=(
        "sha512-Nr5mPfq1gQ+uKeXY5uM3Fj8UxvF5CEh2s6txM5wRThqaW0mF9huooOuZSrT8hhGho0hGa"
        "XLFdAwfD/2+teCv6A=="
    ),
    files=(
        "LICENSE",
        "models/centernet.json",
        "models/centernet.bin",
        "models/blazeface.json",
        "models/blazeface.bin",
        "models/faceres.json",
        "models/faceres.bin",
    ),
)
DEFAULT_REGISTRY = "https://registry.npmjs.org/"
DOWNLOAD_TIMEOUT = 120


class ModelFilesMissing(RuntimeError):
    """The npm model files are not on this machine (set-up was not run)."""


def package_dir(root: Path, package: NpmPackage = HUMAN) -> Path:
    """The folder holding ``package``'s kept files; raises ModelFilesMissing."""
    folder = Path(root) / package.folder
    missing = [f for f in package.files if not (folder / f).is_file()]
    if missing:
        raise ModelFilesMissing(
            f"{package.name}@{package.version} is not in {root} (missing "
            f"{', '.join(missing)}); run `make models` or "
            f"`python -m gallery.analysis.local {root}`."
        )
    return folder


def check_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise ValueError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise ValueError(
            f"integrity check failed: expected sha512-{expected}, got sha512-{actual}"
        )


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
        return response.read()


def extract(tarball: bytes, package: NpmPackage, dest: Path) -> None:
    """Write ``package.files`` from the tarball into ``dest`` (created)."""
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for name in package.files:
            member = tar.getmember(f"package/{name}")
            if not member.isfile():
                raise ValueError(f"{name} is not a regular file in the tarball")
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None
            with source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)


def fetch(
    root: Path,
    package: NpmPackage = HUMAN,
    *,
    registry: str | None = None,
    fetcher=download,
) -> Path:
    """Make sure ``package``'s files are under ``root``; returns their folder.

    Already present: nothing is downloaded. Otherwise the tarball is fetched,
    its integrity checked before anything is written, and the files are put in
    place with one rename, so a half-written folder is never seen.
    """
    root = Path(root)
    try:
        return package_dir(root, package)
    except ModelFilesMissing:
        pass
    registry = registry or os.environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY
    tarball = fetcher(package.tarball_url(registry))
    check_integrity(tarball, package.integrity)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{package.folder}."))
    try:
        extract(tarball, package, staging / "files")
        final = root / package.folder
        if final.exists():  # an incomplete earlier copy
            shutil.rmtree(final)
        os.replace(staging / "files", final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return package_dir(root, package)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m gallery.analysis.local DIR", file=sys.stderr)
        return 2
    folder = fetch(Path(argv[0]))
    print(f"{HUMAN.name}@{HUMAN.version}: {folder}")
    return 0
