"""Small validating readers for settings that come from the environment.

Each helper fails loudly with the variable's name when a value cannot be parsed, so a
misconfigured deployment stops at start-up instead of misbehaving later.
"""

from __future__ import annotations

import ipaddress
import os
import zlib
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    return Path(raw).expanduser().resolve() if raw else default


# Keys Django generates for `startproject` carry this prefix: a key copied from a new project.
INSECURE_KEY_PREFIX = "django-insecure-"
LOOPBACK_HOSTS = {"localhost", "localhost.localdomain", "ip6-localhost"}


def secret_key_problem(key: str) -> str | None:
    """Why this key is unfit for production, or None.

    Django's own check asks for 50 characters and 5 different ones, which `"abcde" * 10`
    passes. A random key of 50 characters has about 30 different ones and does not compress;
    a key built by repeating a short unit does.
    """
    if key.startswith(INSECURE_KEY_PREFIX):
        return f"starts with {INSECURE_KEY_PREFIX!r}, the mark of a key copied from a new project"
    if len(key) < 50:
        return f"is {len(key)} characters long; use at least 50 random characters"
    if len(set(key)) < 16:
        return f"uses only {len(set(key))} different characters; use at least 16"
    if len(zlib.compress(key.encode(), 9)) < len(key) * 0.8:
        return "repeats itself; generate it at random"
    return None


def url_problem(url: str) -> str | None:
    """Why this URL cannot be the public address printed in reports, or None."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "must be an absolute http(s) URL such as https://governance.example.com"
    host = parts.hostname.lower()
    try:
        address = ipaddress.ip_address(host)
        # 0.0.0.0 and :: name no machine at all; a reader's browser treats them as its own.
        loopback = address.is_loopback or address.is_unspecified
    except ValueError:
        loopback = host in LOOPBACK_HOSTS or host.endswith(".localhost")
    if loopback:
        return f"points to this machine ({host}); readers of a report cannot reach it"
    return None
