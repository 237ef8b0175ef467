"""A test identity provider that behaves like Okta: its own RSA key and self-signed certificate,
Okta-shaped SAML responses, signed for real with xmlsec.

The assertion is signed *before* it is wrapped in the Response (python3-saml's ``add_sign``
signs the parent of the first ``saml:Issuer``). Each step is its own function so tests can
build broken or malicious responses: tamper after signing, sign with another key, wrap twice.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils

NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
RSA_SHA1 = C.RSA_SHA1
SHA1 = C.SHA1
RSA_SHA256 = C.RSA_SHA256
SHA256 = C.SHA256


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class KeyPair:
    key_pem: str
    cert_pem: str


@lru_cache(maxsize=8)
def make_key_pair(
    name: str = "okta-test", *, not_before_days: int = -1, not_after_days: int = 365
) -> KeyPair:
    """An RSA key and a self-signed certificate (cached: key generation is the slow part)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=not_before_days))
        .not_valid_after(now + dt.timedelta(days=not_after_days))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
    )


def new_id() -> str:
    return "id" + uuid.uuid4().hex


@dataclass
class TestIdP:
    """One Okta app integration: an issuer and a signing key pair."""

    __test__ = False  # not a pytest test class

    entity_id: str = "http://www.okta.com/exk1fcia6d6EMsf6T1d8"
    keys: KeyPair = field(default_factory=make_key_pair)
    sso_url: str = "https://acme.okta.com/app/acme_roster/exk1fcia6d6EMsf6T1d8/sso/saml"

    # --- building blocks --------------------------------------------------------------------

    def assertion(
        self,
        *,
        email: str,
        audience: str | None,
        recipient: str | None,
        first_name: str = "Test",
        last_name: str = "User",
        in_response_to: str | None = None,
        assertion_id: str | None = None,
        issuer: str | None = None,
        lifetime: dt.timedelta = dt.timedelta(minutes=5),
        shift: dt.timedelta = dt.timedelta(0),
        attributes: dict[str, str] | None = None,
        conditions_expire: bool = True,
        confirmation_expires: bool = True,
    ) -> str:
        """An unsigned Okta-shaped ``saml2:Assertion``. ``shift`` moves all its times.

        Shapes the SAML profile forbids, for the refusal tests: ``audience=None`` leaves out
        the AudienceRestriction, ``recipient=None`` the Recipient, ``conditions_expire=False``
        and ``confirmation_expires=False`` the NotOnOrAfter of Conditions and of the
        SubjectConfirmationData."""
        now = _now() + shift
        irt = f" InResponseTo={quoteattr(in_response_to)}" if in_response_to else ""
        until = f' NotOnOrAfter="{_ts(now + lifetime)}"'
        to = f" Recipient={quoteattr(recipient)}" if recipient is not None else ""
        restriction = (
            f"<saml2:AudienceRestriction><saml2:Audience>{escape(audience)}</saml2:Audience>"
            f"</saml2:AudienceRestriction>" if audience is not None else ""
        )
        attrs = {"email": email, "firstName": first_name, "lastName": last_name}
        if attributes is not None:
            attrs = attributes
        attribute_xml = "".join(
            f'<saml2:Attribute Name={quoteattr(name)} NameFormat="urn:oasis:names:tc:SAML:2.0:'
            f'attrname-format:unspecified"><saml2:AttributeValue '
            f'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">'
            f"{escape(value)}</saml2:AttributeValue></saml2:Attribute>"
            for name, value in attrs.items()
        )
        return (
            f'<saml2:Assertion xmlns:saml2="{NS_SAML}" ID="{assertion_id or new_id()}" '
            f'IssueInstant="{_ts(now)}" Version="2.0">'
            f'<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">'
            f"{escape(issuer or self.entity_id)}</saml2:Issuer>"
            f"<saml2:Subject>"
            f'<saml2:NameID Format="{EMAIL_FORMAT}">{escape(email)}</saml2:NameID>'
            f'<saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f"<saml2:SubjectConfirmationData{irt}{until if confirmation_expires else ''}{to}/>"
            f"</saml2:SubjectConfirmation></saml2:Subject>"
            f'<saml2:Conditions NotBefore="{_ts(now - dt.timedelta(minutes=5))}"'
            f"{until if conditions_expire else ''}>{restriction}</saml2:Conditions>"
            f'<saml2:AuthnStatement AuthnInstant="{_ts(now)}" SessionIndex="{new_id()}">'
            f"<saml2:AuthnContext><saml2:AuthnContextClassRef>"
            f"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            f"</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>"
            f"<saml2:AttributeStatement>{attribute_xml}</saml2:AttributeStatement>"
            f"</saml2:Assertion>"
        )

    def sign(
        self,
        assertion_xml: str,
        *,
        keys: KeyPair | None = None,
        sign_algorithm: str = C.RSA_SHA256,
        digest_algorithm: str = C.SHA256,
    ) -> str:
        """Sign the assertion (enveloped, exclusive c14n), as Okta does."""
        keys = keys or self.keys
        signed = OneLogin_Saml2_Utils.add_sign(
            assertion_xml, keys.key_pem, keys.cert_pem,
            sign_algorithm=sign_algorithm, digest_algorithm=digest_algorithm,
        )
        return signed.decode() if isinstance(signed, bytes) else signed

    def wrap(
        self,
        assertion_xml: str,
        *,
        destination: str,
        in_response_to: str | None = None,
        issuer: str | None = None,
        extensions: str = "",
    ) -> str:
        """Put (signed) assertion XML into an Okta-shaped ``saml2p:Response``."""
        irt = f" InResponseTo={quoteattr(in_response_to)}" if in_response_to else ""
        ext = f"<saml2p:Extensions>{extensions}</saml2p:Extensions>" if extensions else ""
        return (
            f'<saml2p:Response xmlns:saml2p="{NS_SAMLP}" Destination={quoteattr(destination)} '
            f'ID="{new_id()}"{irt} IssueInstant="{_ts(_now())}" Version="2.0">'
            f'<saml2:Issuer xmlns:saml2="{NS_SAML}" '
            f'Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">'
            f"{escape(issuer or self.entity_id)}</saml2:Issuer>{ext}"
            f"<saml2p:Status><saml2p:StatusCode "
            f'Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></saml2p:Status>'
            f"{_strip_xml_declaration(assertion_xml)}</saml2p:Response>"
        )

    # --- the usual case ---------------------------------------------------------------------

    def response_xml(
        self,
        *,
        email: str,
        acs_url: str,
        audience: str,
        in_response_to: str | None = None,
        **assertion_kwargs: object,
    ) -> str:
        """A complete, correctly signed response as Okta would POST it."""
        assertion = self.assertion(
            email=email, audience=audience, recipient=acs_url, in_response_to=in_response_to,
            **assertion_kwargs,  # type: ignore[arg-type]
        )
        return self.wrap(self.sign(assertion), destination=acs_url, in_response_to=in_response_to)


