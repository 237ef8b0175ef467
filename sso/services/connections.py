"""SAML connections: IdP settings, activation, and enforcing SAML SSO."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from orgs.audit import Actor, audit_record
from orgs.exceptions import FeatureNotAvailable, PreconditionFailed
from orgs.models import (
    Organization,
)
from orgs.plans import Feature
from orgs.services.updates import model_update
from sso.exceptions import SamlSettingsInvalid
from sso.models import SamlConnection, SamlProvider
from sso.saml import CertificateError, certificate_check
from sso.selectors import sso_enforcement_ready

logger = logging.getLogger(__name__)


def _require_saml_feature(org: Organization) -> None:
    if not org.has_feature(Feature.SAML_SSO):
        raise FeatureNotAvailable(
            f"SAML SSO is an Enterprise feature; {org.name} is on the {org.get_plan_display()} "
            "plan."
        )


def _lock_connection(organization: Organization) -> SamlConnection | None:
    return (
        SamlConnection.objects.select_for_update()
        .select_related("organization")
        .filter(organization=organization)
        .first()
    )


# --- connection ----------------------------------------------------------------------------


def saml_settings_validate(
    *, idp_entity_id: str, idp_sso_url: str, idp_x509_cert: str
) -> dict[str, str]:
    """Clean IdP settings or raise ``SamlSettingsInvalid`` with one message per field."""
    errors: dict[str, str] = {}
    entity_id = (idp_entity_id or "").strip()
    if not entity_id:
        errors["idp_entity_id"] = "Paste the IdP issuer (Okta: Identity Provider Issuer)."
    elif len(entity_id) > 500:
        errors["idp_entity_id"] = "The IdP issuer is too long."
    sso_url = (idp_sso_url or "").strip()
    parts = urlsplit(sso_url)
    if parts.scheme != "https" or not parts.netloc:
        errors["idp_sso_url"] = "The IdP single sign-on URL must be an https:// URL."
    cert_pem = ""
    try:
        cert_pem = certificate_check(idp_x509_cert).pem
    except CertificateError as exc:
        errors["idp_x509_cert"] = str(exc)
    if errors:
        raise SamlSettingsInvalid(errors)
    return {"idp_entity_id": entity_id, "idp_sso_url": sso_url, "idp_x509_cert": cert_pem}


@transaction.atomic
def saml_connection_save(
    *,
    organization: Organization,
    actor: Actor,
    idp_entity_id: str,
    idp_sso_url: str,
    idp_x509_cert: str,
    provider: str = SamlProvider.OKTA,
) -> SamlConnection:
    """Save the IdP settings. A change stamps ``configured_at``, so SSO enforcement waits for a
    successful login with the new settings."""
    _require_saml_feature(organization)
    clean = saml_settings_validate(
        idp_entity_id=idp_entity_id, idp_sso_url=idp_sso_url, idp_x509_cert=idp_x509_cert
    )
    if provider not in SamlProvider.values:
        raise SamlSettingsInvalid({"provider": "Unknown identity provider."})
    clean["provider"] = provider
    conn = _lock_connection(organization)
    if conn is None:
        conn = SamlConnection(organization=organization)
    changed = sorted(k for k, v in clean.items() if getattr(conn, k) != v)
    if conn.pk and not changed:
        return conn
    for key, value in clean.items():
        setattr(conn, key, value)
    conn.configured_at = timezone.now()
    conn.save()
    info = certificate_check(clean["idp_x509_cert"])
    audit_record(
        organization=organization, actor=actor, action="sso.saml.configured", target=conn,
        data={
            "changed": changed,
            "idp_entity_id": clean["idp_entity_id"],
            "idp_sso_url": clean["idp_sso_url"],
            "certificate_sha256": info.sha256_fingerprint,
            "certificate_not_after": info.not_after.isoformat(),
        },
    )
    return conn


@transaction.atomic
def saml_connection_activate(*, organization: Organization, actor: Actor) -> SamlConnection:
    _require_saml_feature(organization)
    conn = _lock_connection(organization)
    if conn is None or not (conn.idp_entity_id and conn.idp_sso_url and conn.idp_x509_cert):
        raise PreconditionFailed("Save the IdP settings before activating SAML SSO.")
    if conn.is_active:
        return conn
    conn.is_active = True
    conn.save(update_fields=["is_active", "updated_at"])
    audit_record(organization=organization, actor=actor, action="sso.saml.activated", target=conn)
    return conn


@transaction.atomic
def saml_connection_deactivate(*, organization: Organization, actor: Actor) -> SamlConnection:
    """Stop SAML logins. Refused while SSO is enforced: nobody but superusers could log in."""
    conn = _lock_connection(organization)
    if conn is None or not conn.is_active:
        raise PreconditionFailed("SAML SSO is not active.")
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if org.sso_enforced:
        raise PreconditionFailed("Turn off “Enforce SAML SSO” before deactivating SAML SSO.")
    conn.is_active = False
    conn.save(update_fields=["is_active", "updated_at"])
    audit_record(organization=org, actor=actor, action="sso.saml.deactivated", target=conn)
    return conn


@transaction.atomic
def organization_set_sso_enforced(
    *, organization: Organization, enforced: bool, actor: Actor
) -> Organization:
    """Require SAML for the org's members. Allowed only once a SAML login has succeeded since
    the IdP settings were last saved, so a wrong certificate cannot lock everyone out."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if enforced:
        _require_saml_feature(org)
        conn = SamlConnection.objects.filter(organization=org).first()
        if conn is None or not sso_enforcement_ready(conn):
            raise PreconditionFailed(
                "Log in once with SAML SSO (use “Test login”) after saving the SAML settings; "
                "then SSO can be enforced."
            )
    if model_update(org, {"sso_enforced": enforced}):
        audit_record(
            organization=org, actor=actor,
            action="org.sso.enforced" if enforced else "org.sso.unenforced", target=org,
        )
    organization.sso_enforced = enforced
    return org


# --- logins --------------------------------------------------------------------------------
