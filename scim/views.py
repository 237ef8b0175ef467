"""The /scim/v2/ endpoints, on the DRF pipeline of ``scim.http``.

Every lookup is scoped to the token's organization. The views parse the protocol (paging,
``attributes``, filters, search bodies) and hand bodies to the adapters, which record the change
and apply it with one provisioning service call; rendering is the adapters' ``to_dict``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django_scim.utils import get_group_adapter, get_user_adapter
from rest_framework.request import Request
from rest_framework.response import Response

from orgs.selectors import group_list, group_member_ids, membership_list
from scim.errors import ScimError, not_found
from scim.filters import apply_filter
from scim.http import ScimView
from scim.listing import attribute_names, list_document, list_response, paging, project
from scim.patch import operations_of
from scim.schemas import (
    GROUP_SCHEMA,
    SEARCH_REQUEST,
    USER_SCHEMA,
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


class _Resource:
    """What the collection, item and search views of one resource type share."""

    resource = ""
    schema_id = ""

    def queryset(self, *, with_members: bool = True) -> QuerySet:
        raise NotImplementedError

    def adapter(self, obj: Any) -> Any:
        raise NotImplementedError

    def new(self) -> Any:
        """An unsaved object for a create, scoped to the caller's organization."""
        raise NotImplementedError

    def prepare(self, objs: list[Any], params: dict[str, Any]) -> None:
        """Load what rendering ``objs`` needs beyond the queryset, in a fixed number of
        queries for the whole page."""

    def render(self, obj: Any, params: dict[str, Any]) -> dict[str, Any]:
        return self.adapter(obj).to_dict()

    def params(self, source: Any) -> dict[str, Any]:
        attributes, excluded = source.get("attributes"), source.get("excludedAttributes")
        if attributes and excluded:
            raise ScimError(400, "Use either attributes or excludedAttributes, not both.",
                            "invalidValue")
        return {"attributes": attribute_names(attributes, self.schema_id),
                "excluded": attribute_names(excluded, self.schema_id)}

    def wants_members(self, params: dict[str, Any]) -> bool:
        if params["attributes"]:
            return any(top.lower() == "members" for top, _ in params["attributes"])
        return not any(top.lower() == "members" and sub is None for top, sub in params["excluded"])

    def filtered(self, source: Any, params: dict[str, Any]) -> QuerySet:
        qs = self.queryset(with_members=self.wants_members(params))
        text = source.get("filter")
        if text is not None:
            if not isinstance(text, str):
                raise ScimError(400, "filter must be a string.", "invalidFilter")
            qs = apply_filter(qs, text, self.resource)
        return qs

    def page(self, qs: QuerySet, params: dict[str, Any], offset: int, count: int) -> list:
        objs = list(qs[offset:offset + count]) if count > 0 else []
        self.prepare(objs, params)
        return [project(self.render(obj, params), params["attributes"], params["excluded"])
                for obj in objs]

    def listing(self, source: Any) -> dict[str, Any]:
        params = self.params(source)
        start, count = paging(source)
        qs = self.filtered(source, params)
        return list_response(self.page(qs, params, start - 1, count), qs.count(), start)

    def respond(self, obj: Any, params: dict[str, Any], status: int = 200) -> Response:
        obj = self.queryset(with_members=True).get(pk=obj.pk)  # as written, for the answer
        self.prepare([obj], params)
        doc = project(self.render(obj, params), params["attributes"], params["excluded"])
        return Response(doc, status=status, headers={"Location": self.adapter(obj).location})


class _UserResource(_Resource):
    resource = "User"
    schema_id = USER_SCHEMA

    def queryset(self, *, with_members: bool = True) -> QuerySet:
        return membership_list(organization=self.scim.organization).select_related(
            "scim_profile"
        )

    def adapter(self, obj: Any) -> Any:
        return get_user_adapter()(obj, self.request)

    def new(self) -> Any:
        return self.queryset().model(organization=self.scim.organization)


class _GroupResource(_Resource):
    resource = "Group"
    schema_id = GROUP_SCHEMA

    def queryset(self, *, with_members: bool = True) -> QuerySet:
        # Members are loaded per page by ``prepare`` as bare id pairs: a page of 100 groups of
        # 500 members is 50,000 rows, too many to build model instances for.
        return group_list(organization=self.scim.organization, with_members=False)

    def adapter(self, obj: Any) -> Any:
        return get_group_adapter()(obj, self.request)

    def new(self) -> Any:
        return self.queryset().model(organization=self.scim.organization)

    def prepare(self, objs: list[Any], params: dict[str, Any]) -> None:
        if objs and self.wants_members(params):
            member_ids = group_member_ids(groups=objs)
            for group in objs:
                group.scim_member_ids = member_ids[group.pk]

    def render(self, obj: Any, params: dict[str, Any]) -> dict[str, Any]:
        return self.adapter(obj).to_dict(member_ids=getattr(obj, "scim_member_ids", None))


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

    def one(self, resource_id: str, params: dict[str, Any] | None = None) -> Any:
        try:
            pk = uuid.UUID(resource_id)
        except ValueError:
            raise not_found(self.resource, resource_id) from None
        # Writes render only the reloaded object, so they load no members here.
        with_members = self.wants_members(params) if params else False
        obj = self.queryset(with_members=with_members).filter(pk=pk).first()
        if obj is None:
            raise not_found(self.resource, resource_id)
        return obj

    def get(self, request: Request, resource_id: str) -> Response:
        params = self.params(request.query_params)
        obj = self.one(resource_id, params)
        self.prepare([obj], params)
        doc = project(self.render(obj, params), params["attributes"], params["excluded"])
        return Response(doc, headers={"Location": self.adapter(obj).location})

    def put(self, request: Request, resource_id: str) -> Response:
        adapter = self.adapter(self.one(resource_id))
        adapter.from_dict(self.body(request))
        adapter.save()
        return self.respond(adapter.obj, self.params(request.query_params))

    def patch(self, request: Request, resource_id: str) -> Response:
        adapter = self.adapter(self.one(resource_id))
        adapter.handle_operations(operations_of(self.body(request)))
        adapter.save()
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


class UsersView(_UserResource, _CollectionView):
    pass


class UserView(_UserResource, _ItemView):
    pass


class UsersSearchView(_UserResource, _SearchView):
    pass


class GroupsView(_GroupResource, _CollectionView):
    pass


class GroupView(_GroupResource, _ItemView):
    pass


class GroupsSearchView(_GroupResource, _SearchView):
    pass


class RootSearchView(ScimView):
    """POST /.search (RFC 7644 §3.4.3): one query over Users then Groups, paged as one list.

    A filter naming an attribute only one resource type has matches nothing of the other; a
    filter neither type understands is ``invalidFilter``. Cost: a count and a page per type.
    """

    allowed = ("POST",)

    def post(self, request: Request) -> Response:
        body = search_body(self, request)
        start, count = paging(body)
        parts = []
        refusal: ScimError | None = None
        for resource_class in (_UserResource, _GroupResource):
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
            parts.append((resource, params, qs, qs.count()))
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
