"""The API's own pages: the OpenAPI schema, its documentation, and a JSON 404 for any other
address under /api/."""

from __future__ import annotations

from typing import Any

from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request

from api.views.base import ApiView


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 document: JSON, or YAML with ``?format=yaml``. Public, as the docs are."""

    undocumented = True
    renderer_classes = [OpenApiJsonRenderer, OpenApiYamlRenderer]
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class DocsView(SpectacularSwaggerView):
    """Swagger UI from Roster's own static files (drf-spectacular-sidecar): no CDN."""

    undocumented = True
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class NotFoundView(ApiView):
    """Any other address under /api/: the API's 404, never Django's HTML page."""

    undocumented = True
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    def _refuse(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        raise NotFound("There is no API endpoint at this address.")

    get = post = put = patch = delete = head = options = _refuse
