"""The attributes Roster supports, written once: what SCIM bodies may say and how it is read.

The advertised schemas (``scim.schemas``) are the single list of supported attributes: the
``Schema`` here reads them for body checks and PATCH paths, the SCIM profile keeps the User
attributes that have no column (``PROFILE_ATTRIBUTES``), and the columns the others are
stored in (``USER_COLUMNS``, ``GROUP_COLUMNS``) give both the filters their columns and
``coerce`` its length limits. Pure: nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from orgs.exceptions import InvalidInput
from orgs.models import Group, Membership
from orgs.text import clean_text
from scim.errors import ScimError, bad_request
from scim.grammar import equality
from scim.models import ScimUserProfile
from scim.schemas import enterprise_schema, group_schema, user_schema

_NAME = re.compile(r"^[A-Za-z$][\w$-]*$")
# Singular complex attributes a client may send as their ``value`` alone.
BARE_VALUE_ATTRIBUTES = frozenset({"manager"})
# Free text where a line break belongs (a printed address); every other string is one line.
MULTILINE = frozenset({"addresses.formatted"})

# Where the attributes with a column of their own are stored. Filters compare these columns;
# their lengths are the attributes' limits. (userName is the email for a member added by hand.)
USER_COLUMNS = {
    "userName": "scim_user_name",
    "externalId": "external_id",
    "name.givenName": "given_name",
    "name.familyName": "family_name",
    "emails.value": "email",
    "displayName": "scim_profile__display_name",
    "active": "is_active",
    "meta.created": "created_at",
    "meta.lastModified": "updated_at",
}
GROUP_COLUMNS = {
    "displayName": "display_name",
    "externalId": "external_id",
    "meta.created": "created_at",
    "meta.lastModified": "updated_at",
}


def _max_length(model: type, column: str) -> int | None:
    if "__" in column:  # scim_profile__display_name
        model, column = ScimUserProfile, column.split("__", 1)[1]
    return getattr(model._meta.get_field(column), "max_length", None)


# The longest value of each string attribute, by the name ``coerce`` reports it under.
MAX_LENGTHS: dict[str, int] = {
    name: length
    for model, columns in ((Membership, USER_COLUMNS), (Group, GROUP_COLUMNS))
    for name, column in columns.items()
    if (length := _max_length(model, column)) is not None
}


def pick(body: dict[str, Any], name: str) -> tuple[bool, Any]:
    """A body attribute by case-insensitive name (RFC 7643 §2.1): (found, value)."""
    for key, value in body.items():
        if key.lower() == name.lower():
            return True, value
    return False, None


def check_schemas(body: dict[str, Any]) -> None:
    """``schemas`` is not read (the endpoint decides the resource type), but when sent it must
    be what RFC 7643 §3 says: a list of URIs."""
    found, schemas = pick(body, "schemas")
    if found and schemas is not None and (
        not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas)
    ):
        raise ScimError(400, "schemas must be a list of schema URIs.", "invalidSyntax")


@dataclass(frozen=True)
class Path:
    """A parsed attribute path: ``attr[filter_attr eq "filter_value"].sub``."""

    schema: str  # the schema the attribute belongs to (core or extension URN)
    attr: str  # canonical attribute name as the schema spells it
    sub: str | None = None
    filter_attr: str | None = None
    filter_value: str | None = None
    bare_extension: bool = False  # the path is an extension URN itself


class Schema:
    """The writable shape of one resource type, read from its advertised schema documents."""

    def __init__(self, core: dict[str, Any], extensions: list[dict[str, Any]] = ()) -> None:
        self.core_id = core["id"]
        self.attrs: dict[str, dict[str, dict[str, Any]]] = {}
        for schema in (core, *extensions):
            self.attrs[schema["id"]] = {a["name"].lower(): a for a in schema["attributes"]}
        # A common attribute (RFC 7643 §3.1): on every resource, in no schema document.
        self.attrs[self.core_id]["externalid"] = {
            "name": "externalId", "type": "string", "multiValued": False, "required": False,
            "caseExact": True, "mutability": "readWrite", "returned": "default",
        }
        self.extension_ids = [e["id"] for e in extensions]

    def attribute(self, schema_id: str, name: str) -> dict[str, Any]:
        attr = self.attrs[schema_id].get(name.lower())
        if attr is None:
            if name.lower() in ("id", "meta", "schemas") and schema_id == self.core_id:
                raise ScimError(400, f"{name!r} is read-only.", "mutability")
            raise ScimError(400, f"{name!r} is not an attribute we support.", "invalidPath")
        return attr

    def sub_attribute(self, attr: dict[str, Any], name: str) -> dict[str, Any]:
        for sub in attr.get("subAttributes", []):
            if sub["name"].lower() == name.lower():
                return sub
        raise ScimError(400, f"{attr['name']}.{name} is not an attribute we support.",
                        "invalidPath")

    def parse(self, text: str) -> Path:
        if not isinstance(text, str) or not text.strip():
            raise ScimError(400, "The path must be a non-empty string.", "invalidPath")
        text = text.strip()
        schema_id = self.core_id
        lowered = text.lower()
        for candidate in (*self.extension_ids, self.core_id):
            if lowered == candidate.lower() and candidate in self.extension_ids:
                return Path(schema=candidate, attr="", bare_extension=True)
            if lowered.startswith(candidate.lower() + ":"):
                schema_id = candidate
                text = text[len(candidate) + 1:]
                break
        else:
            if lowered.startswith("urn:"):
                raise ScimError(400, f"{text!r} is not a schema we support.", "invalidPath")
        filter_attr = filter_value = None
        sub = None
        if "[" in text:
            head, _, rest = text.partition("[")
            inner, closed, tail = rest.partition("]")
            if not closed:
                raise ScimError(400, f"Unbalanced brackets in {text!r}.", "invalidPath")
            filter_attr, filter_value = equality(inner, head)
            if tail:
                if not tail.startswith("."):
                    raise ScimError(400, f"{text!r} is not a valid path.", "invalidPath")
                sub = tail[1:]
            name = head
        else:
            name, _, sub_text = text.partition(".")
            sub = sub_text or None
        if not _NAME.match(name) or (sub is not None and not _NAME.match(sub)):
            raise ScimError(400, f"{text!r} is not a valid path.", "invalidPath")
        attr = self.attribute(schema_id, name)
        if sub is not None:
            sub_def = self.sub_attribute(attr, sub)
            sub = sub_def["name"]
        if filter_attr is not None:
            if not attr.get("multiValued"):
                raise ScimError(400, f"{attr['name']} is not multi-valued.", "invalidPath")
            filter_attr = self.sub_attribute(attr, filter_attr)["name"]
        return Path(schema_id, attr["name"], sub, filter_attr, filter_value)


def coerce(attr: dict[str, Any], value: Any, where: str) -> Any:
    """Check (and gently coerce) one value against its attribute definition. Every string a
    body brings passes here, so this is where ``orgs.text``'s rule (no lone surrogates,
    control characters or bidi overrides; refused, never stripped) and the column lengths
    are applied, alike for POST, PUT and PATCH."""
    if value is None:
        return None
    if attr.get("multiValued"):
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            raise bad_request(f"{where} must be a list.")
        single = {**attr, "multiValued": False}
        items = (coerce(single, item, where) for item in value)
        return [item for item in items if item is not None]  # Entra may send [null]
    kind = attr["type"]
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise bad_request(f"{where} must be a boolean.")
    if kind == "complex":
        if attr["name"] in BARE_VALUE_ATTRIBUTES and isinstance(value, str):
            # Entra sends the enterprise manager as the manager's id alone.
            return coerce(attr, {"value": value}, where) if value else None
        if not isinstance(value, dict):
            raise bad_request(f"{where} must be an object.")
        out = {}
        subs = {s["name"].lower(): s for s in attr.get("subAttributes", [])}
        for key, sub_value in value.items():
            sub = subs.get(key.lower())
            if sub is None:
                continue  # e.g. "type" on a member, or Okta's "display": not ours to keep
            if sub["mutability"] == "readOnly":
                continue
            coerced = coerce(sub, sub_value, f"{where}.{sub['name']}")
            if coerced is not None:
                out[sub["name"]] = coerced
        return out
    if kind in ("string", "reference"):
        if not isinstance(value, str):
            raise bad_request(f"{where} must be a string.")
        try:
            return clean_text(value, field=where, max_length=MAX_LENGTHS.get(where),
                              multiline=where in MULTILINE)
        except InvalidInput as exc:
            raise bad_request(exc.message) from None
    return value


USER = Schema(user_schema(), [enterprise_schema()])
GROUP = Schema(group_schema())
# The writable User attributes with a column of their own (``groups`` is read-only, changed
# through Groups); the SCIM profile keeps every other advertised core attribute by SCIM name.
USER_OWN_ATTRIBUTES = ("userName", "externalId", "name", "displayName", "emails", "active")
PROFILE_ATTRIBUTES = tuple(
    a["name"] for a in user_schema()["attributes"]
    if a["name"] not in USER_OWN_ATTRIBUTES and a["mutability"] != "readOnly"
)
