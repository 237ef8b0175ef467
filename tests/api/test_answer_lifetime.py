"""The REST API's answers are freed when sent, as SCIM's are (``config.drf_responses``)."""

from __future__ import annotations

import pytest

from tests.scim.test_answer_lifetime import drf_responses_left_after

pytestmark = pytest.mark.django_db


def test_api_answers_are_freed_when_sent(admin_key, org):
    members = f"/api/v1/organizations/{org.slug}/members"
    assert drf_responses_left_after("GET", members, admin_key) == (200, [])
    assert drf_responses_left_after("GET", f"{members}/nobody", admin_key) == (404, [])
