"""Realistic analysed image rows for bench/library.py, loaded with COPY.

One heavy user's 10,000 images come from a fixed seed, so every run and every
table size holds the same library; the other users' rows fill the table.
"""

from __future__ import annotations

import io
import json
import random
import time
import uuid
from itertools import accumulate
from pathlib import Path

import numpy as np
import psycopg2

from gallery.colorspace import COLOR_NAMES

ROOT = Path(__file__).resolve().parent.parent
USERS, HEAVY, DIM = 1_000, 10_000, 256
START, SPAN = 1_577_836_800.0, 5 * 365.25 * 86_400  # 2020-01-01, five years
PLACES = ["", "", " on the beach", " in the park", " in a kitchen", " in the snow"]
PLACES += [" on a table", " in the garden", " at night", " by a lake", " in a forest"]
OPENINGS = ["A photo of ", "A close-up of ", "", "", "A blurry photo of "]
SCENE_TAGS = """outdoor indoor sky grass person text water tree building cloud ground
plant wall floor nature snow beach city street car table window road mountain sunset
flower smile people clothing night sea sand food close-up""".split()  # noqa: SIM905
COLORS = list(COLOR_NAMES)
COLOR_WEIGHTS = [14, 8, 7, 12, 8, 3, 2, 2, 4, 2, 13, 4]
DIMS = [(4032, 3024), (3024, 4032), (4000, 3000), (1920, 1080), (1080, 1350)]
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
        vector = similarity.vector_literal(vector)
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
)
# Most photos say when they were taken (minutes to days before the upload, in
# one of a few time zones); screenshots and edited copies often do not. From
# the id's bytes, so the rows' other values stay what the seed made them.
TAKEN = """CASE WHEN get_byte(uuid_send(id), 0) < 218 THEN to_timestamp(created
  - get_byte(uuid_send(id), 1) * get_byte(uuid_send(id), 2) * 30) END,
  CASE WHEN get_byte(uuid_send(id), 0) < 218 THEN
  (ARRAY[0, 60, 120, -300, -420, 540])[get_byte(uuid_send(id), 3) % 6 + 1] END"""
INSERT = (
    """INSERT INTO gallery_image (id, owner_id, file, thumbnail, preview,
  thumbnail_small, original_filename, content_type, size_bytes, width, height,
  sha256, created_at,
  analysis_status, analyzer, analyzer_version, analyzed_at, analysis_error, description,
  description_confidence, tags, tag_names, dominant_foreground,
  dominant_background, dominant_colors, accent_color, accent_lab, is_bw,
  facet_keys, search_vector, camera_make, camera_model, lens, camera_details,
  taken_at, taken_at_offset, processing, processing_attempts)
SELECT id, owner_id, format('images/%s/%s.%s', owner_id, id, ext),
  format('thumbnails/%s/%s.webp', owner_id, id),
  format('previews/%s/%s.webp', owner_id, id),
  format('small-thumbnails/%s/%s.webp', owner_id, id), original_filename,
  content_type, size_bytes, width, height, sha256, to_timestamp(created), 'done',
  'local', '2', to_timestamp(analyzed), '', description, description_confidence,
  tags, tag_names, dom_fg, dom_bg, dom_colors, accent, accent_lab, is_bw,
  facet_keys, """
    + SEARCH_VECTOR
    + """, '', '', '', '{}'::jsonb, """
    + TAKEN
    + """, false, 0
FROM stage ORDER BY created"""
)  # time order: users' rows interleave as in real life
EMBEDDINGS = """INSERT INTO gallery_imageembedding (image_id, owner_id, {column})
SELECT id, owner_id, {value} FROM stage WHERE embedding IS NOT NULL"""
TAG_COUNTS = """INSERT INTO gallery_ownertag (owner_id, name, image_count)
SELECT owner_id, tag, count(*) FROM gallery_image, unnest(tag_names) AS tag
GROUP BY owner_id, tag"""
LIBRARY_TOTALS = """INSERT INTO gallery_ownerlibrary (owner_id, image_count)
SELECT owner_id, count(*) FROM gallery_image WHERE trashed_at IS NULL
GROUP BY owner_id"""


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
    # A revision from before the small thumbnail (bench/gallery_pages.py
    # --revisions) gets its column as an extra one it never reads.
    cur.execute(
        "ALTER TABLE gallery_image ADD COLUMN IF NOT EXISTS thumbnail_small "
        "varchar(255) NOT NULL DEFAULT ''"
    )
    cur.execute(INSERT)
    column, value = (
        ("vector", "embedding_vector::vector") if pgvector else ("data", "embedding")
    )
    cur.execute(EMBEDDINGS.format(column=column, value=value))
    cur.execute(TAG_COUNTS)
    cur.execute(LIBRARY_TOTALS)
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


