"""The reads an IdP repeats compile no SQL after their first time on a connection
(``config.prepared_queries``): a userName or externalId lookup, the Test Connector, GET, PUT
and PATCH of a user, a group push. A read that silently fell back to the ORM (a value of an
unexpected type, a builder whose SQL stopped following its arguments) fails here."""

from __future__ import annotations

import pytest

from tests.scim.conftest import PATCH_OP, scim_body
from tests.scim.test_okta_aiw import OKTA_USER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cache_in_memory")]


def test_repeated_idp_reads_compile_no_select(scim, select_compilations):
    user = scim_body(scim.post("/Users", OKTA_USER))
    group = scim_body(scim.post("/Groups", {"displayName": "Eng", "members": []}))
    uid, gid = user["id"], group["id"]

    def requests() -> None:
        for path in ('/Users?filter=userName eq "SOMEONE@example.com"&startIndex=1&count=100',
                     f'/Users?filter=userName eq "{OKTA_USER["userName"].upper()}"',
                     f'/Users?filter=externalId eq "{OKTA_USER["externalId"]}"',
                     "/Users?startIndex=1&count=2", f"/Users/{uid}"):
            assert scim.get(path).status_code == 200, path
        body = scim_body(scim.get(f"/Users/{uid}"))
        body["title"] = "Engineer" if body.get("title") != "Engineer" else "Lead"
        assert scim.put(f"/Users/{uid}", body).status_code == 200
        for active in (False, True):
            assert scim.patch(f"/Users/{uid}", {"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "value": {"active": active}}]}).status_code == 200
        assert scim.patch(f"/Groups/{gid}", {"schemas": [PATCH_OP], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": uid}]}]}).status_code == 200

    requests()  # the first time on this connection: compiled, then kept
    select_compilations.clear()
    requests()
    assert select_compilations == []
