"""Request ids and JSON log lines: every request gets an id (the caller's when well-formed),
echoed in the response and carried by each log line; a SCIM token never reaches a log."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.test import Client

from config.logs import JsonFormatter, TextFormatter, mask_secrets
from config.request_context import (
    get_request_context,
    request_context,
    set_request_context,
)
from orgs.models import AuditEvent
from tests.scim.conftest import ScimClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """Everything logged during the test, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_every_response_carries_a_request_id(client):
    generated = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/healthz")["X-Request-ID"] != generated
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.01:x")["X-Request-ID"] == (
        "lb-7f3a.01:x")
    for bad in ("has space", "x" * 65, '{"level":"forged"}', ""):
        echoed = client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", echoed), bad


def test_a_log_line_is_json_with_the_request_id(client, log_lines):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-404")
    assert response.status_code == 404
    [line] = [x for x in log_lines() if x["logger"] == "django.request"]
    assert line["message"] == "Not Found: /no-such-page/"
    assert (line["level"], line["request_id"]) == ("warning", "req-404")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    assert get_request_context() == {}  # nothing leaks into the next request


def test_the_audit_event_has_the_request_id_of_the_log_lines(client, token, org):
    scim = ScimClient(Client(), token)
    response = scim.post("/Users", {"userName": "jane@acme.example"})
    assert response.status_code == 201
    event = AuditEvent.objects.get(action="scim.user.created")
    assert event.request_id == response["X-Request-ID"]


def test_a_scim_token_never_reaches_a_log_line(client, token, org, log_lines):
    wrong = "rst_scim_" + "Q" * 43
    clients = [ScimClient(Client(), token), ScimClient(Client(), wrong),
               ScimClient(Client(), f"Bearer {token}")]  # "Bearer Bearer ..." pasted into Okta
    statuses = [c.get("/Users?count=1").status_code for c in clients]
    statuses.append(clients[0].post("/Users", raw="{not json").status_code)
    assert statuses == [200, 401, 401, 400]
    logging.getLogger("roster.test").warning("a careless line: Authorization: Bearer %s", token)
    lines = log_lines()
    assert any(x["message"].startswith("Unauthorized: /scim/v2/Users") for x in lines)
    output = json.dumps(lines)
    assert token not in output and wrong not in output
    assert token[15:] not in output and wrong[15:] not in output
    assert lines[-1]["message"] == "a careless line: Authorization: Bearer [masked]"


def test_the_context_names_the_org_and_only_the_token_prefix(org, token):
    record = logging.LogRecord("scim", logging.INFO, __file__, 1, "provisioned", (), None)
    with request_context(request_id="req-1"):
        set_request_context(org=org, token_prefix=token)  # a slip: the whole token
        line = json.loads(JsonFormatter().format(record))
        text = TextFormatter().format(record)
    assert (line["request_id"], line["org"], line["token_prefix"]) == (
        "req-1", "acme", token[:15])
    assert text.endswith(f"provisioned [request_id=req-1 org=acme token_prefix={token[:15]}]")
    assert get_request_context() == {}


def test_masking_keeps_a_token_prefix_and_ordinary_words():
    token = "rst_scim_" + "a1B2c3" + "x" * 37
    assert mask_secrets(f"got {token}.") == "got rst_scim_a1B2c3…[masked]."
    assert mask_secrets("Authorization: Basic dXNlcjpwYXNzd29yZA==") == (
        "Authorization: Basic [masked]")
    assert mask_secrets("Missing bearer token in the request") == (
        "Missing bearer token in the request")
