"""A SCIM answer is freed as soon as it is sent, by reference counting
(``config.drf_responses``). DRF's response refers to itself and its view to it; left as they
were, those cycles kept every rendered answer (a page of 100 Users: hundreds of lists and
dicts) alive until the garbage collector's next pass, which then cost a page that ran it
several milliseconds."""

from __future__ import annotations

import gc
import json

import pytest
from rest_framework.response import Response

from orgs.services import members_seed
from tests.scim.conftest import wsgi_request
from tests.scim.test_okta_aiw import OKTA_USER

pytestmark = pytest.mark.django_db


def drf_responses_left_after(method: str, path: str, token: str, *, query: str = "",
                             body: dict | None = None) -> tuple[int, list[Response]]:
    """The status of one request through the WSGI handler with bearer ``token``, and the DRF
    responses still in memory after it, with the garbage collector held off meanwhile."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
    data = b""
    if body is not None:
        headers["Content-Type"] = "application/scim+json"
        data = json.dumps(body).encode()
    gc.collect()
    gc.disable()
    try:
        response = wsgi_request(method, path, query=query, headers=headers, body=data)
        # type(), not isinstance(): a dead weak proxy among the objects raises on isinstance
        left = [o for o in gc.get_objects() if issubclass(type(o), Response)]
    finally:
        gc.enable()
    return response.status_code, left


def test_answers_are_freed_when_sent(org, token, actor):
    members_seed(organization=org, members=30, actor=actor)
    wsgi_request("GET", "/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    left = drf_responses_left_after
    assert left("GET", "/scim/v2/Users", token, query="startIndex=1&count=20") == (200, [])
    assert left("POST", "/scim/v2/Users", token, body=OKTA_USER) == (201, [])
    assert left("GET", "/scim/v2/Users/00000000-0000-0000-0000-000000000000",
                token) == (404, [])
