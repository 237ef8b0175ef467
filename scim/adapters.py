"""SCIM Users are ``orgs.Membership``s and SCIM Groups are ``orgs.Group``s.

The adapters keep django-scim2's adapter contract, as Zulip's do: ``to_dict`` renders,
``from_dict`` (a POST or PUT body) and ``handle_operations`` (a PATCH) only record the change
asked for, ``save`` and ``delete`` apply it with exactly one ``scim.services.provisioning``
call. They translate the wire format and nothing else: no transaction, no lock, no audit, no error
mapping (``scim.errors.scim_exception_handler`` does that once for every view).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django_scim.adapters import SCIMMixin

from orgs.models import Group, Membership
from scim.attributes import GROUP, check_schemas, coerce, pick
from scim.auth import ScimContext
from scim.errors import ScimError, bad_request
from scim.patch import PatchApplier, member_ids
from scim.schemas import ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, base_url
from scim.services import provisioning
from scim.services.provisioning import GroupEdit, IdpUser, MemberChange, idp_user_of
from scim.user_state import (
    body_state,
    created_user,
    group_names,
    patched_user,
    replaced_user,
    user_state,
)


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


class _Adapter(SCIMMixin):
    id_field = "pk"
    resource_type = ""
    endpoint = ""

    @property
    def context(self) -> ScimContext:
        return self.request.auth

    @property
    def location(self) -> str:
        return self._location(self.id)

    def _location(self, resource_id: str) -> str:
        return f"{base_url()}/{self.endpoint}/{resource_id}"

    def _meta(self, created: Any, modified: Any, resource_id: str) -> dict[str, str]:
        """``meta``, for the resource ``resource_id`` (its ``id``, worked out once by the
        caller: a page renders a hundred)."""
        return {"resourceType": self.resource_type, "created": _iso(created),
                "lastModified": _iso(modified), "location": self._location(resource_id)}

    def _check_id(self, body: dict[str, Any]) -> None:
        found, value = pick(body, "id")
        if found and value is not None and str(value) != self.id:
            raise ScimError(400, "id is read-only.", "mutability")


class ScimUser(_Adapter):
    """A membership as a SCIM User. ``obj`` comes from ``orgs.selectors.membership_list`` with
    ``scim_profile`` joined, so rendering costs no query."""

    resource_type = "User"
    endpoint = "Users"

    def __init__(self, obj: Membership, request: Any = None) -> None:
        super().__init__(obj, request)
        self._created: IdpUser | None = None
        self._group_names: list[str] = []
        self._change: Callable[[IdpUser], IdpUser] | None = None

    def to_dict(self, groups: list[tuple[Any, str]] | None = None) -> dict[str, Any]:
        """The member; its groups are ``groups``, (id, display name) pairs, when given (a page
        loads them at once: ``orgs.selectors.membership_group_refs``), else read here."""
        m = self.obj
        if groups is None:
            groups = [(g.pk, g.display_name) for g in m.groups.all()]
        state = user_state(idp_user_of(m), copied=False)  # rendered, never changed
        enterprise = state.pop(ENTERPRISE_SCHEMA)
        user_id = str(m.pk)
        doc: dict[str, Any] = {
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA] if enterprise else [USER_SCHEMA],
            "id": user_id,
        }
        for key, value in state.items():
            if value is not None:
                doc[key] = value
        root = base_url()
        doc["groups"] = [
            {"value": str(pk), "$ref": f"{root}/Groups/{pk}", "display": name}
            for pk, name in groups
        ]
        if enterprise:
            doc[ENTERPRISE_SCHEMA] = enterprise
        # A profile change stamps the member's updated_at too (scim_profile_update), so this
        # is what meta.lastModified filters compare, through an index.
        doc["meta"] = self._meta(m.created_at, m.updated_at, user_id)
        return doc

    def from_dict(self, d: Any) -> None:
        """A POST creates the member it describes; a PUT replaces what it says."""
        state = body_state(d)
        if self.obj._state.adding:
            self._created = created_user(state)
            self._group_names = group_names(d)
        else:
            self._check_id(d)
            self._change = lambda current: replaced_user(state, current)

    def handle_operations(self, operations: list[dict[str, Any]]) -> None:
        resource_id = self.id
        self._change = lambda current: patched_user(current, operations, resource_id)

    def save(self) -> None:
        actor = self.context.actor
        if self._created is not None:
            self.obj = provisioning.scim_user_create(
                organization=self.context.organization, user=self._created, actor=actor,
                group_names=self._group_names,
            )
        elif self._change is not None:
            self.obj = provisioning.scim_user_update(
                membership=self.obj, change=self._change, actor=actor
            )

    def delete(self) -> None:
        provisioning.scim_user_delete(membership=self.obj, actor=self.context.actor)


def _member_uuids(ids: Iterable[Any], *, removing: bool = False) -> frozenset[uuid.UUID]:
    """Member ids as UUIDs. An id that cannot be ours is refused when adding, but removing it
    removes nothing (removing an absent member is not an error)."""
    out = set()
    for value in ids:
        try:
            out.add(uuid.UUID(str(value)))
        except (ValueError, AttributeError, TypeError):
            if not removing:
                raise bad_request(f"{value!r} is not a member of this organization.") from None
    return frozenset(out)


def fold_member_ops(ops: list[tuple[str, list[str]]]) -> MemberChange:
    """A PATCH's member operations, in order, as one change: a replace, or ids to add and to
    remove (a later operation on an id wins over an earlier one)."""
    replace: set | None = None
    add: set = set()
    remove: set = set()
    for op, raw_ids in ops:
        ids = _member_uuids(raw_ids, removing=op == "remove")
        if op == "replace":
            replace, add, remove = set(ids), set(), set()
        elif replace is not None:
            replace = replace | ids if op == "add" else replace - ids
        elif op == "add":
            add |= ids
            remove -= ids
        else:
            remove |= ids
            add -= ids
    return MemberChange(
        replace=frozenset(replace) if replace is not None else None,
        add=frozenset(add), remove=frozenset(remove),
    )


class ScimGroup(_Adapter):
    """An org group as a SCIM Group. ``obj`` comes from ``orgs.selectors.group_list``; its
    member ids come from ``orgs.selectors.group_member_ids`` (one query for a whole page)."""

    resource_type = "Group"
    endpoint = "Groups"

    def __init__(self, obj: Group, request: Any = None) -> None:
        super().__init__(obj, request)
        self._name: str | None = None
        self._external_id: str | None = None
        self._members = MemberChange()
        self._change: Callable[[Group], GroupEdit] | None = None

    def to_dict(self, member_ids: list[Any] | None = None) -> dict[str, Any]:
        """The group; ``members`` only when ``member_ids`` is given."""
        g = self.obj
        group_id = str(g.pk)
        doc: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": group_id,
                               "displayName": g.display_name}
        if g.external_id:
            doc["externalId"] = g.external_id
        if member_ids is not None:
            users = f"{base_url()}/Users/"
            doc["members"] = [
                {"value": value, "$ref": users + value} for value in map(str, member_ids)
            ]
        doc["meta"] = self._meta(g.created_at, g.updated_at, group_id)
        return doc

    def from_dict(self, d: Any) -> None:
        """A POST or PUT body. Like Users, a PUT that leaves externalId or members out keeps
        them (Okta's PUT always sends members; one that omits them is not emptying the group)."""
        if not isinstance(d, dict):
            raise ScimError(400, "The body must be a Group object.", "invalidSyntax")
        if not self.obj._state.adding:
            self._check_id(d)
        check_schemas(d)
        _, name = pick(d, "displayName")
        name = coerce(GROUP.attribute(GROUP_SCHEMA, "displayName"), name, "displayName")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("displayName is required.")
        self._name = name.strip()
        found, external_id = pick(d, "externalId")
        external_id = coerce(GROUP.attribute(GROUP_SCHEMA, "externalId"), external_id,
                             "externalId")
        self._external_id = external_id if found else None
        found, members = pick(d, "members")
        if found and members is not None:
            self._members = MemberChange(replace=_member_uuids(member_ids(members)))

    def handle_operations(self, operations: list[dict[str, Any]]) -> None:
        """The operations run in ``save``, on the group as read under its row lock: only what
        they change is written, so a concurrent rename is never undone."""
        self._change = lambda group: self._patched(group, operations)

    def _patched(self, g: Group, operations: list[dict[str, Any]]) -> GroupEdit:
        current = {"displayName": g.display_name, "externalId": g.external_id or None,
                   "members": None}
        applier = PatchApplier(GROUP, current, self.id)
        new = applier.apply(operations)
        name = new.get("displayName")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("displayName is required.")
        external_id = new.get("externalId") or ""
        return GroupEdit(
            display_name=name.strip() if name.strip() != g.display_name else None,
            external_id=external_id if external_id != (g.external_id or "") else None,
            members=fold_member_ops(applier.member_ops),
        )

    def save(self) -> None:
        actor = self.context.actor
        if self.obj._state.adding:
            self.obj = provisioning.scim_group_create(
                organization=self.context.organization, display_name=self._name or "",
                external_id=self._external_id or "", actor=actor,
                member_ids=self._members.replace or (),
            )
            if not self._members.replace:
                self.obj.scim_member_ids = []  # created empty: nothing to read back
            return
        change = self._change or (lambda _: GroupEdit(  # a PUT: what its body says
            display_name=self._name, external_id=self._external_id, members=self._members))
        self.obj = provisioning.scim_group_update(group=self.obj, actor=actor, change=change)

    def delete(self) -> None:
        provisioning.scim_group_delete(group=self.obj, actor=self.context.actor)
