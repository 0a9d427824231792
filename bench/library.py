"""Library benchmark: gallery, search, similar and bulk-delete cost at scale.

    make bench-library
    .venv/bin/python bench/library.py                    # 1,000 and 1,000,000 rows
    .venv/bin/python bench/library.py --rows 1000000 --keep
    .venv/bin/python bench/library.py --embedded         # pgserver, with pgvector
    .venv/bin/python bench/library.py --rows 1000000 --embedded --data-dir d --keep
    .venv/bin/python bench/library.py --rows 1000000 --embedded --data-dir d --reuse
    .venv/bin/python bench/library.py --database-url postgres://postgres@host:5432/postgres

It creates its own database (image_repo_bench) on the server given by
--database-url (default $DATABASE_URL, else postgres://postgres@127.0.0.1:5432/
postgres) or on a throwaway embedded pgserver (--embedded), migrates it, fills it
with COPY, and drops it at the end unless --keep. Dev and test data are never
touched. Rows are realistic analysed images of 1,000 users; file fields hold
storage keys only, and deletes go to an empty temporary media directory.

Sizes: the heavy user's library is identical in every run (10,000 images from a
fixed seed); only the other 999 users' rows change: --rows N gives a table of
max(N, 11,000) rows, so --rows 1000 means 10,000 heavy + 1,000 others. The
comparison therefore shows whether one library's cost depends on the table.

For each case it times the real view (django.test.Client, logged in as the heavy
user) and the selector/service alone: median and p95 in ms over --repeat runs
after warm-up, with a warm cache. Every SQL statement on gallery_image is shown
with EXPLAIN (ANALYZE, BUFFERS). Targets (the issue): p95 <= 50 ms, the same
cost at both sizes within 1.5x, an index for every gallery_image scan.
Results: bench/results/library-<rows>-<server>.txt (+ -compare- for 2 sizes).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from library_data import (  # noqa: E402
    HEAVY,
    RARE_TAG,
    USERS,
    check_search_vector,
    fill,
    fill_text_embeddings,
    filled,
)

RESULTS = ROOT / "bench" / "results"
# BENCH_DATABASE names another database, for two benchmarks on one server.
DB_NAME = os.environ.get("BENCH_DATABASE", "image_repo_bench")
# Settings for the benchmark process: production-like, no analysis, no upload cap.
ENVIRONMENT = """DEBUG=false IMG_REPO_SECRET_KEY=bench GALLERY_ANALYZER=none
GALLERY_UPLOAD_LIMIT=0 ALLOWED_HOSTS=testserver SECURE_SSL_REDIRECT=false
AWS_STORAGE_BUCKET_NAME= CELERY_BROKER_URL=
DJANGO_SETTINGS_MODULE=image_repo_project.settings"""


@dataclass
class Case:
    name: str
    url: str | None  # the view; None: no view (service only)
    direct: object  # the selector / service call


LISTINGS = [  # (case, query string of /images/)
    ("gallery page 1", ""),
    ("gallery page 400", "page=400"),
    ("q=dog (1 word)", "q=dog"),
    ("q=dog beach (2 words)", "q=dog+beach"),
    ("q=puppy (by meaning)", "q=puppy"),
    ("q=hot beverage (by meaning)", "q=hot+beverage"),
    ("tag=outdoor (common)", "tag=outdoor"),
    (f"tag={RARE_TAG} (rare)", "tag=" + quote_plus(RARE_TAG)),
    ("color=blue (name)", "color=blue"),
    ("color=#3366cc (hex)", "color=%233366cc"),
]


def cases(heavy, image_id) -> list[Case]:
    from django.conf import settings
    from django.db import connection
    from django.http import QueryDict

    from gallery import selectors, services
    from gallery.models import Image

    def listing(query: str):
        def run():  # what the view asks of the selectors for its page
            params = QueryDict(query)
            filters = selectors.image_filters(params)
            images = selectors.image_list(owner=heavy, filters=filters)
            page = selectors.image_page(
                images, params.get("page"), per_page=settings.GALLERY_PAGE_SIZE
            )
            days = selectors.timeline_days(page.object_list, sort=filters.sort)
            timeline = filters.sort == selectors.TIMELINE_SORT and not filters.active
            months = selectors.timeline_months(owner=heavy) if timeline else []
            return page.paginator.count, days, months

        return run

    def similar():
        image = Image.objects.get(pk=image_id, owner=heavy)
        return selectors.similar_images(image=image, limit=24)

    heavy_ids = list(Image.objects.filter(owner=heavy).values_list("id", flat=True))
    pick = random.Random(9)

    # What deleting an image removes besides its row: kept aside, then put
    # back (untimed), so that every run, and a later --reuse, finds the
    # library whole.
    kept = ("gallery_image", "gallery_imageembedding", "gallery_imagetextembedding")

    def delete():
        ids = [str(i) for i in pick.sample(heavy_ids, 100)]
        with connection.cursor() as cursor:
            for table in kept:
                key = "id" if table == "gallery_image" else "image_id"
                cursor.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS kept_{table} AS TABLE {table} "
                    f"WITH NO DATA; INSERT INTO kept_{table} SELECT * FROM {table} "
                    f"WHERE {key} = ANY(%s::uuid[])",
                    [ids],
                )
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS kept_tags AS TABLE gallery_ownertag "
                "WITH NO DATA; INSERT INTO kept_tags SELECT * FROM gallery_ownertag "
                "WHERE owner_id = %s",
                [heavy.pk],
            )
        started = time.perf_counter()
        count = services.image_delete_for_owner(owner=heavy, ids=ids)
        elapsed = time.perf_counter() - started
        assert count == 100, count
        with connection.cursor() as cursor:
            for table in kept:
                cursor.execute(f"INSERT INTO {table} TABLE kept_{table}")
                cursor.execute(f"TRUNCATE kept_{table}")
            cursor.execute(
                "DELETE FROM gallery_ownertag WHERE owner_id = %s; "
                "INSERT INTO gallery_ownertag TABLE kept_tags; TRUNCATE kept_tags; "
                "UPDATE gallery_ownerlibrary SET image_count = image_count + 100 "
                "WHERE owner_id = %s",
                [heavy.pk, heavy.pk],
            )
        return elapsed

    return [
        *(Case(name, f"/images/?{query}", listing(query)) for name, query in LISTINGS),
        Case("similar images", f"/images/{image_id}/similar/", similar),
        Case("delete 100 (service)", None, delete),
    ]


def timed(run, repeat: int, warmup: int = 10) -> tuple[float, float]:
    """Median and p95 in ms; a run may return its own elapsed seconds."""
    samples = []
    for i in range(warmup + repeat):
        started = time.perf_counter()
        result = run()
        elapsed = result if isinstance(result, float) else None
        elapsed = elapsed or time.perf_counter() - started
        if i >= warmup:
            samples.append(elapsed * 1000)
    samples.sort()
    return statistics.median(samples), samples[math.ceil(0.95 * len(samples)) - 1]


DECLARE = re.compile(r'^DECLARE "[^"]+" .*?CURSOR .*?FOR ', re.S)


def explain(statements: list[str]) -> list[tuple[str, str, str]]:
    """(sql, verdict, plan) for each statement on gallery_image, rolled back."""
    from django.db import connection, transaction

    out = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            for sql in statements:
                sql = DECLARE.sub("", sql)
                if "gallery_image" not in sql or not re.match(
                    r"\s*(SELECT|WITH|DELETE|UPDATE)", sql, re.I
                ):
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                if "Seq Scan on gallery_image" in plan:
                    verdict = "SEQ SCAN"
                elif re.search(r"Index (Only )?Scan|Bitmap Index Scan", plan):
                    verdict = "index"
                else:
                    verdict = "-"
                took = re.search(r"Execution Time: ([\d.]+)", plan).group(1)
                out.append((" ".join(sql.split()), f"{verdict}, {took} ms", plan))
        transaction.set_rollback(True)
    return out


def measure(heavy_pk: int, repeat: int) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from gallery.models import Image

    heavy = get_user_model().objects.get(pk=heavy_pk)
    image_id = Image.objects.filter(owner=heavy).values_list("id", flat=True)[5000]
    client = Client()
    client.force_login(heavy)

    def view(url):
        def run():
            response = client.get(url, secure=True)
            assert response.status_code == 200, (url, response.status_code)

        return run

    results = []
    for case in cases(heavy, image_id):
        row = {"case": case.name, "view": (None, None)}
        if case.url:
            row["view"] = timed(view(case.url), repeat)
        row["direct"] = timed(case.direct, repeat)
        with CaptureQueriesContext(connection) as captured:
            (view(case.url) if case.url else case.direct)()
        row["queries"] = explain([q["sql"] for q in captured.captured_queries])
        seq = any(v.startswith("SEQ") for _, v, _ in row["queries"])
        row["index"] = "NO (seq scan)" if seq else "yes"
        results.append(row)
        print(
            f"  {case.name:28} view p95 {fmt(row['view'][1])} ms, "
            f"direct p95 {fmt(row['direct'][1])} ms, index: {row['index']}"
        )
    return results


def fmt(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(results: list[dict]) -> str:
    head = f"{'case':30}{'view med':>9}{'p95':>7}{'direct med':>11}{'p95':>7}  index"
    lines = [head, "-" * len(head)]
    for r in results:
        (vm, vp), (dm, dp) = r["view"], r["direct"]
        ok = "" if max(vp or 0, dp) <= 50 else "  > 50 ms"
        lines.append(
            f"{r['case']:30}{fmt(vm):>9}{fmt(vp):>7}{fmt(dm):>11}{fmt(dp):>7}"
            f"  {r['index']}{ok}"
        )
    return "\n".join(lines)


def report(facts: dict, results: list[dict], label: str) -> str:
    text = [
        f"Library benchmark, {label}: {facts['rows']:,} rows in gallery_image "
        f"({facts['size']}), heavy user {HEAVY:,} images, {USERS:,} users",
        f"{facts['server']}; pgvector column: {facts['pgvector']}; "
        f"load {facts['load']}; {facts['text embeddings']}",
        "Queries by meaning embed the query once per process (cached after the "
        "warm-up); the first costs one sentence-model pass more.",
        "Times in ms, warm cache; view = django.test.Client GET as the heavy "
        "user, direct = selector/service only.",
        *(
            [
                "At this size the heavy user owns most of the table: a seq scan is "
                "the right plan; judge index use at 1,000,000 rows."
            ]
            if HEAVY / facts["rows"] > 0.5
            else []
        ),
        "",
        table(results),
    ]
    for r in results:
        text += ["", "=" * 78, r["case"], "=" * 78]
        for sql, verdict, plan in r["queries"]:
            text += ["", f"[{verdict}] {sql}", plan]
    return "\n".join(text) + "\n"


def compare(small: list[dict], large: list[dict], sizes) -> str:
    lines = [
        f"Ratio {sizes[1]:,} / {sizes[0]:,} rows (target <= 1.5)",
        f"{'case':30}{'view p95':>11}{'direct med':>11}{'direct p95':>11}",
    ]
    for a, b in zip(small, large, strict=True):
        ratios = [
            None if a[k][i] is None else b[k][i] / a[k][i]
            for k, i in (("view", 1), ("direct", 0), ("direct", 1))
        ]
        lines.append(f"{a['case']:30}" + "".join(f"{fmt(r):>11}" for r in ratios))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL")
        or "postgres://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument("--embedded", action="store_true", help="pgserver+pgvector")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--data-dir", help="with --embedded: the server's directory (else a temp one)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database an earlier --keep run filled (one --rows)",
    )
    args = parser.parse_args()

    stop = None
    if args.embedded:
        import pgserver

        pg_dir = args.data_dir or tempfile.mkdtemp(prefix="bench-pg-")
        stop = pgserver.get_server(pg_dir, cleanup_mode="stop").cleanup
        admin_dsn = f"postgresql://postgres@/postgres?host={pg_dir}"
        django_url = f"postgres://postgres@{quote(pg_dir, safe='')}/{DB_NAME}"
        bench_dsn, label = f"postgresql://postgres@/{DB_NAME}?host={pg_dir}", "embedded"
    else:
        admin_dsn = args.database_url
        django_url = urlunsplit(urlsplit(admin_dsn)._replace(path="/" + DB_NAME))
        bench_dsn, label = django_url, "system"
    media = tempfile.mkdtemp(prefix="bench-media-")
    os.environ.update(item.split("=", 1) for item in ENVIRONMENT.split())
    os.environ.update(DATABASE_URL=django_url, IMG_REPO_DATA_DIR=media)
    import django
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    warnings.filterwarnings("ignore", "No directory at")
    django.setup()
    from django.conf import settings

    override_settings(  # no collectstatic manifest here; media: empty temp dir
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            },
        }
    ).enable()

    def admin(sql: str) -> None:
        conn = psycopg2.connect(admin_dsn)
        conn.autocommit = True
        conn.cursor().execute(sql)
        conn.close()

    RESULTS.mkdir(exist_ok=True)
    runs = []
    try:
        for rows in args.rows:
            if args.reuse:
                call_command("migrate", verbosity=0)  # to this checkout's schema
                connection.close()
                facts = filled(bench_dsn)
            else:
                print(f"{label}: {max(rows, HEAVY + USERS):,} rows: creating {DB_NAME}")
                admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
                admin(f"CREATE DATABASE {DB_NAME}")
                call_command("migrate", verbosity=0)
                connection.close()
                facts = fill(bench_dsn, rows)
                print(f"  loaded {facts['rows']:,} rows, {facts['size']}")
                print(f"  in {facts['load']}")
                facts["text embeddings"] = fill_text_embeddings(
                    bench_dsn, facts["heavy"]
                )
            print(f"  {facts['text embeddings']}")
            check_search_vector(facts["heavy"])
            results = measure(facts["heavy"], args.repeat)
            text = report(facts, results, label)
            path = RESULTS / f"library-{rows}-{label}.txt"
            path.write_text(text)
            print(table(results), f"\n  -> {path}\n")
            runs.append((facts["rows"], results))
            connection.close()
        if len(runs) == 2:
            text = compare(runs[0][1], runs[1][1], [runs[0][0], runs[1][0]])
            (RESULTS / f"library-compare-{label}.txt").write_text(text + "\n")
            print(text)
    finally:
        connection.close()
        if not args.keep and not args.reuse:
            admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(media, ignore_errors=True)
        if stop:  # with --keep the data stays: pgserver.get_server(pg_dir)
            stop()
            if not args.keep and not args.data_dir:
                shutil.rmtree(pg_dir, ignore_errors=True)
            print(f"stopped the embedded PostgreSQL in {pg_dir}")


if __name__ == "__main__":
    main()
