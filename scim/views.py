"""The /scim/v2/ endpoints, on the DRF pipeline of ``scim.http``.

Every lookup is scoped to the token's organization. The views parse the protocol (search
bodies, methods) and hand bodies to the adapters, which record the change and apply it with
one provisioning service call; ``scim.resources`` queries, filters, pages and renders.
"""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from orgs.exceptions import NotFound
from scim.errors import ScimError, not_found
from scim.http import ScimView
from scim.listing import list_document, list_response, paging
from scim.patch import operations_of
from scim.resources import GroupResource, UserResource
from scim.schemas import (
    SEARCH_REQUEST,
    all_schemas,
    resource_types,
    service_provider_config,
)

# --- discovery -----------------------------------------------------------------------------


class ServiceProviderConfigView(ScimView):
    def get(self, request: Request) -> Response:
        return Response(service_provider_config())


class _DocumentsView(ScimView):
    """A discovery collection and its members by id."""

    what = ""

    def documents(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def get(self, request: Request, doc_id: str | None = None) -> Response:
        docs = self.documents()
        if doc_id is None:
            return Response(list_document(docs))
        for doc in docs:
            if doc["id"] == doc_id:
                return Response(doc)
        raise not_found(self.what, doc_id)


class ResourceTypesView(_DocumentsView):
    what = "ResourceType"

    def documents(self) -> list[dict[str, Any]]:
        return resource_types()


class SchemasView(_DocumentsView):
    what = "Schema"

    def documents(self) -> list[dict[str, Any]]:
        return all_schemas()


class _AnyMethodView(ScimView):
    """An address that answers every method with the same error (after authentication)."""

    allowed = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    answers_options = False
    error = ScimError(404, "There is no SCIM resource at this address.")

    def _refuse(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise self.error

    get = post = put = patch = delete = options = _refuse


class NotFoundView(_AnyMethodView):
    """Anything else under /scim/v2/: a SCIM 404, whatever the method."""


class NotImplementedView(_AnyMethodView):
    """Bulk and /Me: RFC 7644 asks for 501 when unsupported."""

    error = ScimError(501, "This SCIM feature is not supported.")


# --- Users and Groups ----------------------------------------------------------------------


class _CollectionView(ScimView):
    allowed = ("GET", "POST")
    refusals = {m: f"{m} needs a resource id." for m in ("PUT", "PATCH", "DELETE")}

    def get(self, request: Request) -> Response:
        return Response(self.listing(request.query_params))

    def post(self, request: Request) -> Response:
        adapter = self.adapter(self.new())
        adapter.from_dict(self.body(request))
        adapter.save()
        return self.respond(adapter.obj, self.params(request.query_params), status=201)


class _ItemView(ScimView):
    allowed = ("GET", "PUT", "PATCH", "DELETE")
    refusals = {"POST": "POST is only allowed on the collection."}

    def target(self, resource_id: str) -> Any:
        """The resource a PUT or PATCH changes: read here, unless the service reads it
        itself, under its lock (``write_target``)."""
        try:
            return self.write_target(uuid.UUID(resource_id))
        except ValueError:
            raise not_found(self.resource, resource_id) from None

    def write(self, adapter: Any, resource_id: str) -> None:
        try:
            adapter.save()
        except NotFound:  # the service found no such resource (or it was just deleted)
            raise not_found(self.resource, resource_id) from None

    def get(self, request: Request, resource_id: str) -> Response:
        params = self.params(request.query_params)
        obj = self.one(resource_id, params)
        self.prepare([obj], params)
        return Response(self.document(obj, params),
                        headers={"Location": self.adapter(obj).location})

    def put(self, request: Request, resource_id: str) -> Response:
        adapter = self.adapter(self.target(resource_id))
        adapter.from_dict(self.body(request))
        self.write(adapter, resource_id)
        return self.respond(adapter.obj, self.params(request.query_params))

    def patch(self, request: Request, resource_id: str) -> Response:
        adapter = self.adapter(self.target(resource_id))
        adapter.handle_operations(operations_of(self.body(request)))
        self.write(adapter, resource_id)
        return self.respond(adapter.obj, self.params(request.query_params))

    def delete(self, request: Request, resource_id: str) -> Response:
        self.adapter(self.one(resource_id)).delete()
        return Response(status=204)


def search_body(view: ScimView, request: Request) -> dict[str, Any]:
    body = view.body(request)
    schemas = body.get("schemas") if isinstance(body, dict) else None
    if not isinstance(body, dict) or (
        schemas is not None and (not isinstance(schemas, list) or SEARCH_REQUEST not in schemas)
    ):
        raise ScimError(400, "The body must be a SearchRequest.", "invalidSyntax")
    return body


class _SearchView(ScimView):
    allowed = ("POST",)
    refusals = {m: f"{m} needs a resource id." for m in ("PUT", "PATCH", "DELETE")}

    def post(self, request: Request) -> Response:
        return Response(self.listing(search_body(self, request)))


class UsersView(UserResource, _CollectionView):
    pass


class UserView(UserResource, _ItemView):
    pass


class UsersSearchView(UserResource, _SearchView):
    pass


class GroupsView(GroupResource, _CollectionView):
    pass


class GroupView(GroupResource, _ItemView):
    pass


class GroupsSearchView(GroupResource, _SearchView):
    pass


class RootSearchView(ScimView):
    """POST /.search (RFC 7644 §3.4.3): one query over Users then Groups, paged as one list.

    A filter naming an attribute only one resource type has matches nothing of the other; a
    filter neither type understands is ``invalidFilter``. Cost: a count and a page per type.
    Cursors (RFC 9865) are per resource type, so this list pages by startIndex only.
    """

    allowed = ("POST",)

    def post(self, request: Request) -> Response:
        body = search_body(self, request)
        if "cursor" in body:
            raise ScimError(400, "Cursor paging is offered on /Users and /Groups (and their "
                            "/.search); /.search across both pages with startIndex.",
                            "invalidCursor")
        start, count = paging(body)
        parts = []
        refusal: ScimError | None = None
        for resource_class in (UserResource, GroupResource):
            resource = resource_class()
            resource.request, resource.scim = request, self.scim
            params = resource.params(body)
            try:
                qs = resource.filtered(body, params)
            except ScimError as exc:
                if exc.scim_type != "invalidFilter" or not isinstance(body.get("filter"), str):
                    raise
                refusal = exc
                continue
            parts.append((resource, params, qs, resource.total(body, params, qs)))
        if not parts and refusal is not None:
            raise refusal
        resources: list[dict[str, Any]] = []
        offset = start - 1
        for resource, params, qs, total in parts:
            if offset >= total:
                offset -= total
                continue
            resources += resource.page(qs, params, offset, count - len(resources))
            offset = 0
        return Response(list_response(resources, sum(p[3] for p in parts), start))
