"""Acceptance 2: scim2-tester runs every check it has against a live Roster server.

The checks read our discovery endpoints (ServiceProviderConfig, ResourceTypes, Schemas), build
the User and Group models from what we advertise, then create, read, list, search, replace,
patch (add/replace/remove on every advertised attribute) and delete resources over HTTP.
Any ERROR or CRITICAL result fails the test, with every result printed.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import Status, check_server
from scim2_tester.checkers import core_schemas_validation
from scim2_tester.utils import CheckConfig, CheckContext

from orgs.audit import Actor
from scim.services import scim_token_create
from tests.factories import OrganizationFactory, SamlConnectionFactory

pytestmark = pytest.mark.django_db(transaction=True)

BAD = {Status.ERROR, Status.CRITICAL}


def _over_http(server_url: str):
    """A WSGI callable that forwards each request over real HTTP to the live server.

    scim2-client's network engine needs ``httpx2``, which is not a dependency of ours; its
    stdlib WSGI engine plus this forwarder gives the same thing: every request the checks make
    goes through a socket to ``live_server``, the way Okta's would.
    """
    target = urlsplit(server_url)

    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items() if key.startswith("HTTP_") and key != "HTTP_HOST"
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        path = environ["PATH_INFO"]
        if environ.get("QUERY_STRING"):
            path = f"{path}?{environ['QUERY_STRING']}"
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            conn.request(environ["REQUEST_METHOD"], path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            start_response(
                f"{response.status} {response.reason}",
                [(k, v) for k, v in response.getheaders()
                 if k.lower() not in ("connection", "transfer-encoding")],
            )
        finally:
            conn.close()
        return [content]

    return app


def _report(results) -> str:
    lines = []
    for r in results:
        where = f"[{r.resource_type}] " if r.resource_type else ""
        lines.append(f"{r.status.name:10} {where}{r.title}: {r.reason or ''}".rstrip())
    return "\n".join(lines)


def test_scim2_tester_reports_no_error(live_server, settings):
    settings.BASE_URL = live_server.url
    org = OrganizationFactory(name="Tester", slug="tester", scim_enabled=True)
    SamlConnectionFactory(organization=org)
    token = scim_token_create(organization=org, actor=Actor.system(), description="tester")
    client = WSGISCIMClient(
        _over_http(live_server.url),
        base_url=f"{live_server.url}/scim/v2",
        headers={"Authorization": f"Bearer {token.plaintext}"},
    )

    results = check_server(client, resource_types=["User", "Group"])
    # Not run by check_server's orchestration, but one of its checks: run it too.
    context = CheckContext(client, CheckConfig())
    results += core_schemas_validation(context)

    report = _report(results)
    print(report)
    bad = [r for r in results if r.status in BAD]
    assert not bad, f"scim2-tester reported {len(bad)} failing checks:\n{report}"
    ran = {r.resource_type for r in results if r.resource_type}
    assert {"User", "Group"} <= ran, report
    # Nothing is skipped either: every check scim2-tester 0.5.2 has ran and passed.
    skipped = [r for r in results if r.status == Status.SKIPPED]
    assert not skipped, f"scim2-tester skipped {len(skipped)} checks:\n{report}"
