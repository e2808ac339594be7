"""Settings parse the environment: each case imports config.settings in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, config.settings as s; print(json.dumps({"
    "'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL,"
    "'cache': s.CACHES['default']['BACKEND'], 'debug': s.DEBUG, 'secret': s.SECRET_KEY,"
    "'hash_key': s.PANELWAVE_HASH_KEY, 'contact_keys': s.PANELWAVE_CONTACT_KEYS,"
    "'hosts': s.ALLOWED_HOSTS, 'email': s.EMAIL_BACKEND, 'email_host': s.EMAIL_HOST}))"
)
CONFIG_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_DEBUG",
    "SECRET_KEY",
    "PANELWAVE_CONTACT_KEYS",
    "PANELWAVE_HASH_KEY",
    "ALLOWED_HOSTS",
    "EMAIL_URL",
    "PANELWAVE_VAR_DIR",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_SETTINGS_MODULE",
)


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    clean["PANELWAVE_VAR_DIR"] = str(tmp_path / "var")
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def parsed(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_embedded_default_needs_nothing_installed(tmp_path):
    values = parsed(load_settings(tmp_path))
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "var" / "db.sqlite3")
    assert values["eager"] is True
    assert values["broker"] == "memory://localhost/"  # a host: kombu warns without one
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"


def test_generated_secrets_are_kept_and_reused(tmp_path):
    first = parsed(load_settings(tmp_path))
    second = parsed(load_settings(tmp_path))
    assert first["secret"] == second["secret"]
    assert first["hash_key"] == second["hash_key"]
    assert first["contact_keys"] == second["contact_keys"]
    assert len({first["secret"], first["hash_key"]}) == 2
    key_file = tmp_path / "var" / "secrets" / "panelwave_hash_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_database_and_redis_urls_switch_to_real_services(tmp_path):
    values = parsed(
        load_settings(
            tmp_path,
            DATABASE_URL="postgres://panel:pw@db.example:5433/panelwave",
            REDIS_URL="redis://cache.example:6380/2",
        )
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "panelwave"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.example:6380/2"
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "PANELWAVE_CONTACT_KEYS", "PANELWAVE_HASH_KEY"])
def test_production_refuses_to_start_without_each_secret(tmp_path, missing):
    env = {
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": "s" * 50,
        "PANELWAVE_CONTACT_KEYS": "k" * 44,
        "PANELWAVE_HASH_KEY": "h" * 44,
    }
    del env[missing]
    result = load_settings(tmp_path, **env)
    assert result.returncode != 0
    assert f"{missing} is not set; it is required in production" in result.stderr
    assert not (tmp_path / "var" / "secrets").exists()


def test_production_takes_secrets_and_key_list_from_environment(tmp_path):
    values = parsed(
        load_settings(
            tmp_path,
            DJANGO_DEBUG="false",
            SECRET_KEY="s" * 50,
            PANELWAVE_CONTACT_KEYS="new-key, old-key",
            PANELWAVE_HASH_KEY="h" * 44,
            ALLOWED_HOSTS="survey.example.org, admin.example.org",
            EMAIL_URL="smtp://user:pw@mail.example.org:587/?tls=True",
        )
    )
    assert values["debug"] is False
    assert values["contact_keys"] == ["new-key", "old-key"]
    assert values["hosts"] == ["survey.example.org", "admin.example.org"]
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["email_host"] == "mail.example.org"


@pytest.mark.parametrize(
    ("_case", "variable", "value", "message"),
    [
        ("bool", "DJANGO_DEBUG", "maybe", "DJANGO_DEBUG must be one of true/false"),
        ("int", "SESSION_COOKIE_AGE", "a day", "SESSION_COOKIE_AGE must be a whole number"),
        ("email", "EMAIL_URL", "pigeon://loft", "EMAIL_URL has an unknown scheme"),
    ],
)
def test_bad_values_stop_start_up_naming_the_variable(tmp_path, _case, variable, value, message):
    result = load_settings(tmp_path, **{variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_debug_pages_are_off_unless_asked_for(tmp_path):
    # given nothing set (scripts, tests, a forgotten variable): debug off, secrets generated
    embedded = parsed(load_settings(tmp_path))
    demo = parsed(load_settings(tmp_path, DJANGO_DEBUG="true"))

    assert embedded["debug"] is False
    assert embedded["secret"] == demo["secret"]
    assert demo["debug"] is True


def test_runserver_without_django_debug_warns(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    clean["PANELWAVE_VAR_DIR"] = str(tmp_path / "var")
    command = [sys.executable, "manage.py", "runserver", "--help"]

    unset = subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    chosen = subprocess.run(
        command,
        cwd=ROOT,
        env={**clean, "DJANGO_DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert unset.returncode == 0
    assert "DJANGO_DEBUG is not set" in unset.stderr
    assert "DJANGO_DEBUG is not set" not in chosen.stderr


def test_make_demo_turns_debug_on():
    makefile = (ROOT / "Makefile").read_text()

    assert "DJANGO_DEBUG=$(or $(DJANGO_DEBUG),true)" in makefile
