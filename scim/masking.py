"""What the SCIM request log may keep of a request: bodies and headers with the secrets masked.

Masked: the value of any key naming a password, a secret or an ``Authorization`` (anywhere in
the JSON, e.g. Okta's placeholder ``password`` and a PATCH with ``"path": "password"``),
anything shaped like a SCIM token (it keeps its public prefix, as lists show it) and any
``Bearer``/``Basic`` credential. A JSON body up to ``BODY_LIMIT`` characters is parsed and
masked key by key; a longer one, or one that is not JSON, is cut to ``BODY_LIMIT`` first and
masked by pattern, which also masks a value the cut left unterminated. Masking is done before
anything is stored, and the masked text is what is cut to the limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from config.logs import mask_secrets
from scim.services import PREFIX_LENGTH, TOKEN_PREFIX

BODY_LIMIT = 16 * 1024  # characters of each body kept
MASK = "[masked]"
TOKEN_SHAPE = re.compile(rf"(?<![A-Za-z0-9_-]){re.escape(TOKEN_PREFIX)}[A-Za-z0-9_-]{{6,}}")
_SENSITIVE = ("password", "secret", "authorization")
_SCHEMES = frozenset({"bearer", "basic", "token", "digest", "negotiate"})

_STRING = r'"(?:[^"\\]|\\.)*(?:"|$)'  # a JSON string literal, or what is left of a cut one
_SENSITIVE_PAIR = re.compile(
    rf'(?i)("[^"]*(?:{"|".join(_SENSITIVE)})[^"]*"\s*:\s*)({_STRING}|[^\s,}}\]]+)'
)
_VALUE_PAIR = re.compile(rf'(?i)("value"\s*:\s*)({_STRING}|[^\s,}}\]]+)')


def mask_credentials(text: str) -> str:
    """``config.logs.mask_secrets`` (tokens, Bearer/Basic credentials), skipping its regular
    expressions when nothing in the text could match: most bodies have nothing to mask."""
    lowered = text.lower()
    if TOKEN_PREFIX in text or "bearer" in lowered or "basic" in lowered:
        return mask_secrets(text)
    return text


def _sensitive(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SENSITIVE)


def mask_json(value: Any) -> Any:
    """A copy of parsed JSON with sensitive values replaced and every string masked."""
    if isinstance(value, dict):
        path = value.get("path")
        # A PATCH operation on the password: {"op": "replace", "path": "password", "value": …}
        hides_value = isinstance(path, str) and _sensitive(re.split(r"[:.]", path)[-1])
        return {
            key: MASK if _sensitive(str(key)) or (hides_value and key == "value")
            else mask_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_json(item) for item in value]
    if isinstance(value, str):
        return mask_credentials(value)
    return value


# Every word that makes mask_json change something (a sensitive key or PATCH path, a token,
# a Bearer/Basic credential), in lower case.
_TRIGGERS = (*_SENSITIVE, "bearer", "basic", TOKEN_PREFIX.lower())


def _nothing_to_mask(text: str) -> bool:
    """Whether the JSON ``text`` surely holds nothing ``mask_json`` would mask: none of its
    trigger words appears, and no ``\\u`` escape could spell one. Most bodies (a user, a
    page of users) hold nothing, and walking them costs more than parsing them."""
    if "\\u" in text:
        return False
    lowered = text.lower()
    return not any(word in lowered for word in _TRIGGERS)


def mask_text(text: str) -> str:
    """Pattern masking for what does not parse as JSON (or is too long to parse)."""
    lowered = text.lower()
    if any(word in lowered for word in _SENSITIVE):
        text = _SENSITIVE_PAIR.sub(lambda m: f'{m.group(1)}"{MASK}"', text)
        if "password" in lowered:  # a PATCH value whose path names the password
            text = _VALUE_PAIR.sub(lambda m: f'{m.group(1)}"{MASK}"', text)
    return mask_credentials(text)


def mask_body(raw: bytes, *, complete: bool = True) -> tuple[str, bool]:
    """The masked body as text and whether it was cut. ``complete=False`` says ``raw`` is
    only the start of the body."""
    complete = complete and len(raw) <= BODY_LIMIT * 4  # else surely more than is kept
    text = raw[:BODY_LIMIT * 4].decode("utf-8", errors="replace")
    masked = None
    if complete and len(text) <= BODY_LIMIT:
        try:
            parsed = json.loads(text)
            masked = json.dumps(parsed if _nothing_to_mask(text) else mask_json(parsed),
                                ensure_ascii=False)
        except (ValueError, RecursionError):
            masked = None
    if masked is None:
        masked = mask_text(text[:BODY_LIMIT])
        complete = complete and len(text) <= BODY_LIMIT
    masked = storable(masked)
    return masked[:BODY_LIMIT], not complete or len(masked) > BODY_LIMIT


def storable(text: str) -> str:
    """Text every database stores: NUL (which PostgreSQL refuses) and lone surrogates (which
    no UTF-8 column holds; JSON's ``"\\ud800"`` decodes to one) written as escapes."""
    text = text.replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def mask_authorization(header: str) -> str:
    """The Authorization header's shape: scheme words kept, a SCIM token as its prefix, any
    other credential masked ("Bearer Bearer rst_scim_AbC123…")."""
    words = header.split()
    shown = []
    for word in words[:6]:
        if word.lower() in _SCHEMES:
            shown.append(word)
        elif TOKEN_SHAPE.fullmatch(word):
            shown.append(word[:PREFIX_LENGTH] + "…")
        else:
            shown.append(MASK)
    if len(words) > 6:
        shown.append("…")
    return " ".join(shown)[:200]


def token_in(header: str) -> str:
    """The first word of the header shaped like a SCIM token, or ''."""
    match = TOKEN_SHAPE.search(header)
    return match.group(0) if match else ""
