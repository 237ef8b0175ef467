"""SCIM answers as JSON bytes, encoded by orjson.

A page of 100 Users is about 50 KB of JSON: the standard library's encoder (ASCII escapes,
spaced separators) took ~0.3 ms of a page's CPU, orjson ~0.03 ms, and its output is compact
UTF-8 (RFC 8259 §8.1). What orjson refuses, the standard library still encodes, as before: an
integer beyond 64 bits (an IdP's extension attribute may hold one), a lone surrogate (JSON's
``"\\ud800"`` decodes to one), a key that is not a string.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def encode_json(data: Any) -> bytes:
    """``data`` as compact JSON in UTF-8."""
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(data, separators=(",", ":")).encode()
