"""The SCIM base URL is worked out once, and again whenever its settings change."""

from __future__ import annotations

from scim.schemas import base_url


def test_the_base_url_follows_its_settings(settings):
    settings.BASE_URL = "https://roster.example/"
    assert base_url() == "https://roster.example/scim/v2"
    settings.BASE_URL = "https://other.example"
    assert base_url() == "https://other.example/scim/v2"
    settings.SCIM_PATH = "/scim/v3"
    assert base_url() == "https://other.example/scim/v3"
