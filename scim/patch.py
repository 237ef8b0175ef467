"""PATCH (RFC 7644 §3.5.2) applied to a resource's SCIM representation.

The adapter hands us its writable attributes as a plain dict (``state``); each operation edits
that dict, checked against the schema we advertise, and the adapter then turns the difference
into service calls. This keeps every wire form Okta and Entra send in one place:

- ops in any casing (``"Replace"``), string booleans (``"False"``);
- a no-path ``replace``/``add`` whose value is a dict of attribute paths, including dotted keys
  (``"name.givenName"``) and extension URNs (as a key or as a key prefix);
- value filters ``emails[type eq "work"].value`` and ``members[value eq "<id>"]``;
- ``remove`` of ``members`` with a value list removes only those members.

Unknown attributes are ``invalidPath``; read-only ones are ``mutability``; a malformed
operation is ``invalidSyntax``/``invalidValue``; a bad value filter is ``invalidFilter``.
"""

from __future__ import annotations

import copy
from typing import Any

from scim.attributes import Path, Schema, coerce
from scim.errors import ScimError, bad_request
from scim.schemas import PATCH_OP

# Sub-attributes that only qualify an item of a multi-valued attribute: an item left with
# nothing else (``{"type": "fax"}`` after its value was removed) is dropped.
_QUALIFIERS = frozenset({"type", "primary"})


def operations_of(body: Any) -> list[dict[str, Any]]:
    """The operations of a PatchOp body (RFC 7644 §3.5.2), each an object with a known op."""
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a PatchOp object.", "invalidSyntax")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or PATCH_OP not in schemas):
        raise ScimError(400, f"A PATCH body must have the schema {PATCH_OP}.", "invalidSyntax")
    operations = body.get("Operations", body.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "A PATCH body needs a non-empty Operations list.", "invalidSyntax")
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "Each operation must be an object.", "invalidSyntax")
        op = operation.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "remove", "replace"):
            raise ScimError(400, f"Unknown PATCH op {op!r}.", "invalidSyntax")
    return operations


def _check_writable(attr: dict[str, Any], sub: dict[str, Any] | None = None) -> None:
    target = sub or attr
    if attr["mutability"] == "readOnly" or target["mutability"] == "readOnly":
        raise ScimError(400, f"{target['name']} is read-only.", "mutability")


