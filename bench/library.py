"""Library benchmark: gallery, search, similar and bulk-delete cost at scale.

    make bench-library
    .venv/bin/python bench/library.py                    # 1,000 and 1,000,000 rows
    .venv/bin/python bench/library.py --rows 1000000 --keep
    .venv/bin/python bench/library.py --embedded         # pgserver, with pgvector
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
import io
import json
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

import numpy as np
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
DB_NAME = "image_repo_bench"
USERS, HEAVY, DIM = 1_000, 10_000, 256
START, SPAN = 1_577_836_800.0, 5 * 365.25 * 86_400  # 2020-01-01, five years
PLACES = ["", "", " on the beach", " in the park", " in a kitchen", " in the snow"]
PLACES += [" on a table", " in the garden", " at night", " by a lake", " in a forest"]
OPENINGS = ["A photo of ", "A close-up of ", "", "", "A blurry photo of "]
SCENE_TAGS = """outdoor indoor sky grass person text water tree building cloud ground
plant wall floor nature snow beach city street car table window road mountain sunset
flower smile people clothing night sea sand food close-up""".split()  # noqa: SIM905
COLORS = "black blue brown gray green orange pink purple red teal white yellow"
COLORS = COLORS.split()
COLOR_WEIGHTS = [14, 8, 7, 12, 8, 3, 2, 2, 4, 2, 13, 4]
DIMS = [(4032, 3024), (3024, 4032), (4000, 3000), (1920, 1080), (1080, 1350)]
# Settings for the benchmark process: production-like, no analysis, no upload cap.
ENVIRONMENT = """DEBUG=false IMG_REPO_SECRET_KEY=bench GALLERY_ANALYZER=none
GALLERY_UPLOAD_LIMIT=0 ALLOWED_HOSTS=testserver SECURE_SSL_REDIRECT=false
AWS_STORAGE_BUCKET_NAME= CELERY_BROKER_URL=
DJANGO_SETTINGS_MODULE=image_repo_project.settings"""
NAMES = ["IMG_{:04d}", "DSC{:05d}", "PXL_2023{:06d}", "{label}-{:d}", "Screenshot_{:d}"]


def zipf_cum(n: int, s: float = 1.07) -> list[float]:
    return list(accumulate(1 / (rank + 1) ** s for rank in range(n)))


_classes = json.loads((ROOT / "gallery/analysis/local/imagenet_tags.json").read_text())[
    "classes"
]
SUBJECTS = list({c["label"]: c for c in _classes[::3]}.values())[:300]
random.Random(7).shuffle(SUBJECTS)  # popularity (Zipf rank) is a random order
SUBJECT_CUM, SCENE_CUM = zipf_cum(len(SUBJECTS)), zipf_cum(len(SCENE_TAGS), 0.9)
RARE_TAG = SUBJECTS[-1]["label"].lower()


def tsv(values) -> str:
    return "\t".join("\\N" if v is None else str(v) for v in values) + "\n"


def pg_array(items) -> str:
    return "{" + ",".join(f'"{item}"' for item in items) + "}"


def image_row(rng: random.Random, owner: int, palette, embed=None) -> str:
    """One analysed image as a TSV line for the stage table."""
    from gallery import search, similarity  # after django.setup()

    subject_no = rng.choices(range(len(SUBJECTS)), cum_weights=SUBJECT_CUM)[0]
    subject = SUBJECTS[subject_no]
    label, article = subject["label"], subject["article"]
    text = rng.choice(OPENINGS) + (f"{article} " if article else "") + label
    description = text[0].upper() + text[1:] + rng.choice(PLACES)
    names = [label.lower(), *subject["parents"][:2]]
    for _ in range(rng.randint(3, 8) - len(names)):
        tag = rng.choices(SCENE_TAGS, cum_weights=SCENE_CUM)[0]
        if tag not in names:
            names.append(tag)
    confidences = sorted(round(rng.uniform(0.3, 0.99), 3) for _ in names)[::-1]
    tags = [{"name": n, "confidence": c} for n, c in zip(names, confidences)]  # noqa: B905
    colors = sorted(set(rng.choices(COLORS, COLOR_WEIGHTS, k=3)))
    foreground, background = colors[0], rng.choice(colors)
    accent, lab = rng.choice(palette)
    facets = search.facet_keys(
        owner_id=owner,
        tag_names=names,
        color_names=[foreground, background, *colors],
        accent_lab=list(lab),
    )
    ext = "png" if rng.random() < 0.1 else "jpg"
    name = rng.choice(NAMES).format(rng.randrange(99999), label=label.replace(" ", "-"))
    created = START + rng.random() * SPAN
    vector = data = None
    if embed is not None:
        vector = embed(subject_no)
        data = "\\\\x" + similarity.to_bytes(vector).hex()  # COPY-escaped bytea
        vector = "[" + ",".join(f"{value:.6f}" for value in vector) + "]"
    row = [uuid.UUID(int=rng.getrandbits(128), version=4), owner, f"{name}.{ext}", ext]
    row += ["image/png" if ext == "png" else "image/jpeg"]
    row += [int(rng.lognormvariate(14.6, 0.6)), *rng.choice(DIMS)]
    row += [f"{rng.getrandbits(256):064x}", created, created + rng.uniform(1, 30)]
    row += [description, round(rng.uniform(0.3, 0.95), 3), json.dumps(tags)]
    row += [pg_array(names), foreground, background, pg_array(colors), accent]
    row += ["{%.4f,%.4f,%.4f}" % lab, rng.random() < 0.03, pg_array(facets)]  # noqa: UP031
    row += [data, vector]
    return tsv(row)


STAGE = """CREATE TEMP TABLE stage (id uuid, owner_id int, original_filename text,
  ext text, content_type text, size_bytes bigint, width int, height int,
  sha256 text, created float8, analyzed float8, description text,
  description_confidence float8, tags jsonb, tag_names text[], dom_fg text,
  dom_bg text, dom_colors text[], accent text, accent_lab float8[], is_bw bool,
  facet_keys text[], embedding bytea, embedding_vector text)"""
# The search vector exactly as gallery.search.search_vector builds it (checked
# after the load): owner-prefixed lexemes, weighted A/B/C.
OWNER_LEXEMES = """setweight(array_to_tsvector(ARRAY(SELECT 'u' || owner_id || '_' ||
  lexeme FROM unnest(to_tsvector('english'::regconfig, {text})))), '{weight}')"""
SEARCH_VECTOR = " || ".join(
    OWNER_LEXEMES.format(text=text, weight=weight)
    for text, weight in [
        ("description", "A"),
        ("array_to_string(tag_names, ' ')", "B"),
        ("regexp_replace(original_filename, '[_.\\-]+', ' ', 'g')", "C"),
    ]
).replace("%", "%%")
INSERT = (
    """INSERT INTO gallery_image (id, owner_id, file, thumbnail,
  original_filename, content_type, size_bytes, width, height, sha256, created_at,
  analysis_status, analyzer, analyzed_at, analysis_error, description,
  description_confidence, tags, tag_names, dominant_foreground,
  dominant_background, dominant_colors, accent_color, accent_lab, is_bw,
  facet_keys, search_vector)
