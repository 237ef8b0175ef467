"""The /scim/v2/ endpoints.

The views derive from django-scim2's ``SCIMView``, but ``dispatch`` and the verbs are ours: the
library's are wrong for a multi-tenant server (it filters lists in Python after loading every
row, counts by iterating, turns unknown filter attributes into match-all, authenticates through
a session middleware and answers errors with an integer ``status``). Every view here
authenticates first (the token decides the organization), scopes every lookup to that
organization and answers every failure with an RFC 7644 error body.
"""

from __future__ import annotations

import json
import logging
import math
import re
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DataError, IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django_scim.views import SCIMView

from orgs.exceptions import DomainError
from orgs.selectors import group_list, group_member_ids, membership_list
from scim.adapters import ScimGroup, ScimUser
from scim.auth import authenticate
from scim.errors import (
    ScimError,
    bad_request,
    error_response,
    from_domain_error,
    not_found,
    scim_json,
    scim_no_content,
)
from scim.filters import apply_filter
from scim.schemas import (
    ENTERPRISE_SCHEMA,
    GROUP_SCHEMA,
    LIST_RESPONSE,
    SEARCH_REQUEST,
    USER_SCHEMA,
    all_schemas,
    resource_types,
    service_provider_config,
)

logger = logging.getLogger(__name__)

ALWAYS_RETURNED = {"id", "schemas", "meta"}
MAX_START_INDEX = 2**31  # beyond any organization; keeps OFFSET inside every database's range


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")  # Python reads NaN/Infinity; RFC 8259 does not


