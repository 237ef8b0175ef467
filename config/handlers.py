"""Django's WSGI and ASGI handlers with one fix: building a request never parses its query.

``HttpRequest.encoding``'s setter runs ``hasattr(self, "GET")``, which on a fresh request
*computes* ``GET``, and the request's ``__init__`` sets the encoding whenever Content-Type has a
charset (Okta sends ``application/scim+json; charset=utf-8``). So a request with more query
parameters than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` raised ``TooManyFieldsSent`` inside the
handler, before any middleware or view could answer, and the server sent its own 500 page. Here
the setter only drops a ``GET`` that was already parsed; the limit is kept and enforced where
``GET`` is first read (a SCIM 400 in ``scim.views``, Django's 400 elsewhere).
"""

from __future__ import annotations

from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest


class _LazyQueryEncoding:
    @property
    def encoding(self) -> str | None:
        return self._encoding

    @encoding.setter
    def encoding(self, value: str | None) -> None:
        self._encoding = value
        self.__dict__.pop("GET", None)  # parsed again, with this encoding, when next read
        self.__dict__.pop("_post", None)


class Request(_LazyQueryEncoding, WSGIRequest):
    pass


class AsgiRequest(_LazyQueryEncoding, ASGIRequest):
    pass


class Handler(WSGIHandler):
    request_class = Request


class AsgiHandler(ASGIHandler):
    request_class = AsgiRequest