SELECT id, owner_id, format('images/%%s/%%s.%%s', owner_id, id, ext),
  format('thumbnails/%%s/%%s.jpg', owner_id, id), original_filename,
  content_type, size_bytes, width, height, sha256, to_timestamp(created), 'done',
  'local', to_timestamp(analyzed), '', description, description_confidence,
  tags, tag_names, dom_fg, dom_bg, dom_colors, accent, accent_lab, is_bw,
  facet_keys, """
    + SEARCH_VECTOR
    + """
FROM stage ORDER BY created"""
)  # time order: users' rows interleave as in real life
EMBEDDINGS = """INSERT INTO gallery_imageembedding (image_id, owner_id, {column})
SELECT id, owner_id, {value} FROM stage WHERE embedding IS NOT NULL"""
TAG_COUNTS = """INSERT INTO gallery_ownertag (owner_id, name, image_count)
SELECT owner_id, tag, count(*) FROM gallery_image, unnest(tag_names) AS tag
GROUP BY owner_id, tag"""


def fill(dsn: str, rows: int) -> dict:
    """Users, then images through COPY into a stage table; returns load facts."""
    from gallery.colorspace import rgb_to_lab

    started = time.perf_counter()
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET maintenance_work_mem = '512MB'; SET work_mem = '256MB'")
    cur.execute(
        "INSERT INTO auth_user (password, is_superuser, username, first_name, "
        "last_name, email, is_staff, is_active, date_joined) SELECT '!', false, "
        "CASE g WHEN 1 THEN 'heavy' ELSE 'user' || g END, '', '', '', false, true,"
        " now() FROM generate_series(1, %s) g ORDER BY g RETURNING id",
        [USERS],
    )
    heavy, *others = [row[0] for row in cur.fetchall()]
    cur.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = "
        "'gallery_imageembedding' AND column_name = 'vector'"
    )
    pgvector = cur.fetchone() is not None
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
        "'gallery_image' AND indexname <> 'gallery_image_pkey'"
    )
    indexes = cur.fetchall()  # dropped for the load, rebuilt as defined after it
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    cur.execute(STAGE)

    prng = random.Random(3)
    palette = []
    for _ in range(2_000):
        rgb = tuple(prng.randrange(256) for _ in range(3))
        palette.append(("#" + bytes(rgb).hex(), rgb_to_lab(rgb)))
    centroids = np.random.default_rng(5).standard_normal((len(SUBJECTS), DIM))
    noise = np.random.default_rng(6)

    def embed(subject_no: int) -> np.ndarray:
        vector = centroids[subject_no] + 0.9 * noise.standard_normal(DIM)
        return vector / np.linalg.norm(vector)

    heavy_rng, other_rng = random.Random(1), random.Random(2)  # heavy: same rows
    user_cum = list(accumulate(other_rng.lognormvariate(0, 1) for _ in others))

    def other() -> int:
        return other_rng.choices(others, cum_weights=user_cum)[0]

    batches = [(HEAVY, heavy_rng, lambda: heavy, embed)]
    batches.append((max(rows - HEAVY, USERS), other_rng, other, None))
    for count, rng, owner, emb in batches:
        for start in range(0, count, 50_000):
            lines = (
                image_row(rng, owner(), palette, emb)
                for _ in range(min(50_000, count - start))
            )
            cur.copy_expert("COPY stage FROM STDIN", io.StringIO("".join(lines)))
    generated = time.perf_counter()
    cur.execute(INSERT)
    column, value = (
        ("vector", "embedding_vector::vector") if pgvector else ("data", "embedding")
    )
    cur.execute(EMBEDDINGS.format(column=column, value=value))
    cur.execute(TAG_COUNTS)
    inserted = time.perf_counter()
    for _, definition in indexes:
        cur.execute(definition)
    cur.execute("DROP TABLE stage")
    for table in ("gallery_image", "gallery_imageembedding", "gallery_ownertag"):
        cur.execute(f"VACUUM ANALYZE {table}")  # what autovacuum does in prod
    cur.execute("ANALYZE auth_user")
    cur.execute(
        "SELECT count(*), pg_size_pretty(pg_total_relation_size('gallery_image')),"
        " version() FROM gallery_image"
    )
    total, size, version = cur.fetchone()
    conn.close()
    done = time.perf_counter()
    return {
        "heavy": heavy,
        "rows": total,
        "size": size,
        "pgvector": pgvector,
        "server": version.split(" on ")[0],
        "load": (
            f"{done - started:.0f} s (generate+COPY {generated - started:.0f} s, "
            f"insert+tsvector {inserted - generated:.0f} s, indexes+vacuum "
            f"{done - inserted:.0f} s)"
        ),
    }


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
    ("tag=outdoor (common)", "tag=outdoor"),
    (f"tag={RARE_TAG} (rare)", "tag=" + quote_plus(RARE_TAG)),
    ("color=blue (name)", "color=blue"),
    ("color=#3366cc (hex)", "color=%233366cc"),
]


def cases(heavy, image_id) -> list[Case]:
    from django.conf import settings
    from django.db import connection
    from django.http import QueryDict

    from gallery import selectors, services, similarity
    from gallery.models import Image

    def listing(query: str):
        def run():  # what the view asks of the selectors for its page
            params = QueryDict(query)
            images = selectors.image_list(
                owner=heavy, filters=selectors.image_filters(params)
            )
            page = selectors.image_page(
                images, params.get("page"), per_page=settings.GALLERY_PAGE_SIZE
            )
            return page.paginator.count, page.object_list

        return run

    def similar():
        image = Image.objects.get(pk=image_id, owner=heavy)
        return similarity.similar_images(image=image, limit=24)

    heavy_ids = list(Image.objects.filter(owner=heavy).values_list("id", flat=True))
    pick = random.Random(9)

    def delete():  # the rows come back afterwards (untimed) from a temp table
        ids = pick.sample(heavy_ids, 100)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS deleted AS TABLE gallery_image "
                "WITH NO DATA; INSERT INTO deleted SELECT * FROM gallery_image "
                "WHERE id = ANY(%s::uuid[])",
                [[str(i) for i in ids]],
            )
        started = time.perf_counter()
        count = services.image_delete_for_owner(owner=heavy, ids=ids)
        elapsed = time.perf_counter() - started
        assert count == 100, count
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO gallery_image TABLE deleted; TRUNCATE deleted")
        return elapsed

    return [
        *(Case(name, f"/images/?{query}", listing(query)) for name, query in LISTINGS),
        Case("similar images", f"/images/{image_id}/similar/", similar),
        Case("delete 100 (service)", None, delete),
    ]


def timed(run, repeat: int, warmup: int = 3) -> tuple[float, float]:
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
        f"load {facts['load']}",
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
    args = parser.parse_args()

    stop = None
    if args.embedded:
        import pgserver

        pg_dir = tempfile.mkdtemp(prefix="bench-pg-")
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
            print(f"{label}: {max(rows, HEAVY + USERS):,} rows: creating {DB_NAME}")
            admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            admin(f"CREATE DATABASE {DB_NAME}")
            call_command("migrate", verbosity=0)
            connection.close()
            facts = fill(bench_dsn, rows)
            print(f"  loaded {facts['rows']:,} rows, {facts['size']}, {facts['load']}")
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
        if not args.keep:
            admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(media, ignore_errors=True)
        if stop:  # with --keep the data stays: pgserver.get_server(pg_dir)
            stop()
            if not args.keep:
                shutil.rmtree(pg_dir, ignore_errors=True)
            print(f"stopped the embedded PostgreSQL in {pg_dir}")


def check_search_vector(heavy_pk: int) -> None:
    """The loaded search_vector equals what gallery.search builds."""
    from gallery import search
    from gallery.models import Image

    for image in Image.objects.filter(owner_id=heavy_pk)[:20]:
        vector = search.search_vector(
            owner_id=image.owner_id,
            description=image.description,
            tag_names=image.tag_names,
            filename=image.original_filename,
        )
        built = (
            Image.objects.filter(pk=image.pk)
            .annotate(v=vector)
            .values_list("v", flat=True)[0]
        )
        assert built == image.search_vector, (built, image.search_vector)


if __name__ == "__main__":
    main()
