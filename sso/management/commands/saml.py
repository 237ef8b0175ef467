"""``manage.py saml configure|activate|deactivate|status --org <slug>``: an organization's SAML
SSO from the shell, so operators can set up a tenant end to end without a browser.

Each action calls the same ``sso.services`` as the SAML tab, with the same rules: settings are
validated by ``saml_connection_save`` (an https:// SSO URL, a certificate that parses and has
not expired), activation needs saved settings, deactivation is refused while SSO is enforced
and, while SCIM provisioning is on, needs ``--yes`` (the tab's confirmation). ``status`` prints
the values to paste into Okta.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from orgs.management.commands._base import OperatorCommand, get_org
from orgs.models import Organization
from sso import saml, services
from sso.models import SamlProvider
from sso.saml import ATTRIBUTE_STATEMENTS, CertificateError, certificate_check
from sso.selectors import saml_connection_for

MAX_FILE_BYTES = 1_000_000  # a metadata document or a certificate, not a disk image


def _read(path: str, what: str) -> str:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(f"{path} is too large to be {what}.")
        return file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CommandError(f"{path}: no such file.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path} could not be read as {what} ({type(exc).__name__}).") from exc


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


class Command(OperatorCommand):
    help = "Configure, activate, deactivate or show an organization's SAML SSO."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        configure = sub.add_parser(
            "configure", help="save the IdP's settings (from its metadata, or field by field)"
        )
        configure.add_argument("--org", required=True, help="organization slug")
        configure.add_argument("--metadata", metavar="FILE", help="the IdP's metadata XML")
        configure.add_argument("--entity-id", help="the IdP issuer (Okta: Identity Provider "
                                                   "Issuer)")
        configure.add_argument("--sso-url", help="the IdP single sign-on URL (https://)")
        configure.add_argument("--cert", metavar="FILE", help="the IdP's X.509 certificate (PEM)")
        configure.add_argument("--provider", choices=SamlProvider.values,
                               default=SamlProvider.OKTA)
        for name, text in (("activate", "let members sign in with SAML SSO"),
                           ("deactivate", "stop SAML sign-ins"),
                           ("status", "print the SAML settings and what to paste into Okta")):
            action = sub.add_parser(name, help=text)
            action.add_argument("--org", required=True, help="organization slug")
            if name == "deactivate":
                action.add_argument("--yes", action="store_true",
                                    help="deactivate even though SCIM provisioning is on")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_org(opts["org"])
        getattr(self, f"_{opts['action']}")(org, opts)

    def _configure(self, org: Organization, opts: dict[str, Any]) -> None:
        fields = [opts["entity_id"], opts["sso_url"], opts["cert"]]
        if opts["metadata"]:
            if any(fields):
                raise CommandError("Give either --metadata, or --entity-id, --sso-url and "
                                   "--cert, not both.")
            try:
                values = saml.idp_metadata_parse(_read(opts["metadata"], "IdP metadata XML"))
            except ValueError as exc:
                raise CommandError(f"{opts['metadata']}: {exc}") from exc
        elif all(fields):
            values = {"idp_entity_id": opts["entity_id"], "idp_sso_url": opts["sso_url"],
                      "idp_x509_cert": _read(opts["cert"], "a certificate")}
        else:
            raise CommandError("Give --metadata FILE, or all of --entity-id, --sso-url and "
                               "--cert FILE.")
        conn = services.saml_connection_save(
            organization=org, actor=self.actor, provider=opts["provider"], **values
        )
        state = "active" if conn.is_active else "not active yet: run `saml activate`"
        self.stdout.write(f"SAML settings saved for {org.slug} ({state}).")
        self._status(org, opts)

    def _activate(self, org: Organization, opts: dict[str, Any]) -> None:
        services.saml_connection_activate(organization=org, actor=self.actor)
        self.stdout.write(f"SAML SSO is active for {org.slug}.")

    def _deactivate(self, org: Organization, opts: dict[str, Any]) -> None:
        try:
            services.saml_connection_deactivate(
                organization=org, actor=self.actor, scim_acknowledged=opts["yes"]
            )
        except services.ScimStillOn as exc:
            raise CommandError(f"{exc.message} Run again with --yes to confirm.") from exc
        self.stdout.write(f"SAML SSO is deactivated for {org.slug}.")
        if org.scim_enabled:
            self.stdout.write("SCIM provisioning stays on, but every SCIM call is refused (403) "
                              "until SAML SSO is active again.")

    def _status(self, org: Organization, opts: dict[str, Any]) -> None:
        conn = saml_connection_for(organization=org)
        state = {None: "not configured", True: "active", False: "inactive"}[
            conn.is_active if conn is not None else None
        ]
        write = self.stdout.write
        write(f"SAML SSO for {org.slug}: {state}"
              f"{', enforced' if org.sso_enforced else ''}"
              f"{', SCIM provisioning on' if org.scim_enabled else ''}")
        write("Paste into Okta (Applications › Create App Integration › SAML 2.0):")
        write(f"  Single sign-on URL:          {saml.acs_url(org)}")
        write(f"  Audience URI (SP Entity ID): {saml.sp_entity_id(org)}")
        write("  Name ID format:              EmailAddress (Application username: Email)")
        write("  Attribute statements:        "
              + ", ".join(f"{name} = user.{name}" for name in ATTRIBUTE_STATEMENTS))
        if conn is None:
            write(f"No IdP settings yet: run `saml configure --org {org.slug}`.")
            return
        write("IdP settings:")
        write(f"  Issuer:          {conn.idp_entity_id or '-'}")
        write(f"  SSO URL:         {conn.idp_sso_url or '-'}")
        try:
            cert = certificate_check(conn.idp_x509_cert)
            about = (f"{cert.subject}, valid until {cert.not_after:%Y-%m-%d}, SHA-256 "
                     f"{cert.sha256_fingerprint}")
        except CertificateError as exc:
            about = f"unusable: {exc}"
        write(f"  Certificate:     {about}")
        write(f"  Settings saved:  {_when(conn.configured_at)}")
        write(f"  Last SAML login: {_when(conn.last_login_at)}")
