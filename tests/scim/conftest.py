"""SCIM test helpers: a token for ``org`` (and ``other_org``) and a client that talks like Okta."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from orgs.audit import Actor
from scim.services import scim_token_create

OKTA_UA = "Okta SCIM Client 1.0.0"
BASE = "/scim/v2"


@dataclass
class ScimClient:
    """Sends requests with Okta's headers: bearer token, SCIM media types, Okta's User-Agent."""

    client: Client
    token: str
    user_agent: str = OKTA_UA
    content_type: str = "application/scim+json; charset=utf-8"

    def _headers(self) -> dict[str, str]:
        return {
            "HTTP_AUTHORIZATION": f"Bearer {self.token}",
            "HTTP_ACCEPT": "application/scim+json",
            "HTTP_USER_AGENT": self.user_agent,
        }

    def get(self, path: str, **extra: Any):
        return self.client.get(BASE + path, **self._headers(), **extra)

    def _send(self, method: str, path: str, body: Any, raw: bytes | str | None = None):
        data = raw if raw is not None else json.dumps(body)
        return getattr(self.client, method)(
            BASE + path, data=data, content_type=self.content_type, **self._headers()
        )

    def post(self, path: str, body: Any = None, raw: bytes | str | None = None):
        return self._send("post", path, body, raw)

    def put(self, path: str, body: Any = None, raw: bytes | str | None = None):
        return self._send("put", path, body, raw)

    def patch(self, path: str, body: Any = None, raw: bytes | str | None = None):
        return self._send("patch", path, body, raw)

    def delete(self, path: str):
        return self.client.delete(BASE + path, **self._headers())


@dataclass
class WsgiResponse:
    status_code: int
    headers: dict[str, str]  # lower-cased names
    content: bytes

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]


def wsgi_request(method: str, path: str, *, query: str = "", body: bytes = b"",
                 headers: dict[str, str] | None = None) -> WsgiResponse:
    """One request through ``config.wsgi.application`` as a WSGI server makes it. The test
    client builds Django's own ``WSGIRequest`` and so skips what the entry point's handler does
    (``config.handlers``). ``headers`` are HTTP names (``Content-Type``, ``Authorization``)."""
    from config.wsgi import application

    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "",
        "PATH_INFO": path.encode("utf-8").decode("latin-1"), "QUERY_STRING": query,
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(), "wsgi.multithread": False, "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    started: list[tuple[str, list[tuple[str, str]]]] = []
    # As the test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, lambda status, hs, exc_info=None: started.append(
            (status, hs)))
        try:
            content = b"".join(result)
        finally:
            result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    status, header_list = started[0]
    return WsgiResponse(int(status.split()[0]), {k.lower(): v for k, v in header_list},
                        content)


@pytest.fixture
def token(org) -> str:
    return scim_token_create(organization=org, actor=Actor.system(), description="Okta").plaintext


@pytest.fixture
def other_token(other_org) -> str:
    return scim_token_create(
        organization=other_org, actor=Actor.system(), description="Globex Okta"
    ).plaintext


@pytest.fixture
def scim(client, token) -> ScimClient:
    return ScimClient(client, token)


@pytest.fixture
def other_scim(other_token) -> ScimClient:
    return ScimClient(Client(), other_token)


def scim_body(response) -> dict[str, Any]:
    """The JSON of a SCIM response, after checking its media type."""
    assert response["Content-Type"].startswith("application/scim+json"), response["Content-Type"]
    return json.loads(response.content)


def error(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": str(status),
    }
    if scim_type:
        body["scimType"] = scim_type
    body["detail"] = detail
    return body


class Iso:
    """Matches any ISO 8601 UTC timestamp string, for exact-JSON assertions on ``meta``."""

    def __eq__(self, other: object) -> bool:
        import re

        return isinstance(other, str) and bool(
            re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", other)
        )

    def __repr__(self) -> str:
        return "<ISO timestamp>"


ISO = Iso()
LOCATION = "http://127.0.0.1:8000/scim/v2"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def meta(kind: str, resource_id: str) -> dict[str, Any]:
    endpoint = "Users" if kind == "User" else "Groups"
    return {
        "resourceType": kind, "created": ISO, "lastModified": ISO,
        "location": f"{LOCATION}/{endpoint}/{resource_id}",
    }


def list_response(resources: list[dict[str, Any]], total: int | None = None,
                  start: int = 1) -> dict[str, Any]:
    return {
        "schemas": [LIST], "totalResults": len(resources) if total is None else total,
        "startIndex": start, "itemsPerPage": len(resources), "Resources": resources,
    }


@pytest.fixture(autouse=True)
def _base_url(settings):
    """Locations in exact-JSON assertions are built on this BASE_URL."""
    settings.BASE_URL = "http://127.0.0.1:8000"
