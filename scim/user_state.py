"""A SCIM User's writable attributes as a plain dict ("state"), and its translation to and from
the domain's ``IdpUser``. Pure: PUT bodies, PATCH operations (``scim.patch``) and rendering all
go through the same two functions, ``user_state`` and ``idp_user_from_state``.
"""

from __future__ import annotations

import copy
from typing import Any

from scim.attributes import (
    PROFILE_ATTRIBUTES,
    USER,
    USER_OWN_ATTRIBUTES,
    check_schemas,
    coerce,
    pick,
)
from scim.errors import ScimError, bad_request
from scim.patch import PatchApplier
from scim.schemas import ENTERPRISE_SCHEMA, USER_SCHEMA
from scim.services.provisioning import IdpUser

# What a create may say about the member's groups. ``groups`` is read-only (changed through
# Groups), but a create naming some gets their mapped role; read as plain references.
_GROUP_REFERENCES = {
    "name": "groups", "type": "complex", "multiValued": True, "subAttributes": [
        {"name": name, "type": "string", "mutability": "readWrite"}
        for name in ("value", "display")
    ],
}
# Attributes a PUT that leaves them out keeps, rather than clears: the IdP's linkage and the
# member's state are not what a partial profile push means to change.
_KEPT_BY_PUT = ("externalId", "name", "emails", "active")


def kept(value: Any) -> Any:
    """``value`` without empty parts, or None when nothing is left: an IdP clearing an
    attribute sends ``null``, ``""`` or an emptied object, and GET then omits it."""
    if isinstance(value, dict):
        value = {k: v for k, v in ((k, kept(v)) for k, v in value.items()) if v is not None}
    elif isinstance(value, list):
        value = [v for v in map(kept, value) if v is not None]
    elif isinstance(value, str) and not value:
        return None
    return value if value or value is False else None


def _email_list(email: str) -> list[dict[str, Any]]:
    """The emails a member has when the IdP sent no list of its own."""
    return [{"value": email, "type": "work", "primary": True}]


def _same(value: Any) -> Any:
    return value


def user_state(user: IdpUser, *, copied: bool = True) -> dict[str, Any]:
    """The member's writable attributes in SCIM form (``None`` for an absent one). Its values
    are copies of the profile's, for a change to work on; ``copied=False`` shares them, for
    rendering only (a page of 100 users spent most of its rendering copying)."""
    profile = user.profile
    copy_of = copy.deepcopy if copied else _same
    name = {}
    if user.given_name:
        name["givenName"] = user.given_name
    if user.family_name:
        name["familyName"] = user.family_name
    if formatted := profile.get("name.formatted"):
        name["formatted"] = formatted
    emails = copy_of(profile["emails"]) if "emails" in profile else _email_list(user.email)
    state = {
        "userName": user.user_name,
        "externalId": user.external_id or None,
        "name": name or None,
        "displayName": user.display_name or None,
    }
    for key in PROFILE_ATTRIBUTES:
        value = profile.get(key)
        state[key] = copy_of(value) if value else None
    state["emails"] = emails or None
    state["active"] = user.active
    state[ENTERPRISE_SCHEMA] = copy_of(profile.get(ENTERPRISE_SCHEMA) or {})
    return state


def _chosen_email(emails: list[dict[str, Any]] | None) -> str:
    primary = next((e for e in emails or [] if e.get("primary") and e.get("value")), None)
    chosen = primary or next((e for e in emails or [] if e.get("value")), None)
    return chosen["value"].strip() if chosen else ""


def _user_name(state: dict[str, Any]) -> str:
    user_name = state.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise bad_request("userName must be a non-empty string.")
    return user_name.strip()


def _email(state: dict[str, Any], current_email: str) -> str:
    """The primary (else first) address; with none, ``current_email`` (an update keeps it) or
    an email-shaped userName."""
    email = _chosen_email(state["emails"]) or current_email
    if email:
        return email
    if "@" not in _user_name(state):
        raise bad_request("An email address is required: send emails or an email userName.")
    return _user_name(state)


