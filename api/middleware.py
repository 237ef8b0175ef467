"""Every error under /api/ is the API's JSON error, even one Django answers before our views
(a Host header not in ALLOWED_HOSTS, a 500 from a middleware, a body too large): the sibling of
``scim.middleware``. It reads nothing but the path and leaves every other answer alone (the
documentation page is HTML, and stays so when it works)."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse

from api.errors import ApiError

API_PREFIX = "/api/"
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")
CODES = {400: "bad_request", 403: "permission_denied", 404: "not_found",
         405: "method_not_allowed", 413: "too_large", 429: "throttled"}


def _message(status: int) -> str:
    if status == 400:
        return "The request is malformed or was sent to a host name this server does not serve."
    try:
        return f"{HTTPStatus(status).phrase}."
    except ValueError:
        return "The request could not be completed."


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path_info.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        code = CODES.get(status, "server_error" if status >= 500 else "error")
        error = ApiError(status, code, _message(status))
        answer = JsonResponse(error.body(), status=status)
        for header in KEPT_HEADERS:
            if response.has_header(header):
                answer[header] = response[header]
        return answer
