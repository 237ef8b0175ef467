"""The SCIM request log: what ``ScimView`` records of every request it answers.

Called once per request, after the answer is rendered, whatever the status: a 401 from
authentication, a 403 from the permissions, a 429 from the throttle, a 400/413 from the body
parser, a 404/405/409 from a view and a 500 from an unexpected error all pass through
``ScimView.dispatch``. What is stored is masked (``scim.masking``) and costs one INSERT; a
request whose token did not authenticate costs one more small read, to name the organization
its token's prefix belongs to. Recording never fails the request: an error is logged instead.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import logging
import time
from typing import Any
from urllib.parse import unquote_plus

from django.http import HttpResponse
from rest_framework.request import Request

from config.prepared_queries import prepared
from scim import services
from scim.auth import ScimContext
from scim.masking import (
    BODY_LIMIT,
    mask_authorization,
    mask_body,
    mask_credentials,
    storable,
    token_in,
)
from scim.media import RAW_BODY_ATTRIBUTE
from scim.models import ScimRequestResource, ScimToken
from sso.ratelimit import client_address

logger = logging.getLogger(__name__)

# URL names of scim.urls → the resource a request is about (the Provisioning tab's filter).
RESOURCES = {
    "users": ScimRequestResource.USERS, "user": ScimRequestResource.USERS,
    "users-search": ScimRequestResource.USERS, "groups": ScimRequestResource.GROUPS,
    "group": ScimRequestResource.GROUPS, "groups-search": ScimRequestResource.GROUPS,
}


def attribute(header: str) -> tuple[str, Any]:
    """For a token that did not authenticate: (its prefix, the organization id to show the
    request to). The token's own organization when it exists (revoked, expired), else the one
    organization whose token has that prefix, else None (operators only)."""
    token = token_in(header)
    if not token:
        return "", None
    prefix = token[:services.PREFIX_LENGTH]
    digest = services.hash_token(token)
    candidates = prepared(  # every refused request asks it (config.prepared_queries)
        ("request_log_attribute",),
        lambda prefix: ScimToken.objects.filter(prefix=prefix).order_by()
        .values_list("organization_id", "token_hash"),
        [prefix], [str],
    )
    for organization_id, token_hash in candidates:
        if hmac.compare_digest(token_hash, digest):
            return prefix, organization_id
    organizations = {organization_id for organization_id, _ in candidates}
    return prefix, organizations.pop() if len(organizations) == 1 else None


def _content_length(request: Request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _request_body(request: Request) -> tuple[str, bool]:
    raw = getattr(request, RAW_BODY_ATTRIBUTE, None)
    length = _content_length(request)
    if raw is None:
        if not length:
            return "", False
        try:  # nobody read it (a refusal before the view): read what is kept, no more
            raw = request._request.read(BODY_LIMIT + 1)
        except Exception:  # a broken client stream is not the log's failure
            return "", True
    return mask_body(raw, complete=len(raw) >= length)


def _client_ip(request: Request) -> str | None:
    try:
        return str(ipaddress.ip_address(client_address(request)))
    except ValueError:
        return None


def capture(request: Request, response: HttpResponse, *, context: ScimContext | None,
            started_at: dt.datetime, started: float) -> services.RequestRecord:
    """The record of one answered request; ``context`` is the authenticated caller, if any."""
    duration_ms = round((time.perf_counter() - started) * 1000)  # the answer's, not the log's
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if context is not None:
        token_prefix, organization_id = context.token.prefix, context.organization.pk
    else:
        token_prefix, organization_id = attribute(header)
    data = getattr(response, "data", None)
    error = data if response.status_code >= 400 and isinstance(data, dict) else {}
    match = getattr(request, "resolver_match", None)
    request_body, request_truncated = _request_body(request)
    response_body, response_truncated = mask_body(response.content)
    return services.RequestRecord(
        organization_id=organization_id,
        created_at=started_at,
        request_id=getattr(request, "request_id", "")[:64],
        method=_clean(request.method, 10),
        path=_clean(request.path, 1000),
        query=_clean(unquote_plus(request.META.get("QUERY_STRING", "")), 2000),
        resource=RESOURCES.get(getattr(match, "url_name", ""), ScimRequestResource.OTHER),
        status=response.status_code,
        duration_ms=duration_ms,
        token_prefix=token_prefix,
        authorization=mask_authorization(header),  # masked word by word
        client_ip=_client_ip(request),
        user_agent=_clean(request.META.get("HTTP_USER_AGENT", ""), 400),
        error_type=_clean(str(error.get("scimType", "")), 40),
        error_detail=_clean(str(error.get("detail", "")), 1000),
        request_body=request_body,
        request_truncated=request_truncated,
        response_body=response_body,
        response_truncated=response_truncated,
    )


def _clean(text: str, limit: int) -> str:
    """Masked, storable and cut to its column."""
    return storable(mask_credentials(text))[:limit]


def record(request: Request, response: HttpResponse, *, context: ScimContext | None,
           started_at: dt.datetime, started: float) -> None:
    """Capture and store one request; never raises (a lost log row must not fail a SCIM
    call that already succeeded or failed on its own)."""
    try:
        services.scim_request_record(
            capture(request, response, context=context, started_at=started_at,
                    started=started)
        )
    except Exception:
        logger.exception("The SCIM request log could not record %s %s (status %s)",
                         request.method, request.path, response.status_code)
