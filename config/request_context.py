"""What a log line says about the request (or job) it came from: its id, the organization and
the SCIM token's prefix.

Context variables, so each request and each job sees only its own values; the request-id
middleware opens a fresh context per request. SCIM authentication calls
``set_request_context(org=..., token_prefix=...)`` once it knows them. Only a token's *prefix*
is ever kept here: anything longer is cut to the prefix length, so a caller's slip cannot put a
secret into a log line. Jobs open their own context (``request_context``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from django.core.signals import request_finished

# "rst_scim_" + 6 characters (scim.services.PREFIX_LENGTH); never more of a token than that.
TOKEN_PREFIX_MAX = 15
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_request_id: ContextVar[str] = ContextVar("roster_request_id", default="")
_org: ContextVar[str] = ContextVar("roster_org", default="")
_token_prefix: ContextVar[str] = ContextVar("roster_token_prefix", default="")


def clean_request_id(value: str | None) -> str:
    """An incoming X-Request-ID when it is well-formed (1-64 of ``A-Za-z0-9._:-``, so it fits
    the audit log and cannot forge log fields), else a new random id."""
    if value and _REQUEST_ID_RE.fullmatch(value):
        return value
    return uuid.uuid4().hex


def set_request_context(
    *, request_id: str | None = None, org: Any = None, token_prefix: str | None = None
) -> None:
    """Set what is known so far; ``org`` is an Organization (its slug is logged) or a slug."""
    if request_id is not None:
        _request_id.set(request_id)
    if org is not None:
        _org.set(str(getattr(org, "slug", org)))
    if token_prefix is not None:
        _token_prefix.set(token_prefix[:TOKEN_PREFIX_MAX])


def get_request_context() -> dict[str, str]:
    """The non-empty fields, as they appear in a JSON log line."""
    fields = {"request_id": _request_id.get(), "org": _org.get(),
              "token_prefix": _token_prefix.get()}
    return {key: value for key, value in fields.items() if value}


def clear_request_context() -> None:
    for var in (_request_id, _org, _token_prefix):
        var.set("")


@contextmanager
def request_context(*, request_id: str) -> Iterator[None]:
    """A fresh context for one job (or a test); everything set inside is gone afterwards."""
    tokens: list[tuple[ContextVar[str], Token[str]]] = [
        (_request_id, _request_id.set(request_id)),
        (_org, _org.set("")),
        (_token_prefix, _token_prefix.set("")),
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class RequestIdMiddleware:
    """First in the stack: every request gets an id (the caller's X-Request-ID when
    well-formed), its log lines carry it, the response echoes it, and audit events use it.

    The context lasts until Django's ``request_finished``, not just until this middleware
    returns: Django logs a 4xx/5xx (``django.request``) after the middleware chain."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        request_id = clean_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        clear_request_context()
        set_request_context(request_id=request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _request_finished(**kwargs: Any) -> None:
    clear_request_context()


request_finished.connect(_request_finished, dispatch_uid="roster_clear_request_context")
