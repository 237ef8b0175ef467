"""What the admin-day browser tests share: playing Okta (its SAML answer and its SCIM calls),
account setup in the page, and the README's screenshots.

Screenshots always go to artifacts/screenshots/ (the ``screenshot`` fixture); with
ROSTER_DOCS_SCREENSHOTS set, the README's ones also go to docs/screenshots/, so ordinary runs
leave the committed files alone.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSPHRASE = "plum tunnel orbit quietly 42"

# What Okta sends first when it provisions a person (Okta-shaped, as in tests/scim).
OKTA_USER: dict[str, Any] = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}

# Straight to the live server, whatever proxy the environment configures.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def scim_call(url: str, token: str, body: dict | None = None,
              method: str | None = None) -> tuple[int, dict]:
    """A SCIM request with a bearer token, as Okta makes it: (status, JSON body)."""
    request = urllib.request.Request(
        url, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/scim+json",
                 "Content-Type": "application/scim+json; charset=utf-8",
                 "User-Agent": "Okta SCIM Client 1.0.0"},
    )
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def okta_user(email: str, given: str = "Test", family: str = "User", **extra: Any) -> dict:
    return OKTA_USER | {
        "userName": email, "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": f"{given} {family}", "externalId": "00u" + email.split("@")[0][:16],
    } | extra


def docs_shot(screenshot: Any, page: Page, name: str, selector: str | None = None) -> Path:
    """An artifact screenshot, and with ROSTER_DOCS_SCREENSHOTS the README's copy: the element
    ``selector`` names (small), else the whole page."""
    path = screenshot(page, name)
    if os.environ.get("ROSTER_DOCS_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        target = DOCS / f"{name}.png"
        if selector:
            page.locator(selector).first.screenshot(path=str(target))
        else:
            shutil.copyfile(path, target)
    return path


def set_up_account(page: Page) -> None:
    """On the account-setup page: choose a passphrase; the browser makes and wraps the key."""
    page.wait_for_url("**/account/setup/")
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#passphrase-confirm", PASSPHRASE)
    with page.expect_navigation():
        page.click("#setup-submit")


def expect_message_in_view(page: Page, text: str) -> None:
    """The confirmation is on screen after the redirect, not scrolled away (point 6)."""
    message = page.locator(".messagelist")
    expect(message).to_contain_text(text)
    expect(message).to_be_in_viewport()