_METADATA = """<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity_id}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
        <ds:X509Certificate>{cert}</ds:X509Certificate>
      </ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{sso_url}"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{sso_url}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


def metadata_for(idp: TestIdP) -> str:
    """The IdP metadata XML Okta offers for download, for this test IdP."""
    body = "".join(
        idp.keys.cert_pem.replace("-----BEGIN CERTIFICATE-----", "")
        .replace("-----END CERTIFICATE-----", "").split()
    )
    return _METADATA.format(entity_id=escape(idp.entity_id), cert=body, sso_url=escape(idp.sso_url))


def _strip_xml_declaration(xml: str) -> str:
    if xml.startswith("<?xml"):
        return xml.split("?>", 1)[1]
    return xml


def encode(response_xml: str) -> str:
    """The ``SAMLResponse`` form value (HTTP-POST binding)."""
    return base64.b64encode(response_xml.encode()).decode()


def authn_request_from_redirect(location: str) -> tuple[str, str, etree._Element]:
    """From our SP's redirect to the IdP: (AuthnRequest ID, RelayState, parsed request)."""
    query = parse_qs(urlsplit(location).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    root = etree.fromstring(xml)
    return root.get("ID"), query.get("RelayState", [""])[0], root


def element(xml: str) -> etree._Element:
    return etree.fromstring(xml.encode())


def tostring(node: etree._Element) -> str:
    return etree.tostring(node).decode()
