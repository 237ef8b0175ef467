"""python3-saml glue: per-organization settings, request data and certificate checks.

Everything that identifies us to the IdP (SP entity id, ACS URL) is derived from ``BASE_URL``
and the organization's slug, and the request data handed to python3-saml is built from
``BASE_URL`` too. The Destination/Recipient checks then compare against the public URL the
admin pasted into Okta, whatever host and scheme the request had behind a TLS-terminating proxy.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cryptography import x509
from django.conf import settings
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

if TYPE_CHECKING:
    from django.http import HttpRequest

    from orgs.models import Organization
    from sso.models import SamlConnection

NAMEID_EMAIL = OneLogin_Saml2_Constants.NAMEID_EMAIL_ADDRESS
# The attribute statements we ask the admin to configure in Okta.
ATTRIBUTE_STATEMENTS = ("email", "firstName", "lastName")


def _base_url() -> str:
    return settings.BASE_URL.rstrip("/")


def sp_entity_id(organization: Organization) -> str:
    """Our SP entity id (Okta's "Audience URI"): the metadata URL, unique per organization."""
    return f"{_base_url()}/sso/saml/{organization.slug}/metadata/"


def acs_url(organization: Organization) -> str:
    """Our Assertion Consumer Service URL (Okta's "Single sign-on URL")."""
    return f"{_base_url()}/sso/saml/{organization.slug}/acs/"


def login_url(organization: Organization) -> str:
    return f"{_base_url()}/sso/saml/{organization.slug}/login/"


def saml_settings(connection: SamlConnection) -> dict[str, Any]:
    """The python3-saml settings dict for one organization, straight from its row."""
    org = connection.organization
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp_entity_id(org),
            "assertionConsumerService": {
                "url": acs_url(org),
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST,
            },
            "NameIDFormat": NAMEID_EMAIL,
            "x509cert": "",
            "privateKey": "",
        },
        "idp": {
            "entityId": connection.idp_entity_id,
            "singleSignOnService": {
                "url": connection.idp_sso_url,
                "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
            },
            "x509cert": certificate_body(connection.idp_x509_cert),
        },
        "security": {
            "authnRequestsSigned": False,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,
            "wantAssertionsEncrypted": False,
            "wantNameId": True,
            "wantNameIdEncrypted": False,
            # Only the NameID is needed; a missing attribute statement is not an attack.
            "wantAttributeStatement": False,
            "requestedAuthnContext": False,
            "rejectDeprecatedAlgorithm": True,
            "allowRepeatAttributeName": False,
            "signatureAlgorithm": OneLogin_Saml2_Constants.RSA_SHA256,
            "digestAlgorithm": OneLogin_Saml2_Constants.SHA256,
        },
    }


def request_data(request: HttpRequest, public_url: str) -> dict[str, Any]:
    """What python3-saml needs to know about the request. Scheme, host and path are those of
    ``public_url`` (derived from ``BASE_URL``), not of the request as it reached Django, so the
    Destination and Recipient checks hold behind a TLS-terminating proxy or a path prefix."""
    url = urlsplit(public_url)
    return {
        "https": "on" if url.scheme == "https" else "off",
        "http_host": url.netloc,
        "script_name": "",
        "path_info": url.path,
        "get_data": request.GET.copy(),
        "post_data": request.POST.copy(),
    }


class SamlAuth(OneLogin_Saml2_Auth):
    """python3-saml's Auth, keeping the response object it validated so ``sso.assertions``
    can check the very document python3-saml verified."""

    validated_response: OneLogin_Saml2_Response | None = None

    def store_valid_response(self, response: OneLogin_Saml2_Response) -> None:
        super().store_valid_response(response)
        self.validated_response = response


def build_auth(request: HttpRequest, connection: SamlConnection, public_url: str) -> SamlAuth:
    return SamlAuth(request_data(request, public_url), saml_settings(connection))


def sp_metadata(connection: SamlConnection) -> str:
    """Our SP metadata XML for this organization."""
    sp_settings = OneLogin_Saml2_Settings(saml_settings(connection), sp_validation_only=True)
    metadata = sp_settings.get_sp_metadata()
    return metadata.decode() if isinstance(metadata, bytes) else metadata


