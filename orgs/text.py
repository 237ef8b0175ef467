"""Which strings Roster stores: one rule for every writer (SCIM, SAML, admin, commands).

PostgreSQL refuses NUL in text and psycopg cannot encode a lone surrogate, while SQLite stores
both, so without one rule the same request succeeds on one database and fails (or crashes) on the
other. Bidi overrides are refused in identifiers and names because they make a stored value
display as something else in the admin ("Trojan Source"). Values are refused, never stripped:
silently changing what an IdP sent would make it read back something it did not write.
"""

from __future__ import annotations

import unicodedata

from orgs.exceptions import InvalidInput

# Explicit embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Line breaks and tabs are fine in free text (a postal address), never in a name.
MULTILINE_ALLOWED = frozenset("\t\n\r")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored, or None when it can."""
    for char in value:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return "contains an unpaired surrogate (invalid Unicode)"
        if char in BIDI_CONTROLS:
            return f"contains a bidirectional control character (U+{code:04X})"
        if unicodedata.category(char) == "Cc" and not (multiline and char in MULTILINE_ALLOWED):
            return f"contains a control character (U+{code:04X})"
    return None


def clean_text(value: str, *, field: str, max_length: int | None = None,
               multiline: bool = False) -> str:
    """``value`` unchanged if it can be stored, else ``InvalidInput`` naming the field."""
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise InvalidInput(f"{field} {problem}.")
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(f"{field} must be at most {max_length} characters.")
    return value


def clean_for_column(value: str, model: type, column: str, *, field: str) -> str:
    """``clean_text`` with the column's own length: the model is where a limit is written."""
    max_length = model._meta.get_field(column).max_length
    return clean_text(value, field=field, max_length=max_length)


def fold(value: str) -> str:
    """The one case fold for lookup keys: what userName, emails, externalId and displayName
    are compared on, case-insensitively. Stored keys (``orgs.lookup_keys``) and the values a
    filter or a uniqueness check compares with them both go through this function, so an
    equality is a plain ``=`` on an indexed column, the same on SQLite and PostgreSQL (whose
    own ``LOWER()`` differs by collation). SQLite's ``scim_fold`` (``scim.apps``) is this too."""
    return value.lower()
