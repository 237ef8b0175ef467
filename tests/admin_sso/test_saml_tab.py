"""The SAML tab, until the SAML setup screen replaces it: it says what is configured."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_saml_tab_says_what_is_configured(admin_client_, url, org, settings):
    settings.BASE_URL = "https://roster.example.com"
    response = admin_client_.get(url("sso_saml", org))
    html = response.content.decode()
    assert response.context["active_tab"] == "saml"
    assert org.saml_connection.idp_entity_id in html
    assert org.saml_connection.idp_sso_url in html
    assert "https://roster.example.com/sso/saml/acme/acs/" in html
    assert f'href="{url("sso_provisioning", org)}"' in html  # the tab bar
