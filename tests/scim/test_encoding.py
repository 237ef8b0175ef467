"""SCIM answers are compact UTF-8 JSON from orjson (``scim.encoding``), and what orjson
refuses is still encoded, as the standard library did."""

from __future__ import annotations

import json

import pytest

from scim.encoding import encode_json


@pytest.mark.parametrize("data", [
    {"big": 2**70, "negative": -(2**64)},  # beyond 64 bits
    {"name": "\ud800 lone"},  # a lone surrogate, which JSON's "\ud800" decodes to
    {1: "an integer key"},
])
def test_what_orjson_refuses_is_encoded_by_the_standard_library(data):
    encoded = encode_json(data)
    assert json.loads(encoded) == json.loads(json.dumps(data))


def test_an_answer_is_compact_utf8(scim, org):
    created = scim.post("/Users", {"userName": "zoe@example.com",
                                   "name": {"givenName": "Zoë", "familyName": "Ørsted"}})
    assert created.status_code == 201
    assert "Zoë".encode() in created.content and b"\\u00eb" not in created.content
    assert b'"givenName":"Zo\xc3\xab"' in created.content  # no spaces, no escapes
    page = scim.get("/Users?count=10")
    assert json.loads(page.content)["Resources"][0]["name"]["givenName"] == "Zoë"
    missing = scim.get("/Users/not-a-member")
    assert missing.status_code == 404
    assert missing.content.startswith(b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"]')
