"""``application/scim+json`` on DRF: the parser, the renderer and the content negotiation.

RFC 7644 §3.1 has clients send ``application/scim+json`` and servers accept
``application/json`` too; IdPs differ (Okta adds ``; charset=utf-8``, some send nothing), so
every body is read as JSON whatever its declared type, and every answer is
``application/scim+json`` whatever the ``Accept`` header says: an IdP must never get a 406.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from scim.encoding import encode_json
from scim.errors import SCIM_CONTENT_TYPE, ScimError

RAW_BODY_ATTRIBUTE = "scim_raw_body"  # what the parser read, kept for scim.request_log


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")  # Python reads NaN/Infinity; RFC 8259 does not


class ScimJSONParser(BaseParser):
    """Strict JSON (RFC 8259), UTF-8, at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes (413)."""

    media_type = SCIM_CONTENT_TYPE

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict[str, Any] | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if parser_context and "request" in parser_context:  # for the request log
            setattr(parser_context["request"], RAW_BODY_ATTRIBUTE, raw)
        if limit is not None and len(raw) > limit:
            raise ScimError(413, "The request body is too large.")
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_not_json)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ParseError("The request body is not valid JSON.") from None


class ScimJSONRenderer(BaseRenderer):
    media_type = SCIM_CONTENT_TYPE
    format = "scim"
    charset = None  # JSON is UTF-8 by definition (RFC 8259 §8.1); no charset parameter

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict[str, Any] | None = None) -> bytes:
        if data is None:
            return b""
        return encode_json(data)


class ScimContentNegotiation(BaseContentNegotiation):
    """One parser and one renderer: no 415 and no 406 for an IdP's media type choices."""

    def select_parser(self, request: Any, parsers: list[BaseParser]) -> BaseParser:
        return parsers[0]

    def select_renderer(self, request: Any, renderers: list[BaseRenderer],
                        format_suffix: str | None = None) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type
