"""The database stops and starts again under a running gunicorn.

Pages answer a branded 503 with Retry-After while it is down, nothing is
stored, and the app recovers by itself when it returns.
"""

from __future__ import annotations

import time

import pytest

from .servers import Cluster, Gunicorn, app_env, manage, signed_in_session


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """The static files gunicorn serves with DEBUG off, as `make run` collects them."""
    directory = tmp_path_factory.mktemp("static")
    env = app_env(directory)
    manage(env, "collectstatic", "--noinput", "-v", "0")
    # Without DATABASE_URL, manage.py started an embedded server there.
    Cluster(directory / "data" / "pg").stop()


@pytest.fixture
def cluster(tmp_path, collected_static):
    cluster = Cluster(tmp_path / "pg")
    cluster.start()
    yield cluster
    cluster.stop()


def test_pages_answer_503_while_the_database_is_down_and_recover(cluster, tmp_path):
    env = app_env(tmp_path, DATABASE_URL=cluster.uri)
    manage(env, "migrate", "--noinput")
    session_key = signed_in_session(env, "dora")
    cookie = {"Cookie": f"sessionid={session_key}"}
    server = Gunicorn(env)
    try:
        assert server.get("/images/", **cookie)[0] == 200
        cluster.stop()

        for path in ("/images/", "/images/upload/", "/accounts/"):
            status, headers, body = server.get(path, **cookie)
            assert status == 503, path
            assert headers["Retry-After"] == "30"
            assert "cannot reach its database" in body
            assert 'class="site-header"' in body
        started = time.monotonic()
        assert server.get("/healthz")[0] == 503
        assert time.monotonic() - started < 5
        media = tmp_path / "data" / "media"
        assert not media.exists() or not any(media.rglob("*.*"))

        cluster.start()
        assert server.get("/images/", **cookie)[0] == 200
        assert server.get("/healthz")[0] == 200
    finally:
        server.stop()
