"""Start-up configuration: production mode refuses an insecure default secret key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:////tmp/roster-settings.sqlite3"}
    return subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ.setdefault("
         "'DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); print('ok')"],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
    )


def test_missing_secret_key_with_debug_off_is_a_clear_startup_error():
    result = _check({"DEBUG": "false"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_mode_starts_with_a_secret_key():
    result = _check({"DEBUG": "false", "DJANGO_SECRET_KEY": "x" * 50})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_bad_boolean_is_rejected():
    result = _check({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


@pytest.mark.parametrize("value", ["many", "0", "-5", "1.5"])
def test_a_bad_saml_limit_is_a_clear_startup_error(value):
    result = _check({"SAML_LOGIN_RATE_PER_ADDRESS": value})
    assert result.returncode != 0
    assert "SAML_LOGIN_RATE_PER_ADDRESS must be a whole number of at least 1" in result.stderr


def test_unsupported_cache_url_is_a_clear_startup_error():
    result = _check({"CACHE_URL": "memcached://127.0.0.1:11211"})
    assert result.returncode != 0
    assert "CACHE_URL 'memcached://127.0.0.1:11211' is not supported" in result.stderr


@pytest.mark.parametrize("value", ["fast", "10/fortnight", "0/minute", "-1/s"])
def test_a_bad_api_rate_limit_is_a_clear_startup_error(value):
    result = _check({"API_RATE_LIMIT": value})
    assert result.returncode != 0
    assert "API_RATE_LIMIT must look like 600/minute" in result.stderr