def addressed_to_another_organization(saml_response: str, organization: Organization) -> bool:
    """Whether a response that failed validation names another organization of ours (its ACS
    or SP entity id as Destination, Recipient or Audience), so the refusal can say so.

    The XML is *not* verified here: this only picks the wording of a refusal, never accepts
    anything. Parsed with python3-saml's hardened parser (no DTDs, no entities)."""
    try:
        root = OneLogin_Saml2_XML.to_etree(OneLogin_Saml2_Utils.b64decode(saml_response))
    except Exception:  # undecodable: nothing to say about it
        return False
    ours = f"{_base_url()}/sso/saml/"
    own = {acs_url(organization), sp_entity_id(organization)}
    ns = "{" + OneLogin_Saml2_Constants.NS_SAML + "}"
    values = [root.get("Destination")]
    values += [n.text for n in root.iter(ns + "Audience")]
    values += [n.get("Recipient") for n in root.iter(ns + "SubjectConfirmationData")]
    return any(
        isinstance(v, str) and v.strip().startswith(ours) and v.strip() not in own
        for v in values
    )


# --- certificates and IdP metadata ---------------------------------------------------------


class CertificateError(ValueError):
    """The pasted certificate is unusable; the message says why, for the admin."""


_PEM_RE = re.compile(
    r"-----BEGIN CERTIFICATE-----(?P<body>.*?)-----END CERTIFICATE-----", re.DOTALL
)


def certificate_body(text: str) -> str:
    """The base64 body of a certificate given as PEM or as bare base64 (as in metadata)."""
    text = (text or "").strip()
    match = _PEM_RE.search(text)
    body = match.group("body") if match else text
    return "".join(body.split())


def certificate_pem(text: str) -> str:
    body = certificate_body(text)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


@dataclass(frozen=True)
class CertificateInfo:
    pem: str
    subject: str
    not_after: dt.datetime
    sha256_fingerprint: str


def certificate_check(text: str, *, now: dt.datetime | None = None) -> CertificateInfo:
    """Parse an X.509 certificate and refuse one that is unparseable or expired."""
    body = certificate_body(text)
    if not body:
        raise CertificateError("Paste the IdP's X.509 signing certificate.")
    try:
        der = base64.b64decode(body, validate=True)
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise CertificateError(
            "This is not a valid X.509 certificate (expected PEM or base64 DER)."
        ) from exc
    now = now or dt.datetime.now(dt.UTC)
    not_after = cert.not_valid_after_utc
    if not_after <= now:
        raise CertificateError(
            f"This certificate expired on {not_after:%Y-%m-%d}; download the current one from "
            "the IdP."
        )
    if cert.not_valid_before_utc > now:
        raise CertificateError("This certificate is not valid yet.")
    fingerprint = hashlib.sha256(der).hexdigest()
    return CertificateInfo(
        pem=certificate_pem(body),
        subject=cert.subject.rfc4514_string()[:200],
        not_after=not_after,
        sha256_fingerprint=":".join(
            fingerprint[i : i + 2].upper() for i in range(0, len(fingerprint), 2)
        ),
    )


def idp_metadata_parse(xml: str) -> dict[str, str]:
    """Entity id, SSO URL and signing certificate from pasted IdP metadata XML (offline;
    DTDs and entities are refused by python3-saml's parser)."""
    try:
        data = OneLogin_Saml2_IdPMetadataParser.parse(xml.strip().encode())
    except Exception as exc:  # the parser raises bare Exceptions and lxml errors alike
        raise ValueError("This metadata XML could not be read.") from exc
    idp = data.get("idp") or {}
    cert = idp.get("x509cert") or ""
    if not cert:
        signing = (idp.get("x509certMulti") or {}).get("signing") or []
        cert = signing[0] if signing else ""
    result = {
        "idp_entity_id": idp.get("entityId") or "",
        "idp_sso_url": (idp.get("singleSignOnService") or {}).get("url") or "",
        "idp_x509_cert": certificate_pem(cert) if cert else "",
    }
    if not all(result.values()):
        raise ValueError(
            "The metadata must hold the IdP entity id, an HTTP-Redirect single sign-on URL and "
            "a signing certificate."
        )
    return result
