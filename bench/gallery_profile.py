"""Where a gallery page's CPU goes, in process (django.test.Client).

    .venv/bin/python bench/gallery_profile.py                # page 1, 200 views
    .venv/bin/python bench/gallery_profile.py --page 200 --profile

Fills a database of its own (BENCH_DATABASE, default image_repo_profile) on
the server of $DATABASE_URL with bench/library_data.py's heavy user (10,000
analysed images among 11,000 rows; kept between runs, --refill to start
again), local private storage, DEBUG off. Prints the CPU time per view
(median of --repeat) split into the stages of the request: middleware and
the session, the view's queries, cards and URL signing, and the template
render; with --profile, the cProfile of the views by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from library import ENVIRONMENT  # noqa: E402
from library_data import fill  # noqa: E402

DB_NAME = os.environ.get("BENCH_DATABASE", "image_repo_profile")


def setup(refill: bool) -> int:
    admin_dsn = os.environ.get("DATABASE_URL") or (
        "postgres://postgres@127.0.0.1:5432/postgres"
    )
    url = urlunsplit(urlsplit(admin_dsn)._replace(path="/" + DB_NAME))
    os.environ.update(item.split("=", 1) for item in ENVIRONMENT.split())
    os.environ.update(DATABASE_URL=url, IMG_REPO_DATA_DIR=tempfile.mkdtemp())
    conn = psycopg2.connect(admin_dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
    exists = cur.fetchone() is not None
    if refill and exists:
        cur.execute(f"DROP DATABASE {DB_NAME} WITH (FORCE)")
    if refill or not exists:
        cur.execute(f"CREATE DATABASE {DB_NAME}")
    conn.close()

    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import override_settings

    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            },
        }
    ).enable()
    if refill or not exists:
        call_command("migrate", verbosity=0)
        connection.close()
        print(fill(url, 1_000)["load"])
    else:
        call_command("migrate", verbosity=0)
    return User.objects.get(username="heavy").pk


def cpu_ms(run, repeat: int) -> float:
    for _ in range(5):
        run()
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        run()
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", type=int, default=1)
    parser.add_argument("--query", default="", help="extra query string")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--refill", action="store_true")
    parser.add_argument("--save", type=Path, help="write the page's HTML here")
    args = parser.parse_args()
    heavy_pk = setup(args.refill)

    from django.contrib.auth.models import User
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test import Client, RequestFactory

    from gallery import views

    heavy = User.objects.get(pk=heavy_pk)
    client = Client()
    client.force_login(heavy)
    url = f"/images/?page={args.page}" + (f"&{args.query}" if args.query else "")

    def whole() -> None:
        response = client.get(url, secure=True)
        assert response.status_code == 200, response.status_code

    # The view alone (no middleware): a request as the middleware leaves it.
    factory = RequestFactory()

    def bare_request():
        request = factory.get(url, secure=True)
        request.user = heavy
        request.session = client.session
        from django.contrib.messages.storage import default_storage

        request._messages = default_storage(request)
        return request

    captured: dict = {}
    real_render = views.render

    def capturing_render(request, template, context, **kwargs):
        captured["args"] = (template, context, request)
        return real_render(request, template, context, **kwargs)

    views.render = capturing_render
    whole()
    views.render = real_render
    template, context, request = captured["args"]

    def view_without_render() -> None:
        views.render = lambda request, template, context, **kwargs: None
        try:
            views.image_list(bare_request())
        finally:
            views.render = real_render

    def view() -> None:
        views.image_list(bare_request())

    def render() -> None:
        render_to_string(template, context, request)

    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        whole()
    if args.save:
        args.save.write_bytes(client.get(url, secure=True).content)
    total = cpu_ms(whole, args.repeat)
    bare = cpu_ms(view, args.repeat)
    no_render = cpu_ms(view_without_render, args.repeat)
    rendered = cpu_ms(render, args.repeat)
    print(f"{url}: {len(statements)} queries, load {os.getloadavg()}")
    for sql in statements:
        print(f"  {sql[:160]}")
    print(f"CPU per request, median of {args.repeat} (ms):")
    print(f"  whole request (test client, middleware)  {total:6.2f}")
    print(f"  view, no middleware                      {bare:6.2f}")
    print(f"  view without the render (queries, cards) {no_render:6.2f}")
    print(f"  render of the same context alone         {rendered:6.2f}")
    print(f"  => middleware, session, client ~         {total - bare:6.2f}")
    for name, empty in (("days", []), ("months", []), ("tag_chips", [])):
        without = {**context, name: empty}
        less = cpu_ms(lambda c=without: render_to_string(template, c, request), 50)
        print(f"  render without {name:28} {less:6.2f}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(50):
            whole()
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(60)
        stats.sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main()
