"""Roster's 403, 404 and 500 pages, in the admin's look (``handler403/404/500`` in config.urls).

Each says what happened and where to go next, and names nothing the visitor may not see: the
exception's own message (which may carry an id someone guessed) is never shown. Under
/scim/v2 the same statuses become SCIM error bodies (``scim.middleware``). The 500 page uses no
database and no session, since either may be what failed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

logger = logging.getLogger(__name__)


def _user_context(request: HttpRequest) -> dict[str, Any]:
    """The admin's header (user tools, Home) for staff; the visitor's own links otherwise."""
    user = getattr(request, "user", None)
    context: dict[str, Any] = {}
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        try:
            context |= admin.site.each_context(request)
        except Exception:  # a broken sidebar must not turn a 403 into a 500
            logger.exception("Admin context for an error page failed")
    context["site_header"] = admin.site.site_header
    context["site_title"] = admin.site.site_title
    return context


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", _user_context(request), status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Not even the path is repeated: it may hold an id of another organization's object.
    return render(request, "errors/404.html", _user_context(request), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    template = loader.get_template("errors/500.html")
    return HttpResponseServerError(template.render({
        "site_header": admin.site.site_header, "site_title": admin.site.site_title,
        "request_id": getattr(request, "request_id", ""),
    }))
