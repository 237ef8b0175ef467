"""The README's production environment, and processes started with it, for the deploy tests."""

from __future__ import annotations

import os
import re
import secrets
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_env() -> dict[str, str]:
    """The ``# roster.env`` block of README's *Production* section, as a dict."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n# roster\.env\n(.*?)```", text, re.S)
    assert block, "README lost its '# roster.env' block"
    pairs = (line.split("=", 1) for line in block.group(1).splitlines()
             if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def production_env(tmp: Path, **overrides: str) -> dict[str, str]:
    """README's environment with this machine's addresses: a fresh SQLite file, a temp
    STATIC_ROOT, a real secret key; no SMTP (the console backend prints invitations)."""
    env = {key: value for key, value in readme_env().items() if not key.startswith("EMAIL_")}
    env.update({
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PY": sys.executable,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp / 'roster.sqlite3'}",
        "STATIC_ROOT": str(tmp / "static"),
        "CACHE_URL": "db://",
    })
    env.update(overrides)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_available(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
