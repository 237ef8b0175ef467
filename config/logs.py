"""JSON log lines, one object per line, for Django's loggers and for gunicorn's.

A 30-line formatter of our own rather than python-json-logger: it writes a fixed set of fields
(time, level, logger, message, the request context, the exception), never whatever objects a
library attaches to a record (Django's ``django.request`` attaches the whole request), and it
masks anything shaped like a SCIM token or a bearer credential as a last line of defence.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from config.request_context import get_request_context

_SECRETS = (  # in this order: a credential after "Bearer" goes whole, a bare token keeps its prefix
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{12,}"),
     lambda m: f"{m.group(1)}{m.group(2)}[masked]"),
    (re.compile(r"rst_scim_[A-Za-z0-9_\-]{7,}"),  # longer than a prefix
     lambda m: m.group(0)[:15] + "…[masked]"),
)


def mask_secrets(text: str) -> str:
    """Mask SCIM tokens (keeping their public prefix) and Bearer/Basic credentials."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record. ``extra={"fields": {...}}`` adds structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask_secrets(record.getMessage()),
            **get_request_context(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = mask_secrets(self.formatException(record.exc_info))
        elif record.stack_info:
            line["stack"] = mask_secrets(self.formatStack(record.stack_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Human-readable lines for development, with the request id and the same masking."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = get_request_context()
        if context:
            text += " [" + " ".join(f"{k}={v}" for k, v in context.items()) + "]"
        return mask_secrets(text)


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """Django's LOGGING: everything to stderr, as JSON (``fmt="json"``) or text."""
    formatter = "config.logs.JsonFormatter" if fmt == "json" else "config.logs.TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"roster": {"()": formatter}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "roster"}},
        "root": {"handlers": ["console"], "level": level},
        # django.server is runserver's access log: give it the same format.
        "loggers": {"django.server": {"handlers": ["console"], "level": "INFO",
                                      "propagate": False}},
    }
