"""Every error under /scim/v2 is a SCIM error body, even one Django answers before our views.

The views answer their own failures (``scim.http.ScimView``), but some happen before a
view runs or outside it: a Host header not in ALLOWED_HOSTS (``DisallowedHost``, raised by
``CommonMiddleware``), a 404/405/413/500 that Django or another middleware renders as HTML, or
Django's debug pages. An IdP parses only RFC 7644 bodies, so this middleware, outermost in
``MIDDLEWARE``, turns any non-SCIM error response under the SCIM prefix into one with the same
status and a generic detail. It reads nothing but the path (``request.get_host()`` would raise
again) and leaves every other answer alone.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from scim.errors import SCIM_CONTENT_TYPE, ScimError, error_response

# Headers of the original answer a client may act on.
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def is_scim_path(path: str) -> bool:
    prefix = settings.SCIM_PATH
    return path == prefix or path.startswith(prefix + "/")


def _detail(status: int) -> str:
    if status == 400:
        return "The request is malformed or was sent to a host name this server does not serve."
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "The request could not be completed"
    return f"{phrase}."


class ScimErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not is_scim_path(request.path_info)
            or response.get("Content-Type", "").startswith(SCIM_CONTENT_TYPE)
        ):
            return response
        headers = {h: response[h] for h in KEPT_HEADERS if response.has_header(h)}
        return error_response(ScimError(response.status_code, _detail(response.status_code),
                                        headers=headers))