def filled(dsn: str) -> dict:
    """The facts of a database an earlier run filled and kept, vacuumed as
    autovacuum would have done after that run's deletes and re-inserts (dead
    rows, the GIN indexes' pending lists)."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    for table in ("gallery_image", "gallery_imageembedding", "gallery_ownertag"):
        cur.execute(f"VACUUM ANALYZE {table}")
    cur.execute("SELECT id FROM auth_user WHERE username = 'heavy'")
    (heavy,) = cur.fetchone()
    cur.execute(
        "SELECT count(*), pg_size_pretty(pg_total_relation_size('gallery_image')),"
        " version() FROM gallery_image"
    )
    total, size, version = cur.fetchone()
    cur.execute(
        "SELECT count(*) FROM information_schema.columns WHERE column_name = "
        "'vector' AND table_name = 'gallery_imageembedding'"
    )
    (pgvector,) = cur.fetchone()
    cur.execute("SELECT count(*) FROM gallery_imagetextembedding")
    (embeddings,) = cur.fetchone()
    conn.close()
    return {
        "heavy": heavy,
        "rows": total,
        "size": size,
        "pgvector": bool(pgvector),
        "server": version.split(" on ")[0],
        "load": "reused from an earlier run",
        "text embeddings": f"{embeddings:,} text embeddings",
    }


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


def fill_text_embeddings(dsn: str, heavy: int) -> str:
    """Text embeddings (search by meaning) for the heavy user's library.

    Each image's vector is the normalised sum of the real sentence-model
    embeddings of its subject ("a photo of a dog", its first tag) and of its
    other tags, each text embedded once: 10,000 full embeddings would take
    many minutes, and the search's cost depends only on how many vectors the
    owner has, not on their values.
    """
    from functools import cache

    from gallery import semantic, similarity
    from gallery.text_embedding import embed_text

    started = time.perf_counter()
    vector_of = cache(lambda text: np.asarray(embed_text(text), dtype=np.float32))
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s "
        "AND column_name = 'vector'",
        [semantic.TABLE],
    )
    pgvector = cur.fetchone() is not None
    cur.execute(
        "SELECT id, description, tag_names FROM gallery_image WHERE owner_id = %s",
        [heavy],
    )
    lines = []
    for image_id, _description, tags in cur.fetchall():
        subject = vector_of(f"a photo of {tags[0]}")
        vector = subject + sum(vector_of(t) for t in tags[1:]) / len(tags)
        vector /= np.linalg.norm(vector)
        value = (
            similarity.vector_literal(vector)
            if pgvector
            else "\\\\x" + similarity.to_bytes(vector).hex()
        )
        lines.append(tsv([image_id, heavy, value]))
    column = "vector" if pgvector else "data"
    cur.copy_expert(
        f"COPY {semantic.TABLE} (image_id, owner_id, {column}) FROM STDIN",
        io.StringIO("".join(lines)),
    )
    cur.execute(f"VACUUM ANALYZE {semantic.TABLE}")
    conn.close()
    texts = vector_of.cache_info().currsize
    return (
        f"{len(lines):,} text embeddings from {texts} embedded texts in "
        f"{time.perf_counter() - started:.0f} s"
    )