class PatchApplier:
    """Applies operations to ``state``; records multi-valued member deltas separately so the
    group adapter can apply them idempotently under a row lock."""

    def __init__(self, schema: Schema, state: dict[str, Any], resource_id: str) -> None:
        self.schema = schema
        self.state = copy.deepcopy(state)
        self.resource_id = resource_id
        self.member_ops: list[tuple[str, list[str] | None]] = []  # ("add"|"remove"|"replace")

    # --- entry point -------------------------------------------------------------------
    def apply(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        """The state after ``operations`` (checked by ``operations_of``), in order."""
        for operation in operations:
            self._operation(operation["op"].lower(), operation.get("path"),
                            operation.get("value", None), "value" in operation)
        return self.state

    def _operation(self, op: str, path_text: Any, value: Any, has_value: bool) -> None:
        if path_text is None or path_text == "":
            if op == "remove":
                raise ScimError(400, "A remove operation needs a path.", "noTarget")
            if not isinstance(value, dict):
                raise ScimError(400, "Without a path the value must be an object.",
                                "invalidValue")
            self._no_path(op, value)
            return
        path = self.schema.parse(path_text)
        if op != "remove" and not has_value:
            raise ScimError(400, f"The {op} operation needs a value.", "invalidValue")
        self._at(op, path, value)

    def _no_path(self, op: str, value: dict[str, Any]) -> None:
        for key, item in value.items():
            if key.lower() == "id":
                if str(item) != self.resource_id:
                    raise ScimError(400, "id is read-only.", "mutability")
                continue  # Okta sends the group's own id with every rename
            if key.lower() == "schemas":
                continue
            lowered = key.lower()
            extension = next((e for e in self.schema.extension_ids if e.lower() == lowered), None)
            if extension is not None and isinstance(item, dict):
                for sub_key, sub_value in item.items():
                    if sub_key.lower() != "schemas":  # as in a value at the URN's path
                        self._at(op, self.schema.parse(f"{extension}:{sub_key}"), sub_value)
                continue
            self._at(op, self.schema.parse(key), item)

    # --- one path ----------------------------------------------------------------------
    def _at(self, op: str, path: Path, value: Any) -> None:
        if path.bare_extension:
            self._extension(op, path.schema, value)
            return
        attr = self.schema.attribute(path.schema, path.attr)
        sub = self.schema.sub_attribute(attr, path.sub) if path.sub else None
        _check_writable(attr, sub)
        container = self._container(path.schema)
        name = attr["name"]
        where = f"{name}.{sub['name']}" if sub else name
        if attr.get("multiValued"):
            self._multi(op, path, attr, sub, value, container, where)
            return
        if op == "remove":
            if sub is None:
                if attr.get("required"):
                    raise ScimError(400, f"{name} is required and cannot be removed.",
                                    "mutability")
                container[name] = None
            elif isinstance(container.get(name), dict):
                container[name].pop(sub["name"], None)
            return
        if sub is not None:
            current = container.get(name) or {}
            coerced = coerce(sub, value, where)
            if coerced is None:
                current.pop(sub["name"], None)
            else:
                current[sub["name"]] = coerced
            container[name] = current
            return
        coerced = coerce(attr, value, where)
        if attr["type"] == "complex" and coerced and isinstance(container.get(name), dict):
            # RFC 7644 §3.5.2.1 and §3.5.2.3: add and replace both set the sub-attributes
            # given and leave the others unchanged.
            container[name] = {**container[name], **coerced}
        else:
            if coerced is None and attr.get("required"):
                raise bad_request(f"{name} is required.")
            container[name] = coerced

    def _container(self, schema_id: str) -> dict[str, Any]:
        if schema_id == self.schema.core_id:
            return self.state
        container = self.state.get(schema_id)
        if not isinstance(container, dict):
            container = self.state[schema_id] = {}
        return container

    def _extension(self, op: str, schema_id: str, value: Any) -> None:
        if op == "remove":
            self.state[schema_id] = {}
            return
        if not isinstance(value, dict):
            raise bad_request(f"The value for {schema_id} must be an object.")
        if op == "replace":
            self.state[schema_id] = {}
        for key, item in value.items():
            if key.lower() == "schemas":
                continue
            self._at(op, self.schema.parse(f"{schema_id}:{key}"), item)

    def _multi(
        self, op: str, path: Path, attr: dict[str, Any], sub: dict[str, Any] | None,
        value: Any, container: dict[str, Any], where: str,
    ) -> None:
        name = attr["name"]
        if name == "members":
            self._members(op, path, sub, value)
            return
        items: list[dict[str, Any]] = list(container.get(name) or [])
        if path.filter_attr is None:
            if sub is not None:
                raise ScimError(400, f"Use a filter to pick which {name} to change.",
                                "invalidPath")
            if op == "remove":
                if attr.get("required"):
                    raise ScimError(400, f"{name} is required and cannot be removed.",
                                    "mutability")
                container[name] = None
                return
            new = coerce(attr, value, where) or []
            container[name] = new if op == "replace" else items + new
            self._one_primary(container[name])
            return
        matches = [
            i for i in items
            if str(i.get(path.filter_attr, "")).lower() == path.filter_value.lower()
        ]
        if op == "remove":
            if sub is None:
                container[name] = [i for i in items if i not in matches] or None
            else:
                for i in matches:
                    i.pop(sub["name"], None)
                container[name] = [i for i in items if set(i) - _QUALIFIERS] or None
            return
        # An item the filter creates is seeded with the filter's value, checked like any other.
        seed = {path.filter_attr: coerce(self.schema.sub_attribute(attr, path.filter_attr),
                                         path.filter_value, f"{name}.{path.filter_attr}")}
        if sub is not None:
            coerced = coerce(sub, value, where)
            if not matches:  # Entra: replace emails[type eq "work"].value on a user without one
                item = dict(seed)
                items.append(item)
                matches = [item]
            for i in matches:
                i[sub["name"]] = coerced
        else:
            coerced = coerce({**attr, "multiValued": False}, value, where) or {}
            if matches:
                for i in matches:
                    i |= coerced
            else:
                items.append({**seed, **coerced})
        container[name] = items
        self._one_primary(items)

    @staticmethod
    def _one_primary(items: list[dict[str, Any]] | None) -> None:
        """RFC 7643 §2.4: at most one primary; the last one set wins."""
        primaries = [i for i in items or [] if i.get("primary") is True]
        for extra in primaries[:-1]:
            extra["primary"] = False

    def _members(self, op: str, path: Path, sub: dict[str, Any] | None, value: Any) -> None:
        if sub is not None:
            raise ScimError(400, "Members are changed as a whole, not by sub-attribute.",
                            "invalidPath")
        if path.filter_attr is not None:
            if path.filter_attr != "value" or op != "remove":
                raise ScimError(400, 'Only remove members[value eq "<id>"] is supported.',
                                "invalidPath")
            self.member_ops.append(("remove", [path.filter_value]))
            return
        if op == "remove" and value is None:
            self.member_ops.append(("replace", []))  # RFC 7644: remove all members
            return
        ids = member_ids(value)
        self.member_ops.append((op, ids))


def member_ids(value: Any) -> list[str]:
    """The ``value`` of each member object (Okta and Entra send ``[{"value": id, ...}]``)."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise bad_request("members must be a list of {\"value\": \"<id>\"} objects.")
    ids = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise bad_request("Each member must be an object with a string \"value\".")
        ids.append(item["value"])
    return ids
