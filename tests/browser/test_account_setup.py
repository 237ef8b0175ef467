"""A SCIM-provisioned member's first login, in Chromium: SAML POST to the live server's ACS,
account setup with WebCrypto, then proof that the server holds only a wrapped key that the
right passphrase (and only it) unwraps in the browser."""

from __future__ import annotations

import base64
import datetime as dt
import html
import os
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_private_key, load_der_public_key

from orgs.models import AuditEvent, MembershipSource, MembershipStatus
from sso import saml
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.sso.conftest import connect
from tests.sso.idp import TestIdP, encode

PASSPHRASE = "plum tunnel orbit quietly 42"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

UNWRAP_JS = """
async ([wrappedB64, params, publicB64, passphrase]) => {
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const subtle = crypto.subtle;
  const material = await subtle.importKey("raw", new TextEncoder().encode(passphrase),
                                          "PBKDF2", false, ["deriveKey"]);
  const kek = await subtle.deriveKey(
    {name: "PBKDF2", hash: params.hash, salt: bytes(params.salt), iterations: params.iterations},
    material, {name: "AES-GCM", length: 256}, false, ["unwrapKey"]);
  let privateKey;
  try {
    privateKey = await subtle.unwrapKey("pkcs8", bytes(wrappedB64), kek,
      {name: "AES-GCM", iv: bytes(params.iv)}, {name: "ECDH", namedCurve: "P-256"}, true,
      ["deriveBits"]);
  } catch (err) {
    return {ok: false, error: err.name};
  }
  const priv = await subtle.exportKey("jwk", privateKey);
  const pub = await subtle.exportKey("jwk", await subtle.importKey(
    "spki", bytes(publicB64), {name: "ECDH", namedCurve: "P-256"}, true, []));
  const pkcs8 = new Uint8Array(await subtle.exportKey("pkcs8", privateKey));
  return {ok: true, matches: priv.x === pub.x && priv.y === pub.y && !!priv.d,
          raw: {pkcs8: btoa(String.fromCharCode(...pkcs8)), d: priv.d}};
}
"""


def docs_screenshot(page, name: str) -> None:
    """A small PNG for the README (docs/screenshots/), written only when
    ROSTER_DOCS_SCREENSHOTS is set so ordinary runs leave the committed files alone."""
    if not os.environ.get("ROSTER_DOCS_SCREENSHOTS"):
        return
    DOCS.mkdir(parents=True, exist_ok=True)
    page.locator("main").screenshot(path=str(DOCS / f"{name}.png"))


def post_to_acs(page, acs_url: str, saml_response: str) -> None:
    """Do what Okta's page does: auto-submit a form to our ACS, cross-site."""
    page.set_content(
        f'<form id="saml" method="post" action="{html.escape(acs_url)}">'
        f'<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response)}">'
        "</form>"
    )
    page.evaluate("document.getElementById('saml').submit()")


@pytest.mark.django_db(transaction=True)
def test_provisioned_member_sets_up_their_account(page, live_server, settings, screenshot):
    settings.BASE_URL = live_server.url
    idp = TestIdP()
    org = OrganizationFactory(name="Acme", slug="acme", scim_enabled=True)
    connect(org, idp)
    membership = MembershipFactory(
        organization=org, user=UserFactory(email="new.hire@okta.local", first_name="Nia"),
        status=MembershipStatus.INVITED, source=MembershipSource.SCIM,
    )
    response_xml = idp.response_xml(
        email="new.hire@okta.local", acs_url=saml.acs_url(org), audience=saml.sp_entity_id(org),
        first_name="Nia", last_name="Hire",
    )

    post_to_acs(page, saml.acs_url(org), encode(response_xml))
    page.wait_for_url("**/account/setup/")
    assert "Set up your account" in page.text_content("h1")
    screenshot(page, "setup")

    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.fill("#passphrase", "too short")
    page.fill("#passphrase-confirm", "too short")
    page.click("#setup-submit")
    assert "at least 12 characters" in page.text_content("#client-error")
    assert posts == []  # a weak passphrase never leaves the page as a key either
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#passphrase-confirm", PASSPHRASE + " typo")
    page.click("#setup-submit")
    assert "differ" in page.text_content("#client-error")
    page.fill("#passphrase-confirm", PASSPHRASE)
    assert not page.is_visible("#client-error")
    docs_screenshot(page, "account-setup")
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/account/setup/")
    ) as sent:
        page.click("#setup-submit")
    page.wait_for_url("**/account/")
    # What the browser actually sent: exactly the three key fields and the CSRF token.
    body = sent.value.post_data or ""
    form = parse_qs(body, keep_blank_values=True, strict_parsing=True)
    assert sorted(form) == [
        "csrfmiddlewaretoken", "encrypted_private_key", "key_derivation", "public_key",
    ]
    assert all(len(values) == 1 for values in form.values())
    for secret in (PASSPHRASE, quote_plus(PASSPHRASE), quote(PASSPHRASE)):
        assert secret not in body
    assert "Acme" in page.text_content("#organizations")
    screenshot(page, "account")
    docs_screenshot(page, "account-page")

    user = membership.user
    user.refresh_from_db()
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACCEPTED
    assert AuditEvent.objects.filter(action="membership.accepted", target_id=str(membership.pk))
    assert user.setup_completed_at is not None
    # The public key is a valid SPKI P-256 key; the stored private key is not a private key.
    public = load_der_public_key(base64.b64decode(user.public_key))
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    wrapped = base64.b64decode(user.encrypted_private_key)
    with pytest.raises(ValueError):
        load_der_private_key(wrapped, password=None)
    assert user.key_derivation["iterations"] >= 600_000
    assert PASSPHRASE not in str(user.key_derivation)
    assert PASSPHRASE.encode() not in wrapped

    args = [user.encrypted_private_key, user.key_derivation, user.public_key]
    right = page.evaluate(UNWRAP_JS, [*args, PASSPHRASE])
    raw = right.pop("raw")
    assert right == {"ok": True, "matches": True}
    # The raw private key (PKCS8, or its JWK scalar) was neither sent nor stored.
    sent_values = " ".join(v for values in form.values() for v in values)
    for secret in (raw["pkcs8"], raw["pkcs8"][:40], raw["d"]):
        assert secret not in body and secret not in sent_values
        assert secret not in user.encrypted_private_key and secret not in user.public_key
    assert base64.b64decode(raw["pkcs8"]) not in wrapped
    wrong = page.evaluate(UNWRAP_JS, [*args, PASSPHRASE + "!"])
    assert wrong == {"ok": False, "error": "OperationError"}


@pytest.mark.django_db(transaction=True)
def test_refused_login_shows_a_clear_page(page, live_server, settings, screenshot):
    settings.BASE_URL = live_server.url
    idp = TestIdP()
    org = OrganizationFactory(name="Acme", slug="acme")
    connect(org, idp)
    MembershipFactory(
        organization=org, is_active=False,
        user=UserFactory(email="leaver@okta.local", setup_completed_at=dt.datetime.now(dt.UTC)),
    )
    response_xml = idp.response_xml(
        email="leaver@okta.local", acs_url=saml.acs_url(org), audience=saml.sp_entity_id(org)
    )

    post_to_acs(page, saml.acs_url(org), encode(response_xml))

    page.wait_for_selector("#refusal")
    assert "access to this organization has been removed" in page.text_content("#refusal")
    screenshot(page, "refused")
    docs_screenshot(page, "sso-refused")
