"""Front-end files in static/vendor are the pinned npm packages' own bytes."""

from __future__ import annotations

import json
from pathlib import Path

from gallery.tests.support import component_missing

ROOT = Path(__file__).resolve().parents[2]
# static/vendor/<file> ← frontend/node_modules/<file in the package>
VENDORED = {
    "photoswipe/photoswipe.esm.min.js": "photoswipe/dist/photoswipe.esm.min.js",
    "photoswipe/photoswipe.css": "photoswipe/dist/photoswipe.css",
    "photoswipe/LICENSE": "photoswipe/LICENSE",
}


def test_the_vendored_viewer_is_the_pinned_package_unchanged():
    modules = ROOT / "frontend/node_modules"
    if not (modules / ".package-lock.json").exists():
        component_missing("Front-end packages are not installed: `make frontend`.")
    for vendored, packaged in VENDORED.items():
        copy = (ROOT / "static/vendor" / vendored).read_bytes()
        assert copy == (modules / packaged).read_bytes(), vendored


def test_every_front_end_package_is_pinned_with_its_integrity():
    manifest = json.loads((ROOT / "frontend/package.json").read_text())
    lock = json.loads((ROOT / "frontend/package-lock.json").read_text())
    for name, version in {
        **manifest["dependencies"],
        **manifest["devDependencies"],
    }.items():
        assert version[0].isdigit(), f"{name} is not pinned to one version"
        locked = lock["packages"][f"node_modules/{name}"]
        assert locked["version"] == version
        assert locked["integrity"].startswith("sha512-")
