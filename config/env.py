"""Typed readers for environment variables.

Each raises ImproperlyConfigured naming the variable, so a bad deployment stops at start-up
with a message an operator can act on (docs/conventions.md point 14).
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_url(name: str, default: str) -> str:
    """An http(s) address: anything else (javascript:, a bare host) is refused."""
    raw = os.environ.get(name, "").strip() or default
    if not raw.startswith(("https://", "http://")) or len(raw) <= len("https://"):
        raise ImproperlyConfigured(f"{name} must be an http:// or https:// address, not {raw!r}")
    return raw


def env_secret(name: str, *, var_dir: Path, generate: bool) -> str:
    """A secret from the environment, or, in the embedded default, one kept under var/.

    Keyed hashes (fingerprints, blind indexes, panel keys) must stay stable across restarts,
    so a generated secret is written once and read back rather than made anew per start.
    """
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if not generate:
        raise ImproperlyConfigured(
            f"{name} is not set; it is required in production (DJANGO_DEBUG=false) "
            f"(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    path = var_dir / "secrets" / name.lower()
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Fernet keys must be 32 url-safe base64-encoded bytes; a token of that form also serves
    # as an HMAC key, so one generator fits every secret.
    value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value