def idp_user_from_state(state: dict[str, Any], *, current_email: str = "") -> IdpUser:
    """The member a state describes."""
    user_name = _user_name(state)
    email = _email(state, current_email)
    name = state["name"] or {}
    profile: dict[str, Any] = {}
    if state["emails"] != _email_list(email):
        # Kept only when the IdP's list says more than the one address, so the list a GET
        # shows is exactly the IdP's; removing every address is kept as an empty list.
        profile["emails"] = state["emails"] or []
    if name.get("formatted"):
        profile["name.formatted"] = name["formatted"]
    for key in PROFILE_ATTRIBUTES:
        value = kept(state[key])
        if value is not None:
            profile[key] = value
    enterprise = kept(state[ENTERPRISE_SCHEMA])
    if enterprise:
        profile[ENTERPRISE_SCHEMA] = enterprise
    return IdpUser(
        user_name=user_name, email=email, external_id=state["externalId"] or "",
        given_name=name.get("givenName", ""), family_name=name.get("familyName", ""),
        display_name=state["displayName"] or "", active=bool(state["active"]), profile=profile,
    )


def body_state(body: Any) -> dict[str, Any]:
    """A POST or PUT body as state; attributes it leaves out are ``None``. Attributes we do not
    keep (password, roles, meta …) are ignored, as RFC 7644 §3.3 allows."""
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a User object.", "invalidSyntax")
    check_schemas(body)
    state: dict[str, Any] = {}
    for name in (*USER_OWN_ATTRIBUTES, *PROFILE_ATTRIBUTES):
        found, value = pick(body, name)
        state[name] = coerce(USER.attribute(USER_SCHEMA, name), value, name) if found else None
    state[ENTERPRISE_SCHEMA] = _enterprise(body)
    if state["emails"] is not None:  # an address without its value is no address
        state["emails"] = [e for e in kept(state["emails"]) or [] if e.get("value")] or None
    if not isinstance(state["userName"], str) or not state["userName"].strip():
        raise bad_request("userName is required.")
    state["userName"] = state["userName"].strip()
    return state


def _enterprise(body: dict[str, Any]) -> dict[str, Any]:
    found, ext = pick(body, ENTERPRISE_SCHEMA)
    if not found or ext is None:
        return {}
    if not isinstance(ext, dict):
        raise bad_request(f"{ENTERPRISE_SCHEMA} must be an object.")
    enterprise: dict[str, Any] = {}
    for key, value in ext.items():
        try:
            attr = USER.attribute(ENTERPRISE_SCHEMA, key)
        except ScimError:
            continue  # not advertised, not kept
        coerced = kept(coerce(attr, value, attr["name"]))
        if coerced is not None:
            enterprise[attr["name"]] = coerced
    return enterprise


def created_user(state: dict[str, Any]) -> IdpUser:
    """The member a POST describes: active unless it says otherwise, and with no emails sent,
    their one address (an email-shaped userName)."""
    return idp_user_from_state({
        **state,
        "active": True if state["active"] is None else state["active"],
        "emails": state["emails"] or _email_list(_email(state, "")),
    })


def replaced_user(state: dict[str, Any], current: IdpUser) -> IdpUser:
    """The member after a PUT: what the body says, with what it may leave out kept."""
    old = user_state(current)
    new = {**state, **{k: old[k] for k in _KEPT_BY_PUT if state[k] is None}}
    return idp_user_from_state(new, current_email=current.email)


def patched_user(current: IdpUser, operations: list[dict[str, Any]], resource_id: str) -> IdpUser:
    """The member after a PATCH's operations, applied to their state."""
    new = PatchApplier(USER, user_state(current), resource_id).apply(operations)
    return idp_user_from_state(new, current_email=current.email)


def group_names(body: dict[str, Any]) -> list[str]:
    """The groups a create names (for their mapped role)."""
    _, groups = pick(body, "groups")
    groups = coerce(_GROUP_REFERENCES, groups, "groups") or []
    return [g["display"] for g in groups if g.get("display")]
