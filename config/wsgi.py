"""WSGI entry point (gunicorn config.wsgi; also WSGI_APPLICATION for runserver)."""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config.handlers import Handler  # noqa: E402 — needs the settings above

application = Handler()
