"""The upload benchmark against two git revisions in one run, as ratios.

    .venv/bin/python bench/upload_compare.py main HEAD
    .venv/bin/python bench/upload_compare.py 4c27664 HEAD --images 200 --broker …

Each revision is checked out into a temporary worktree and benchmarked by
``bench/upload.py`` of this checkout with the same photos, the same S3 server
and the same options, one after the other; the table ends with the ratio
after / before of every figure, so a regression shows as a ratio whatever the
load on the machine was.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import upload  # noqa: E402

# Figures where more is better; for the others less is better.
HIGHER_IS_BETTER = {"accepted_per_s", "analysed_per_s"}


def checkout(revision: str, into: Path) -> Path:
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(into), revision],
        cwd=ROOT,
        check=True,
    )
    return into


def ratios(before: upload.Result, after: upload.Result) -> str:
    lines = ["", "| after / before | ratio | better |", "|---|---|---|"]
    for key in (
        "single_median_ms",
        "accepted_per_s",
        "latency_median_ms",
        "latency_p95_ms",
        "cpu_ms_per_upload",
        "analysed_per_s",
        "worker_peak_rss_mb",
    ):
        old, new = getattr(before, key), getattr(after, key)
        ratio = new / old if old else float("nan")
        better = ratio > 1 if key in HIGHER_IS_BETTER else ratio < 1
        lines.append(f"| {key} | {ratio:.2f}× | {'yes' if better else 'no'} |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    before_rev, after_rev, *options = argv
    with tempfile.TemporaryDirectory(prefix="image-repo-compare-") as temp:
        trees = [
            checkout(before_rev, Path(temp) / "before"),
            checkout(after_rev, Path(temp) / "after"),
        ]
        try:
            args = upload.parse_args(
                [*options, "--app", str(trees[0]), "--app", str(trees[1])]
            )
            results = upload.benchmark(args)
        finally:
            for tree in trees:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT
                )
    print(f"before = {before_rev}, after = {after_rev}")
    print(upload.table(results))
    print(ratios(*results))


if __name__ == "__main__":
    main(sys.argv[1:])
