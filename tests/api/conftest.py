"""API test helpers: keys for the admins of ``org`` and ``other_org``, and a client that sends
them the way a script does (``Authorization: Bearer``, JSON bodies)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from api.services import api_key_create
from orgs.audit import Actor
from orgs.models import Role
from orgs.services import membership_change_role
from tests.factories import AdminMembershipFactory, UserFactory

BASE = "/api/v1"


@dataclass
class ApiClient:
    client: Client
    key: str | None = None

    def _headers(self, extra: dict[str, Any]) -> dict[str, Any]:
        headers = {"HTTP_USER_AGENT": "roster-api-tests"}
        if self.key is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.key}"
        return headers | extra

    def get(self, path: str, data: dict[str, Any] | None = None, **extra: Any):
        return self.client.get(BASE + path, data, **self._headers(extra))

    def _send(self, method: str, path: str, body: Any, raw: str | bytes | None, **extra: Any):
        payload = raw if raw is not None else ("" if body is None else json.dumps(body))
        content_type = extra.pop("content_type", "application/json")
        return getattr(self.client, method)(BASE + path, payload, content_type=content_type,
                                            **self._headers(extra))

    def post(self, path: str, body: Any = None, raw: str | bytes | None = None, **extra: Any):
        return self._send("post", path, body, raw, **extra)

    def patch(self, path: str, body: Any = None, raw: str | bytes | None = None, **extra: Any):
        return self._send("patch", path, body, raw, **extra)

    def delete(self, path: str, **extra: Any):
        return self.client.delete(BASE + path, **self._headers(extra))

    def request(self, method: str, path: str, body: Any = None):
        if method == "get":
            return self.get(path)
        if method == "delete":
            return self.delete(path)
        return self._send(method, path, body, None)


def make_key(user, *, organization=None, orgs=(), **kwargs: Any) -> str:
    allowed = None if user.is_superuser else {o.pk for o in orgs or [organization]}
    return api_key_create(user=user, actor=Actor.system(), allowed_org_ids=allowed,
                          organization=organization, **kwargs).plaintext


def error(code: str, message: str | None = None, fields: dict | None = None):
    """Matches an error body: the exact code, the message when given, the fields when given."""
    return _Error(code, message, fields)


@dataclass
class _Error:
    code: str
    message: str | None
    fields: dict | None

    def __eq__(self, body: object) -> bool:
        if not isinstance(body, dict) or set(body) != {"error"}:
            return False
        err = body["error"]
        return (
            set(err) == {"code", "message", "fields"}
            and err["code"] == self.code
            and isinstance(err["message"], str) and err["message"] != ""
            and (self.message is None or err["message"] == self.message)
            and (self.fields is None or err["fields"] == self.fields)
        )


@pytest.fixture(autouse=True)
def generous_api_rate(settings):
    """The throttling tests set the budget they test."""
    settings.API_RATE_LIMIT = ""


@pytest.fixture
def admin_key(org_admin) -> str:
    return make_key(org_admin.user, orgs=[org_admin.organization], description="deploy")


@pytest.fixture
def api(admin_key) -> ApiClient:
    """A client with a key of an active admin of ``org`` (Acme)."""
    return ApiClient(Client(), admin_key)


@pytest.fixture
def other_admin(other_org):
    return AdminMembershipFactory(organization=other_org)


@pytest.fixture
def other_api(other_admin) -> ApiClient:
    """A client with a key of an admin of ``other_org`` (Globex) only."""
    return ApiClient(Client(), make_key(other_admin.user, orgs=[other_admin.organization]))


@pytest.fixture
def member_api(org, org_admin) -> ApiClient:
    """A key whose owner was an admin of ``org`` when they made it, and is now a member."""
    membership = AdminMembershipFactory(organization=org)
    key = make_key(membership.user, orgs=[org])
    membership_change_role(membership=membership, role=Role.MEMBER, actor=Actor.system())
    return ApiClient(Client(), key)


@pytest.fixture
def superuser_api(db) -> ApiClient:
    user = UserFactory(is_staff=True, is_superuser=True)
    return ApiClient(Client(), make_key(user))


@pytest.fixture
def anonymous_api() -> ApiClient:
    return ApiClient(Client())