def _load_json(request: HttpRequest) -> Any:
    try:
        text = request.body.decode("utf-8")
        return json.loads(text, parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ScimError(400, "The request body is not valid JSON.", "invalidSyntax") from None


def _uuid_or_404(value: str, resource: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise not_found(resource, value) from None


@method_decorator(csrf_exempt, name="dispatch")
class ScimBaseView(SCIMView):
    """Authenticate, dispatch, and turn every failure into a SCIM error response."""

    http_method_names = ["get", "head", "post", "put", "patch", "delete", "options"]
    allowed: tuple[str, ...] = ("GET",)
    answers_options = True  # OPTIONS lists the methods; False where every method is an error

    def allow(self, **kwargs: Any) -> tuple[str, ...]:
        """The methods this address answers, for ``Allow`` headers (HEAD wherever GET)."""
        methods = list(self.allowed)
        if "GET" in methods:
            methods.insert(methods.index("GET") + 1, "HEAD")
        return tuple(methods)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        method = request.method.upper() if request.method else ""
        response = self._answer(request, method, *args, **kwargs)
        if method == "HEAD":  # GET's status and headers, no body (RFC 9110 §9.3.2)
            response.content = b""
        return response

    def _answer(self, request: HttpRequest, method: str, *args: Any, **kwargs: Any
                ) -> HttpResponse:
        try:
            self.scim = authenticate(request)
            # Parse the query now, whatever the method: one with more parameters than
            # DATA_UPLOAD_MAX_NUMBER_FIELDS is refused before anything is read or written.
            request.GET  # noqa: B018
            if method == "OPTIONS" and self.answers_options:
                return scim_no_content(headers={"Allow": ", ".join(self.allow(**kwargs))})
            verb = "GET" if method == "HEAD" else method
            handler = getattr(self, verb.lower(), None)
            if verb not in self.allowed or handler is None:
                raise ScimError(
                    405, f"{method} is not supported here.",
                    headers={"Allow": ", ".join(self.allow(**kwargs))},
                )
            return handler(request, *args, **kwargs)
        except ScimError as exc:
            return error_response(exc)
        except DomainError as exc:
            return error_response(from_domain_error(exc))
        except RequestDataTooBig:
            return error_response(ScimError(413, "The request body is too large."))
        except TooManyFieldsSent:  # Django's DATA_UPLOAD_MAX_NUMBER_FIELDS, read lazily
            return error_response(bad_request(
                f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} query parameters are allowed."
            ))
        except DataError:  # a value the adapters' own limits did not catch
            logger.warning("SCIM %s %s sent a value the database refused", request.method,
                           request.path)
            return error_response(bad_request("A value is too long or out of range."))
        except IntegrityError:  # a concurrent request won a uniqueness race the service saw
            logger.warning("SCIM %s %s lost a uniqueness race", request.method, request.path)
            return error_response(ScimError(409, "The resource changed concurrently; a unique "
                                                 "value is already taken.", "uniqueness"))
        except Exception:  # never a traceback or a Django HTML page to an IdP
            logger.exception("Unexpected error in SCIM %s %s", request.method, request.path)
            return error_response(ScimError(500, "The request could not be completed."))


# --- discovery -----------------------------------------------------------------------------


class ServiceProviderConfigView(ScimBaseView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return scim_json(service_provider_config())


def _list_document(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return _list_response(resources, len(resources), 1)


class ResourceTypesView(ScimBaseView):
    def get(self, request: HttpRequest, type_id: str | None = None) -> HttpResponse:
        types = resource_types()
        if type_id is None:
            return scim_json(_list_document(types))
        for doc in types:
            if doc["id"] == type_id:
                return scim_json(doc)
        raise not_found("ResourceType", type_id)


class SchemasView(ScimBaseView):
    def get(self, request: HttpRequest, schema_id: str | None = None) -> HttpResponse:
        schemas = all_schemas()
        if schema_id is None:
            return scim_json(_list_document(schemas))
        for doc in schemas:
            if doc["id"] == schema_id:
                return scim_json(doc)
        raise not_found("Schema", schema_id)


class NotFoundView(ScimBaseView):
    """Anything else under /scim/v2/: a SCIM 404, whatever the method."""

    allowed = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    answers_options = False

    def _not_found(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raise ScimError(404, "There is no SCIM resource at this address.")

    get = post = put = patch = delete = options = _not_found


class NotImplementedView(ScimBaseView):
    """Bulk and /Me: RFC 7644 asks for 501 when unsupported."""

    allowed = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
    answers_options = False

    def _not_implemented(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raise ScimError(501, "This SCIM feature is not supported.")

    get = post = put = patch = delete = options = _not_implemented


# --- attribute projection ------------------------------------------------------------------


def _attribute_names(raw: Any, schema_id: str) -> list[tuple[str, str | None]]:
    """``attributes``/``excludedAttributes`` as (top-level key, sub-attribute) pairs."""
    if raw is None:
        return []
    if isinstance(raw, list):
        items = [str(i) for i in raw]
    elif isinstance(raw, str):
        items = raw.split(",")
    else:
        raise bad_request("attributes must be a comma-separated list.")
    names = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        lowered = item.lower()
        if lowered.startswith(ENTERPRISE_SCHEMA.lower()):
            rest = item[len(ENTERPRISE_SCHEMA):].lstrip(":")
            names.append((ENTERPRISE_SCHEMA, rest or None))
            continue
        if lowered.startswith(schema_id.lower() + ":"):
            item = item[len(schema_id) + 1:]
        top, _, sub = item.partition(".")
        names.append((top, sub or None))
    return names


def _only(value: dict[str, Any], subs: set[str]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k.lower() in subs}


def _without(value: dict[str, Any], sub: str) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k.lower() != sub}


def project(
    doc: dict[str, Any], attributes: list[tuple[str, str | None]],
    excluded: list[tuple[str, str | None]],
) -> dict[str, Any]:
    """Apply ``attributes`` / ``excludedAttributes`` (RFC 7644 §3.4.2.5); id, schemas and meta
    are always returned. A sub-attribute (``name.givenName``, ``phoneNumbers.value``) selects
    or drops that key in the complex value, or in each item of a multi-valued one."""
    by_lower = {k.lower(): k for k in doc}
    if attributes:
        out = {k: v for k, v in doc.items() if k in ALWAYS_RETURNED}
        wanted: dict[str, set[str] | None] = {}  # key -> sub-attributes, None for all of it
        for top, sub in attributes:
            key = by_lower.get(top.lower())
            if key is None or key in ALWAYS_RETURNED:
                continue
            if sub is None:
                wanted[key] = None
            elif key not in wanted or wanted[key] is not None:
                wanted.setdefault(key, set()).add(sub.lower())
        for key, subs in wanted.items():
            value = doc[key]
            if subs is None:
                out[key] = value
            elif isinstance(value, dict):
                if picked := _only(value, subs):
                    out[key] = picked
            elif isinstance(value, list):
                items = [_only(i, subs) if isinstance(i, dict) else i for i in value]
                if items := [i for i in items if i]:
                    out[key] = items
            else:
                out[key] = value
        return out
    out = dict(doc)
    for top, sub in excluded:
        key = by_lower.get(top.lower())
        if key is None or key in ALWAYS_RETURNED or key not in out:
            continue
        value = out[key]
        if sub is None:
            out.pop(key)
        elif isinstance(value, dict):
            out[key] = _without(value, sub.lower())
        elif isinstance(value, list):
            out[key] = [_without(i, sub.lower()) if isinstance(i, dict) else i for i in value]
    return out


# --- Users and Groups ----------------------------------------------------------------------


_INTEGER = re.compile(r"\s*([+-]?)0*([0-9]+)\s*")
_HUGE = 10**20  # past any page or offset; _paging clamps it like any other large value


def _int_param(raw: Any, name: str) -> int | None:
    """An integer from a query string or a JSON body. Integral JSON numbers (``2``, ``2.0``,
    ``1e20``) and decimal strings are integers, however large (``_paging`` clamps them);
    booleans, fractions, non-finite numbers (``1e400`` reads as infinity) and other text are
    ``invalidValue``."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        return int(raw)
    match = _INTEGER.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        raise bad_request(f"{name} must be an integer.")
    sign, digits = match.groups()
    value = int(digits) if len(digits) <= 20 else _HUGE  # int() of 5,000 digits is refused
    return -value if sign == "-" else value


def _paging(source: dict[str, Any]) -> tuple[int, int]:
    """startIndex and count as RFC 7644 §3.4.2.4 reads them: below 1 is 1, negative count is
    0, and count is capped at the advertised maxResults."""
    start = _int_param(source.get("startIndex"), "startIndex") or 1
    start = min(max(start, 1), MAX_START_INDEX)
    count = _int_param(source.get("count"), "count")
    max_results = settings.SCIM_MAX_RESULTS
    count = max_results if count is None else max(0, min(count, max_results))
    return start, count


def _list_response(resources: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def _search_body(request: HttpRequest) -> dict[str, Any]:
    body = _load_json(request)
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a SearchRequest.", "invalidSyntax")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or SEARCH_REQUEST not in schemas):
        raise ScimError(400, "The body must be a SearchRequest.", "invalidSyntax")
    return body


class ResourceView(ScimBaseView):
    """GET list/one, POST, PUT, PATCH, DELETE for one resource type."""

    resource = ""
    schema_id = ""
    allowed = ("GET", "POST", "PUT", "PATCH", "DELETE")

    def allow(self, resource_id: str | None = None, **kwargs: Any) -> tuple[str, ...]:
        if resource_id is None:
            return ("GET", "HEAD", "POST")
        if resource_id == ".search":
            return ("POST",)
        return ("GET", "HEAD", "PUT", "PATCH", "DELETE")

    def _refuse(self, resource_id: str | None, detail: str) -> ScimError:
        return ScimError(405, detail, headers={"Allow": ", ".join(self.allow(resource_id))})

    # hooks
    def queryset(self, *, with_members: bool = True) -> QuerySet:
        raise NotImplementedError

    def adapter(self, obj: Any) -> Any:
        raise NotImplementedError

    def create(self, body: Any) -> Any:
        raise NotImplementedError

    def render(self, obj: Any, params: dict[str, Any]) -> dict[str, Any]:
        return self.adapter(obj).to_dict()

    def prepare(self, objs: list[Any], params: dict[str, Any]) -> None:
        """Load what rendering ``objs`` needs beyond the queryset, in a fixed number of
        queries for the whole page."""

    # helpers
    def _params(self, source: dict[str, Any]) -> dict[str, Any]:
        attributes = source.get("attributes")
        excluded = source.get("excludedAttributes")
        if attributes and excluded:
            raise bad_request("Use either attributes or excludedAttributes, not both.")
        return {
            "attributes": _attribute_names(attributes, self.schema_id),
            "excluded": _attribute_names(excluded, self.schema_id),
        }

    def _wants_members(self, params: dict[str, Any]) -> bool:
        if params["attributes"]:
            return any(top.lower() == "members" for top, _ in params["attributes"])
        return not any(top.lower() == "members" and sub is None for top, sub in params["excluded"])

    def _one(self, resource_id: str, params: dict[str, Any] | None = None) -> Any:
        pk = _uuid_or_404(resource_id, self.resource)
        # Writes do not render the old members: only the reloaded object is rendered.
        with_members = self._wants_members(params) if params else False
        obj = self.queryset(with_members=with_members).filter(pk=pk).first()
        if obj is None:
            raise not_found(self.resource, resource_id)
        return obj

    def _respond(self, obj: Any, params: dict[str, Any], status: int = 200) -> HttpResponse:
        self.prepare([obj], params)
        adapter = self.adapter(obj)
        doc = project(self.render(obj, params), params["attributes"], params["excluded"])
        return scim_json(doc, status=status, headers={"Location": adapter.location})

    def _reload(self, obj: Any) -> Any:
        return self.queryset().get(pk=obj.pk)

    # verbs
    def get(self, request: HttpRequest, resource_id: str | None = None) -> HttpResponse:
        if resource_id == ".search":
            raise self._refuse(resource_id, "GET is not supported here.")
        params = self._params(request.GET)
        if resource_id is not None:
            return self._respond(self._one(resource_id, params), params)
        return self._list(request.GET, params)

    def _filtered(self, source: dict[str, Any], params: dict[str, Any]) -> QuerySet:
        qs = self.queryset(with_members=self._wants_members(params))
        text = source.get("filter")
        if text is not None:
            if not isinstance(text, str):
                raise ScimError(400, "filter must be a string.", "invalidFilter")
            qs = apply_filter(qs, text, self.resource)
        return qs

    def _page(self, qs: QuerySet, params: dict[str, Any], offset: int, count: int) -> list:
        page = list(qs[offset:offset + count]) if count > 0 else []
        self.prepare(page, params)
        return [
            project(self.render(obj, params), params["attributes"], params["excluded"])
            for obj in page
        ]

    def _list(self, source: dict[str, Any], params: dict[str, Any]) -> HttpResponse:
        start, count = _paging(source)
        qs = self._filtered(source, params)
        total = qs.count()
        return scim_json(_list_response(self._page(qs, params, start - 1, count), total, start))

    def post(self, request: HttpRequest, resource_id: str | None = None) -> HttpResponse:
        if resource_id == ".search":
            body = _search_body(request)
            return self._list(body, self._params(body))
        if resource_id is not None:
            raise self._refuse(resource_id, "POST is only allowed on the collection.")
        body = _load_json(request)
        obj = self.create(body)
        return self._respond(self._reload(obj), self._params(request.GET), status=201)

    def _require_id(self, resource_id: str | None, method: str) -> str:
        if resource_id is None or resource_id == ".search":
            raise self._refuse(resource_id, f"{method} needs a resource id.")
        return resource_id

    def put(self, request: HttpRequest, resource_id: str | None = None) -> HttpResponse:
        obj = self._one(self._require_id(resource_id, "PUT"))
        body = _load_json(request)
        self.adapter(obj).replace(body)
        return self._respond(self._reload(obj), self._params(request.GET))

    def patch(self, request: HttpRequest, resource_id: str | None = None) -> HttpResponse:
        obj = self._one(self._require_id(resource_id, "PATCH"), None)
        body = _load_json(request)
        self.adapter(obj).patch(body)
        return self._respond(self._reload(obj), self._params(request.GET))

    def delete(self, request: HttpRequest, resource_id: str | None = None) -> HttpResponse:
        obj = self._one(self._require_id(resource_id, "DELETE"), None)
        self.adapter(obj).delete()
        return scim_no_content()


class UsersView(ResourceView):
    resource = "User"
    schema_id = USER_SCHEMA

    def queryset(self, *, with_members: bool = True) -> QuerySet:
        org = self.scim.organization
        return membership_list(organization=org).select_related("scim_profile")

    def adapter(self, obj: Any) -> ScimUser:
        return ScimUser(obj, self.scim)

    def create(self, body: Any) -> Any:
        return ScimUser.create(body, self.scim)


class GroupsView(ResourceView):
    resource = "Group"
    schema_id = GROUP_SCHEMA

    def queryset(self, *, with_members: bool = True) -> QuerySet:
        # Members are loaded per page by ``prepare`` as bare id pairs: a page of 100 groups of
        # 500 members is 50,000 rows, too many to build model instances for.
        return group_list(organization=self.scim.organization, with_members=False)

    def adapter(self, obj: Any) -> ScimGroup:
        return ScimGroup(obj, self.scim)

    def create(self, body: Any) -> Any:
        return ScimGroup.create(body, self.scim)

    def prepare(self, objs: list[Any], params: dict[str, Any]) -> None:
        if objs and self._wants_members(params):
            member_ids = group_member_ids(groups=objs)
            for group in objs:
                group.scim_member_ids = member_ids[group.pk]

    def render(self, obj: Any, params: dict[str, Any]) -> dict[str, Any]:
        member_ids = getattr(obj, "scim_member_ids", None)
        return ScimGroup(obj, self.scim).to_dict(member_ids=member_ids)


class RootSearchView(ScimBaseView):
    """POST /.search (RFC 7644 §3.4.3): one query over Users then Groups, paged as one list.

    A filter naming an attribute only one resource type has matches nothing of the other; a
    filter neither type understands is ``invalidFilter``. Cost: a count and a page per type.
    """

    allowed = ("POST",)

    def post(self, request: HttpRequest) -> HttpResponse:
        body = _search_body(request)
        start, count = _paging(body)
        parts = []
        refusal: ScimError | None = None
        for view_class in (UsersView, GroupsView):
            view = view_class()
            view.scim = self.scim
            params = view._params(body)
            try:
                qs = view._filtered(body, params)
            except ScimError as exc:
                if exc.scim_type != "invalidFilter" or not isinstance(body.get("filter"), str):
                    raise
                refusal = exc
                continue
            parts.append((view, params, qs, qs.count()))
        if not parts and refusal is not None:
            raise refusal
        resources: list[dict[str, Any]] = []
        offset = start - 1
        for view, params, qs, total in parts:
            if offset >= total:
                offset -= total
                continue
            resources += view._page(qs, params, offset, count - len(resources))
            offset = 0
        return scim_json(_list_response(resources, sum(p[3] for p in parts), start))
