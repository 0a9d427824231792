"""Read settings as a fresh process would, from a given environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def settings_in_process(expression: str, **environment: str) -> str:
    """Print `expression` (over `s`, the settings) in a new Python process."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        f"print({expression})"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "true",
        "IMG_REPO_SECRET_KEY": "x",
        "DJANGO_SETTINGS_MODULE": "image_repo_project.settings",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def log_in(client, username: str, password: str, *, headers=None, **data):
    """POST the site's login form (allauth's field names)."""
    return client.post(
        "/accounts/login/",
        {"login": username, "password": password, **data},
        headers=headers,
    )


def log_in_in_browser(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/images/")
