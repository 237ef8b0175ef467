"""ASGI entry point."""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config.handlers import AsgiHandler  # noqa: E402 — needs the settings above

application = AsgiHandler()
