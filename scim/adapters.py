"""SCIM Users are ``orgs.Membership``s and SCIM Groups are ``orgs.Group``s.

The adapters follow django-scim2's adapter shape (``to_dict`` renders, ``from_dict``/
``handle_operations`` collect the requested change, ``save``/``delete`` apply it), but they
never write a model: ``save`` calls the ``orgs`` and ``scim`` services, so a change made by Okta
leaves the same audit trail and side effects as the same change made in the admin.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django_scim.adapters import SCIMMixin

from orgs import services as orgs_services
from orgs.exceptions import DomainError
from orgs.models import Group, Membership, MembershipSource
from scim.auth import ScimContext
from scim.errors import ScimError, bad_request, from_domain_error, not_found
from scim.patch import PatchApplier, Schema, coerce, member_ids
from scim.schemas import (
    ENTERPRISE_SCHEMA,
    GROUP_SCHEMA,
    USER_SCHEMA,
    base_url,
    enterprise_schema,
    group_schema,
    user_schema,
)
from scim.services import scim_profile_update

USER = Schema(user_schema(), [enterprise_schema()])
GROUP = Schema(group_schema())


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _pick(body: dict[str, Any], name: str) -> tuple[bool, Any]:
    """A body attribute by case-insensitive name (RFC 7643 §2.1)."""
    for key, value in body.items():
        if key.lower() == name.lower():
            return True, value
    return False, None


# Core User attributes kept only in the SCIM profile, under these names (Entra ID's default
# mappings and the rest of RFC 7643 §4.1's singular and address/phone attributes).
PROFILE_ATTRIBUTES = (
    "nickName", "profileUrl", "title", "userType", "preferredLanguage", "locale", "timezone",
    "phoneNumbers", "addresses",
)


def _kept(value: Any) -> Any:
    """``value`` without empty parts, or None when nothing is left: an IdP clearing an
    attribute sends ``null``, ``""`` or an emptied object, and GET then omits it."""
    if isinstance(value, dict):
        value = {k: v for k, v in ((k, _kept(v)) for k, v in value.items()) if v is not None}
    elif isinstance(value, list):
        value = [v for v in map(_kept, value) if v is not None]
    elif isinstance(value, str) and not value:
        return None
    return value if value or value is False else None


def _strip(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# What a create may say about the member's groups. ``groups`` is read-only (changed through
# Groups), but a create naming some gets their mapped role; read as plain references.
_GROUP_REFERENCES = {
    "name": "groups", "type": "complex", "multiValued": True, "subAttributes": [
        {"name": name, "type": "string", "mutability": "readWrite"}
        for name in ("value", "display")
    ],
}


def _check_schemas(body: dict[str, Any]) -> None:
    """``schemas`` is not read (the endpoint decides the resource type), but when sent it must
    be what RFC 7643 §3 says: a list of URIs."""
    found, schemas = _pick(body, "schemas")
    if found and schemas is not None and (
        not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas)
    ):
        raise ScimError(400, "schemas must be a list of schema URIs.", "invalidSyntax")


def _parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        raise bad_request(f"{value!r} is not a {what} of this organization.") from None


class _Adapter(SCIMMixin):
    schema: Schema
    resource_type = ""
    endpoint = ""

    def __init__(self, obj: Any, context: ScimContext) -> None:
        super().__init__(obj)
        self.context = context

    @property
    def id(self) -> str:
        return str(self.obj.pk)

    @property
    def location(self) -> str:
        return f"{base_url()}/{self.endpoint}/{self.id}"

    def _meta(self, created: Any, modified: Any) -> dict[str, str]:
        return {
            "resourceType": self.resource_type,
            "created": _iso(created),
            "lastModified": _iso(modified),
            "location": self.location,
        }

    def _run(self, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(actor=self.context.actor, **kwargs)
        except DomainError as exc:
            raise from_domain_error(exc) from exc


# --- Users ---------------------------------------------------------------------------------


class ScimUser(_Adapter):
    """A membership as a SCIM User. ``obj`` comes from ``orgs.selectors.membership_list`` with
    ``scim_profile`` joined, so rendering costs no query."""

    schema = USER
    resource_type = "User"
    endpoint = "Users"

    def _profile(self) -> Any:
        try:
            return self.obj.scim_profile
        except ObjectDoesNotExist:
            return None

    def _account_emails(self) -> list[dict[str, Any]]:
        return [{"value": self.obj.email, "type": "work", "primary": True}]

    def state(self) -> dict[str, Any]:
        """The writable attributes, in SCIM form."""
        m = self.obj
        profile = self._profile()
        extra = dict(profile.attributes) if profile else {}
        name = {
            "givenName": m.given_name, "familyName": m.family_name,
            "formatted": extra.get("name.formatted") or "",
        }
        name = {k: v for k, v in name.items() if v}
        emails = copy.deepcopy(extra["emails"]) if "emails" in extra else self._account_emails()
        return {
            "userName": m.scim_user_name or m.email,
            "externalId": m.external_id or None,
            "name": name or None,
            "displayName": (profile.display_name if profile else "") or None,
            **{key: copy.deepcopy(extra.get(key)) or None for key in PROFILE_ATTRIBUTES},
            "emails": emails or None,
            "active": m.is_active,
            ENTERPRISE_SCHEMA: copy.deepcopy(extra.get(ENTERPRISE_SCHEMA) or {}),
        }

    def to_dict(self) -> dict[str, Any]:
        m = self.obj
        state = self.state()
        enterprise = state.pop(ENTERPRISE_SCHEMA)
        doc: dict[str, Any] = {
            "schemas": [USER_SCHEMA] + ([ENTERPRISE_SCHEMA] if enterprise else []),
            "id": self.id,
        }
        doc.update({k: v for k, v in state.items() if v is not None})
        doc["groups"] = [
            {"value": str(g.pk), "$ref": f"{base_url()}/Groups/{g.pk}", "display": g.display_name}
            for g in m.groups.all()
        ]
        if enterprise:
            doc[ENTERPRISE_SCHEMA] = enterprise
        # A profile change stamps the member's updated_at too (scim_profile_update), so this
        # is what meta.lastModified filters compare, through an index.
        doc["meta"] = self._meta(m.created_at, m.updated_at)
        return doc

    # --- reading a body --------------------------------------------------------------------
    @classmethod
    def state_from_body(cls, body: dict[str, Any], current: dict[str, Any] | None) -> dict:
        """A full resource body (POST or PUT) as state. Attributes we do not keep (password,
        roles, groups, meta …) are ignored, as RFC 7644 §3.3 allows."""
        _check_schemas(body)
        state: dict[str, Any] = {}
        for name in ("userName", "externalId", "name", "displayName", "emails", "active",
                     *PROFILE_ATTRIBUTES):
            attr = cls.schema.attribute(USER_SCHEMA, name)
            found, value = _pick(body, name)
            state[name] = coerce(attr, value, name) if found else None
        found, ext = _pick(body, ENTERPRISE_SCHEMA)
        enterprise: dict[str, Any] = {}
        if found and ext is not None:
            if not isinstance(ext, dict):
                raise bad_request(f"{ENTERPRISE_SCHEMA} must be an object.")
            for key, value in ext.items():
                try:
                    attr = cls.schema.attribute(ENTERPRISE_SCHEMA, key)
                except ScimError:
                    continue  # not advertised, not kept
                coerced = _kept(coerce(attr, value, attr["name"]))
                if coerced is not None:
                    enterprise[attr["name"]] = coerced
        state[ENTERPRISE_SCHEMA] = enterprise
        if state["emails"] is not None:  # an address without its value is no address
            state["emails"] = [
                e for e in _kept(state["emails"]) or [] if e.get("value")
            ] or None  # none left: as if not sent (the account email stands for them)
        if not isinstance(state["userName"], str) or not state["userName"].strip():
            raise bad_request("userName is required.")
        state["userName"] = state["userName"].strip()
        if current is not None:
            # Linkage and account fields the IdP left out of a PUT are kept, not cleared.
            for name in ("externalId", "name", "emails", "active"):
                if state[name] is None:
                    state[name] = current[name]
        if state["active"] is None:
            state["active"] = True
        return state

    @staticmethod
    def email_from(state: dict[str, Any]) -> str:
        emails = state.get("emails") or []
        primary = next((e for e in emails if e.get("primary") and e.get("value")), None)
        chosen = primary or next((e for e in emails if e.get("value")), None)
        if chosen:
            return chosen["value"].strip()
        if "@" in state["userName"]:
            return state["userName"]
        raise bad_request("An email address is required: send emails or an email userName.")

    # --- writing ---------------------------------------------------------------------------
    @classmethod
    def create(cls, body: Any, context: ScimContext) -> Membership:
        if not isinstance(body, dict):
            raise ScimError(400, "The body must be a User object.", "invalidSyntax")
        state = cls.state_from_body(body, None)
        email = cls.email_from(state)
        _, groups = _pick(body, "groups")
        groups = coerce(_GROUP_REFERENCES, groups, "groups") or []
        group_names = [g["display"] for g in groups if g.get("display")]
        name = state["name"] or {}
        org = context.organization
        try:
            with transaction.atomic():
                role = orgs_services.role_for_new_member(organization=org, group_names=group_names)
                membership = orgs_services.membership_add(
                    organization=org, email=email, actor=context.actor,
                    first_name=name.get("givenName", ""), last_name=name.get("familyName", ""),
                    role=role, source=MembershipSource.SCIM, scim_user_name=state["userName"],
                    external_id=state["externalId"] or "", is_active=state["active"],
                    send_invitation=state["active"], action="scim.user.created",
                )
                adapter = cls(membership, context)
                initial = adapter.state()
                if state["emails"] is None:  # none sent: the account email stands for them
                    state["emails"] = initial["emails"]
                adapter._save_profile(initial, state)
        except DomainError as exc:
            raise from_domain_error(exc) from exc
        return membership

    def replace(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise ScimError(400, "The body must be a User object.", "invalidSyntax")
        self._check_id(body)
        with transaction.atomic():
            current = self._lock_and_read()
            self.save(current, self.state_from_body(body, current))

    def patch(self, body: Any) -> None:
        with transaction.atomic():
            current = self._lock_and_read()
            applier = PatchApplier(self.schema, current, self.id)
            new = applier.apply(body)
            self.save(current, new)

    def _lock_and_read(self) -> dict[str, Any]:
        """Lock the member's row, then read its state afresh: a PUT or PATCH writes the SCIM
        profile back whole, so two at once would otherwise lose one another's change."""
        locked = list(
            Membership.objects.select_for_update().filter(pk=self.obj.pk).values_list("pk")
        )
        fresh = (
            Membership.objects.select_related("scim_profile").filter(pk=self.obj.pk)
            .first() if locked else None
        )
        if fresh is None:  # deleted by a concurrent request
            raise not_found("User", str(self.id))
        self.obj = fresh
        return self.state()

    def _check_id(self, body: dict[str, Any]) -> None:
        found, value = _pick(body, "id")
        if found and value is not None and str(value) != self.id:
            raise ScimError(400, "id is read-only.", "mutability")

    def save(self, old: dict[str, Any], new: dict[str, Any]) -> None:  # type: ignore[override]
        """Apply the difference between two states through the services, atomically."""
        if not isinstance(new.get("userName"), str) or not new["userName"].strip():
            raise bad_request("userName must be a non-empty string.")
        m = self.obj
        old_name, new_name = old["name"] or {}, new["name"] or {}
        profile_changes: dict[str, Any] = {}
        if new["userName"] != old["userName"]:
            profile_changes["scim_user_name"] = new["userName"].strip()
        if (new["externalId"] or "") != (old["externalId"] or ""):
            profile_changes["external_id"] = new["externalId"] or ""
        for scim_key, field in (("givenName", "first_name"), ("familyName", "last_name")):
            if new_name.get(scim_key, "") != old_name.get(scim_key, ""):
                profile_changes[field] = new_name.get(scim_key, "")
        if new["emails"] and new["emails"] != old["emails"]:
            email = self.email_from(new)
            if email != m.email:  # the address the org knows them by; never the account's
                profile_changes["email"] = email
        try:
            with transaction.atomic():
                if profile_changes:
                    self.obj = m = orgs_services.membership_update_profile(
                        membership=m, actor=self.context.actor, action="scim.user.updated",
                        **profile_changes,
                    )
                if new["active"] is not None and new["active"] != old["active"]:
                    service = (
                        orgs_services.membership_reactivate if new["active"]
                        else orgs_services.membership_deactivate
                    )
                    action = "scim.user.reactivated" if new["active"] else "scim.user.deactivated"
                    service(membership=m, actor=self.context.actor, action=action)
                self._save_profile(old, new)
        except DomainError as exc:
            raise from_domain_error(exc) from exc

    def _save_profile(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        keys = ("displayName", "emails", ENTERPRISE_SCHEMA, *PROFILE_ATTRIBUTES)
        old_formatted = (old["name"] or {}).get("formatted")
        new_formatted = (new["name"] or {}).get("formatted")
        if all(old[k] == new[k] for k in keys) and old_formatted == new_formatted:
            return
        attributes: dict[str, Any] = {}
        if new["emails"] != self._account_emails():
            # Kept only when the IdP's list differs from the account email, so a member whose
            # IdP sends just that address keeps following the account if an admin changes it.
            attributes["emails"] = new["emails"] or []
        if new_formatted:
            attributes["name.formatted"] = new_formatted
        for key in PROFILE_ATTRIBUTES:
            value = _kept(new[key])
            if value is not None:
                attributes[key] = value
        enterprise = _kept(new[ENTERPRISE_SCHEMA])
        if enterprise:
            attributes[ENTERPRISE_SCHEMA] = enterprise
        scim_profile_update(
            membership=self.obj, actor=self.context.actor,
            display_name=new["displayName"] or "", attributes=attributes,
        )

    def delete(self) -> None:
        self._run(orgs_services.membership_remove, membership=self.obj, action="scim.user.deleted")


# --- Groups --------------------------------------------------------------------------------


def _apply_group_role_mappings(group: Group, added: set, actor: Any) -> None:
    """Members a push just added may get a mapped group's role (the rule and its limits are in
    ``orgs.services.memberships_apply_group_role_mappings``)."""
    if added:
        orgs_services.memberships_apply_group_role_mappings(
            organization=group.organization, membership_ids=added, actor=actor,
            action="scim.user.role_changed",
        )


class ScimGroup(_Adapter):
    """An org group as a SCIM Group. ``obj`` comes from ``orgs.selectors.group_list``; its
    member ids come from ``orgs.selectors.group_member_ids`` (one query for a whole page)."""

    schema = GROUP
    resource_type = "Group"
    endpoint = "Groups"

    def to_dict(self, member_ids: list[Any] | None = None) -> dict[str, Any]:
        """The group; ``members`` only when ``member_ids`` is given."""
        g = self.obj
        doc: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": self.id,
                               "displayName": g.display_name}
        if g.external_id:
            doc["externalId"] = g.external_id
        if member_ids is not None:
            users = f"{base_url()}/Users/"
            doc["members"] = [
                {"value": value, "$ref": users + value} for value in map(str, member_ids)
            ]
        doc["meta"] = self._meta(g.created_at, g.updated_at)
        return doc

    @staticmethod
    def _member_uuids(ids: list[str], *, removing: bool = False) -> set[uuid.UUID]:
        """Member ids as UUIDs. An id that cannot be ours is refused when adding, but removing
        it removes nothing (removing an absent member is not an error)."""
        if removing:
            out = set()
            for i in ids:
                try:
                    out.add(uuid.UUID(str(i)))
                except ValueError:
                    continue
            return out
        return {_parse_uuid(i, "member") for i in ids}

    @classmethod
    def create(cls, body: Any, context: ScimContext) -> Group:
        if not isinstance(body, dict):
            raise ScimError(400, "The body must be a Group object.", "invalidSyntax")
        name, external_id, members = cls._fields_from_body(body)
        if not name:
            raise bad_request("displayName is required.")
        try:
            with transaction.atomic():
                group = orgs_services.group_create(
                    organization=context.organization, display_name=name,
                    external_id=external_id or "", actor=context.actor,
                    action="scim.group.created",
                )
                if members:
                    added, _ = orgs_services.group_set_members(
                        group=group, actor=context.actor, memberships=members,
                        action="scim.group.members_changed",
                    )
                    _apply_group_role_mappings(group, added, context.actor)
        except DomainError as exc:
            raise from_domain_error(exc) from exc
        return group

    @classmethod
    def _fields_from_body(cls, body: dict[str, Any]) -> tuple[str, str | None, set | None]:
        _check_schemas(body)
        _, name = _pick(body, "displayName")
        name = coerce(cls.schema.attribute(GROUP_SCHEMA, "displayName"), name, "displayName")
        found_ext, external_id = _pick(body, "externalId")
        external_id = coerce(cls.schema.attribute(GROUP_SCHEMA, "externalId"), external_id,
                             "externalId")
        found_members, members = _pick(body, "members")
        uuids = None
        if found_members and members is not None:
            uuids = cls._member_uuids(member_ids(members))
        return _strip(name), external_id if found_ext else None, uuids

    def replace(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise ScimError(400, "The body must be a Group object.", "invalidSyntax")
        found, value = _pick(body, "id")
        if found and value is not None and str(value) != self.id:
            raise ScimError(400, "id is read-only.", "mutability")
        name, external_id, members = self._fields_from_body(body)
        if not name:
            raise bad_request("displayName is required.")
        # Like Users, a PUT that leaves externalId or members out keeps them (Okta's PUT always
        # sends members; a client that omits them is not asking to empty the group).
        self._apply(name, external_id, [("replace", members)] if members is not None else [])

    def patch(self, body: Any) -> None:
        g = self.obj
        current = {"displayName": g.display_name, "externalId": g.external_id or None,
                   "members": None}
        applier = PatchApplier(self.schema, current, self.id)
        new = applier.apply(body)
        ops = [(op, self._member_uuids(ids, removing=op == "remove"))
               for op, ids in applier.member_ops]
        name = new.get("displayName")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("displayName is required.")
        # Only what the operations changed is written: the rest was read before the group's
        # row lock, and writing it back would undo a concurrent rename.
        external_id = new.get("externalId") or ""
        self._apply(
            name.strip() if name.strip() != current["displayName"] else None,
            external_id if external_id != (current["externalId"] or "") else None,
            ops,
        )

    def _apply(
        self, name: str | None, external_id: str | None, member_ops: list[tuple[str, set]]
    ) -> None:
        """Rename and change members in one transaction; member changes are deltas applied
        under the group's row lock, so concurrent PATCHes do not undo each other."""
        replace: set | None = None
        add: set = set()
        remove: set = set()
        for op, ids in member_ops:
            if op == "replace":
                replace, add, remove = set(ids), set(), set()
            elif op == "add":
                if replace is not None:
                    replace |= ids
                else:
                    add |= ids
                    remove -= ids
            elif replace is not None:
                replace -= ids
            else:
                remove |= ids
                add -= ids
        actor = self.context.actor
        try:
            with transaction.atomic():
                self.obj = orgs_services.group_update(
                    group=self.obj, actor=actor, display_name=name, external_id=external_id,
                    action="scim.group.updated",
                )
                added: set = set()
                if replace is not None:
                    added, _ = orgs_services.group_set_members(
                        group=self.obj, actor=actor, memberships=replace,
                        action="scim.group.members_changed",
                    )
                elif add or remove:
                    added, _ = orgs_services.group_change_members(
                        group=self.obj, actor=actor, add=add, remove=remove,
                        action="scim.group.members_changed",
                    )
                _apply_group_role_mappings(self.obj, added, actor)
        except DomainError as exc:
            raise from_domain_error(exc) from exc

    def delete(self) -> None:
        self._run(orgs_services.group_delete, group=self.obj, action="scim.group.deleted")
