"""Tiny helpers that read typed values from the environment.

Each raises ImproperlyConfigured naming the variable when its value is
malformed, so a typo in a deployment fails at start-up, not at first use.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    return _env_number(name, default, int, "a whole number", minimum)


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    return _env_number(name, default, float, "a number", minimum)


def _env_number(name, default, cast, kind: str, minimum):
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = cast(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {kind}, not {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return number


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_choice(
    name: str, default: str, choices: tuple[str, ...], *, allow_path: bool = False
) -> str:
    """One of ``choices`` (any case); with ``allow_path``, also a dotted path."""
    value = env_str(name, default)
    if value.lower() in choices:
        return value.lower()
    if allow_path and "." in value:
        return value
    alternatives = ", ".join(choices) + (" or a dotted path" if allow_path else "")
    raise ImproperlyConfigured(f"{name} must be one of {alternatives}, not {value!r}.")


def env_rate(name: str) -> str | bool:
    """A rate such as "5/h" or "10/m" (allauth's syntax); unset means no limit."""
    value = env_str(name)
    if not value:
        return False
    amount, _, period = value.partition("/")
    if not amount.isdigit() or period not in ("s", "m", "h", "d"):
        raise ImproperlyConfigured(
            f"{name} must look like 5/h (a count per s, m, h or d), not {value!r}."
        )
    return f"{value}/ip"


def generated_secret_key(key_file: Path) -> str:
    """A secret key generated once into key_file (mode 0600) and kept there."""
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
