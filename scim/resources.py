"""What the SCIM views of one resource type share: querying, filtering, paging (startIndex
and RFC 9865 cursors) and rendering Users and Groups, at a fixed number of queries a page.

Every query is scoped to the token's organization (``self.scim``, set by the view).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import Tuple
from django_scim.utils import get_group_adapter, get_user_adapter
from rest_framework.response import Response

from config.lookups import RowAfter
from config.prepared_queries import prepared
from orgs.list_positions import PageStart, page_ids_query, page_start
from orgs.list_positions import Position as ListPosition
from orgs.models import Group, Membership, Organization
from orgs.selectors import (
    group_list,
    group_member_ids,
    membership_group_refs,
    membership_list,
    membership_list_state,
)
from scim.errors import ScimError, not_found
from scim.filters import apply_filter, keyed_equality
from scim.listed_members import COLUMNS as LISTED_COLUMNS
from scim.listed_members import SHOWN_FIELDS, ListedMember
from scim.listing import (
    Position,
    attribute_names,
    cursor_decode,
    cursor_encode,
    cursor_list_response,
    cursor_paging,
    list_response,
    paging,
    project,
)
from scim.schemas import GROUP_SCHEMA, USER_SCHEMA


def after_position(at: Any) -> RowAfter:
    """The resources after ``at`` (its ``created_at`` and ``pk``) in the (created_at, id)
    order every list is kept in: ``(created_at, id) > (…, …)``, a row-value comparison the
    (organization, created_at, id) index seeks to, on both databases (``RowAfter``). The form
    ``created_at >= … AND (created_at > … OR id > …)`` made PostgreSQL walk every member
    sharing that created_at (a bulk import's thousands) before the first one after ``at``."""
    return RowAfter(Tuple(F("created_at"), F("pk")), (at.created_at, at.pk))


def is_filtered(source: Any) -> bool:
    """Whether a list request narrows the list with a SCIM ``filter``."""
    return source.get("filter") is not None


class Resource:
    """What the collection, item and search views of one resource type share."""

    resource = ""
    schema_id = ""
    related = ""  # the attribute that costs a query of its own: a user's groups, a group's members

    def queryset(self, *, with_members: bool = True) -> QuerySet:
        return self.queryset_for(self.scim.organization)

    def queryset_for(self, organization: Organization) -> QuerySet:
        """The resources of ``organization``, as every read starts from them."""
        raise NotImplementedError

    def prepared_rows(self, key: tuple, build: Any, *args: uuid.UUID | str | datetime | int
                      ) -> list[Any]:
        """``build(queryset, organization_id, *args)``'s rows for the caller's organization
        (``queryset`` is ``queryset_for`` it), its SQL compiled
        once per connection for ``key`` (``config.prepared_queries``): the reads IdPs repeat
        thousands of times, whose ORM compilation costs more than the query."""
        return prepared(
            (self.resource, *key),
            lambda organization_id, *values: build(
                self.queryset_for(Organization(pk=organization_id)), organization_id, *values),
            [self.scim.organization.pk, *args], [uuid.UUID, *(type(a) for a in args)],
        )

    def adapter(self, obj: Any) -> Any:
        raise NotImplementedError

    def new(self) -> Any:
        """An unsaved object for a create, scoped to the caller's organization."""
        raise NotImplementedError

    def one(self, resource_id: str, params: dict[str, Any] | None = None) -> Any:
        try:
            pk = uuid.UUID(resource_id)
        except ValueError:
            raise not_found(self.resource, resource_id) from None
        # Members (a user's groups, a group's members) are loaded by ``prepare``.
        found = self.prepared_rows(("one",), lambda qs, _, pk: qs.filter(pk=pk).order_by()[:1],
                                   pk)
        if not found:
            raise not_found(self.resource, resource_id)
        return found[0]

    def write_target(self, pk: Any) -> Any:
        """The object a PUT or PATCH of ``pk`` hands its adapter: an id only, in the caller's
        organization. The provisioning service reads it under its row lock (and answers
        NotFound), so reading it here first would be a query for nothing."""
        obj = self.new()
        obj.pk = pk
        obj._state.adding = False  # an existing resource, for the adapter: an update
        return obj

    def prepare(self, objs: list[Any], params: dict[str, Any]) -> None:
        """Load what rendering ``objs`` needs beyond the queryset, in a fixed number of
        queries for the whole page."""

    def written(self, obj: Any, *, created: bool, params: dict[str, Any]) -> None:
        """Load what rendering an object a service just wrote needs beyond the object itself
        (the services return it as written, so it is not read again)."""
        self.prepare([obj], params)

    def render(self, obj: Any, params: dict[str, Any]) -> dict[str, Any]:
        return self.adapter(obj).to_dict()

    def document(self, obj: Any, params: dict[str, Any]) -> dict[str, Any]:
        return project(self.render(obj, params), params["attributes"], params["excluded"])

    def params(self, source: Any) -> dict[str, Any]:
        attributes, excluded = source.get("attributes"), source.get("excludedAttributes")
        if attributes and excluded:
            raise ScimError(400, "Use either attributes or excludedAttributes, not both.",
                            "invalidValue")
        return {"attributes": attribute_names(attributes, self.schema_id),
                "excluded": attribute_names(excluded, self.schema_id)}

    def wants_members(self, params: dict[str, Any]) -> bool:
        """Whether the answer shows ``related`` (members of a group, groups of a user)."""
        if params["attributes"]:
            return any(top.lower() == self.related for top, _ in params["attributes"])
        return not any(top.lower() == self.related and sub is None
                       for top, sub in params["excluded"])

    def filtered(self, source: Any, params: dict[str, Any]) -> QuerySet:
        qs = self.queryset(with_members=self.wants_members(params))
        text = source.get("filter")
        if text is not None:
            if not isinstance(text, str):
                raise ScimError(400, "filter must be a string.", "invalidFilter")
            qs = apply_filter(qs, text, self.resource, self.scim.organization.pk)
        return qs

    def total(self, source: Any, params: dict[str, Any], qs: QuerySet | None = None) -> int:
        """How many resources the list ``source`` asks for has in all: a COUNT of ``qs``, its
        filtered queryset (built here when the caller had no need of it)."""
        return (qs if qs is not None else self.filtered(source, params)).count()

    def page_start(self, source: Any, offset: int) -> PageStart | None:
        """Where the page ``offset`` resources into the whole list starts, for a resource that
        keeps positions of it (``UserResource``); None: the page walks its queryset."""
        return None

    def listed(self, qs: QuerySet) -> QuerySet:
        """What a list page reads of each resource (``UserResource``: plain rows)."""
        return qs

    def as_listed(self, rows: list[Any]) -> list[Any]:
        """The objects a page renders, from what ``listed`` read."""
        return rows

    def rows(self, qs: QuerySet, offset: int, count: int,
             start: PageStart | None = None) -> list[Any]:
        if count <= 0:
            return []
        if not offset:
            return self.as_listed(list(self.listed(qs)[:count]))
        # A deep page: the offset is walked on the (organization, created_at, id) index alone
        # (an index-only scan on PostgreSQL), and only the page's own rows are read and joined.
        page = qs.filter(pk__any=qs.values("pk")[offset:offset + count])
        return self.as_listed(list(self.listed(page)))

    def page(self, qs: QuerySet, params: dict[str, Any], offset: int, count: int) -> list:
        objs = self.rows(qs, offset, count)
        self.prepare(objs, params)
        return [self.document(obj, params) for obj in objs]

    def first_page(self, source: Any, count: int) -> list[Any] | None:
        """A first page in a shape IdPs repeat (the whole list, or one ``eq`` on a lookup
        key), through a prepared query; None for any other."""
        if count <= 0:
            return None
        text = source.get("filter")
        if text is None:
            return self.as_listed(self.prepared_rows(
                ("page", count), lambda qs, _: self.listed(qs)[:count]))
        if not isinstance(text, str):
            return None
        equality = keyed_equality(text, self.resource)
        if equality is None:
            return None
        attribute, value = equality
        return self.as_listed(self.prepared_rows(
            ("eq", attribute, count),
            lambda qs, organization_id, v: self.listed(apply_filter(
                qs, f'{attribute} eq "{v}"', self.resource, organization_id))[:count],
            value,
        ))

    def listing(self, source: Any) -> dict[str, Any]:
        params = self.params(source)
        if "cursor" in source:
            return self.cursor_listing(source, params)
        start, count = paging(source)
        offset = start - 1
        objs = self.first_page(source, count) if not offset else None
        qs = None
        if objs is None:
            qs = self.filtered(source, params)
            objs = self.rows(qs, offset, count, self.page_start(source, offset))
        self.prepare(objs, params)
        # A short page ends the list: its total needs no count.
        ends = len(objs) < count and (objs or not offset)
        total = offset + len(objs) if ends else self.total(source, params, qs)
        return list_response([self.document(obj, params) for obj in objs], total, start)

    def cursor_listing(self, source: Any, params: dict[str, Any]) -> dict[str, Any]:
        """RFC 9865 cursor paging: each page starts after the last one's (created_at, id), so
        every page costs the same however deep. The first page counts the list; later pages
        report that count, carried in the cursor, rather than count again (a member added or
        removed during the walk changes the pages, not the figure)."""
        # A filter is read first, as for startIndex paging: a bad one is the error to report.
        qs = self.filtered(source, params) if is_filtered(source) else None
        cursor, count = cursor_paging(source)
        at = cursor_decode(self.resource, cursor) if cursor else None
        objs = self.cursor_rows(qs, at, count + 1)
        more = len(objs) > count
        objs = objs[:count]
        self.prepare(objs, params)
        total = at.total if at is not None else None
        if total is None:
            total = len(objs) if not more else self.total(source, params, qs)
        next_cursor = (cursor_encode(self.resource, Position(objs[-1].created_at, objs[-1].pk,
                                                             total)) if more else None)
        return cursor_list_response([self.document(obj, params) for obj in objs], total,
                                    next_cursor)

    def cursor_rows(self, qs: QuerySet | None, at: Position | None, limit: int) -> list[Any]:
        """The first ``limit`` resources of the filtered ``qs`` (None: the whole list) after
        ``at`` (from the start when None). The whole list's pages (what IdPs walk) run through
        prepared queries: compiling the page's query cost about 1.5 ms of a cursor page's
        CPU."""
        if qs is not None:
            page = qs
            if at is not None:
                page = page.filter(after_position(at))
            return self.as_listed(list(self.listed(page)[:limit]))
        if at is None:
            return self.as_listed(self.prepared_rows(
                ("page", limit), lambda qs, _: self.listed(qs)[:limit]))
        return self.as_listed(self.prepared_rows(
            ("after", limit),
            lambda qs, _, created_at, pk: self.listed(
                qs.filter(after_position(ListPosition(created_at, pk))))[:limit],
            at.created_at, at.pk))

    def respond(self, obj: Any, params: dict[str, Any], status: int = 200) -> Response:
        self.written(obj, created=status == 201, params=params)
        return Response(self.document(obj, params), status=status,
                        headers={"Location": self.adapter(obj).location})


class UserResource(Resource):
    resource = "User"
    schema_id = USER_SCHEMA
    related = "groups"

    def queryset_for(self, organization: Organization) -> QuerySet:
        # Groups are loaded per page by ``prepare``, as bare (id, name) pairs. Only the columns
        # a SCIM User shows are read: a page of 100 builds half the attributes (the services
        # that write a member read it afresh under its lock).
        return membership_list(
            organization=organization, with_groups=False
        ).select_related("scim_profile").only(*SHOWN_FIELDS)

    def adapter(self, obj: Any) -> Any:
        return get_user_adapter()(obj, self.request)

    def new(self) -> Any:
        return Membership(organization=self.scim.organization)

    def prepare(self, objs: list[Any], params: dict[str, Any]) -> None:
        objs = [m for m in objs if not hasattr(m, "scim_groups")]  # known already
        refs = membership_group_refs(memberships=objs) if self.wants_members(params) else {}
        for obj in objs:
            obj.scim_groups = refs.get(obj.pk, [])  # [] when not shown: not read at all

    def written(self, obj: Any, *, created: bool, params: dict[str, Any]) -> None:
        if created:
            obj.scim_groups = []  # groups are pushed to a member after it is created
        self.prepare([obj], params)

    def render(self, obj: Any, params: dict[str, Any]) -> dict[str, Any]:
        return self.adapter(obj).to_dict(groups=getattr(obj, "scim_groups", None))

    def page_start(self, source: Any, offset: int) -> PageStart | None:
        """Unfiltered, a deep page starts from the nearest position ``orgs.list_positions``
        remembers, so its cost does not grow with the directory."""
        if is_filtered(source):
            return None
        return page_start(self.scim.organization.pk, offset, self.list_state)

    def rows(self, qs: QuerySet, offset: int, count: int,
             start: PageStart | None = None) -> list[Any]:
        """A deep page of the whole list in one prepared statement: the members whose ids
        ``orgs.list_positions.page_ids_query`` selects from the position before the page (an
        index-only walk), joined to their rows. Nothing is compiled again, and the ids do not
        travel to the worker and back as a statement of their own."""
        if start is None or not offset or count <= 0:
            return super().rows(qs, offset, count, start)
        # From a position, its created_at and id are arguments; from the list's start, none.
        after = (start.after.created_at, start.after.pk) if start.after is not None else ()
        return self.as_listed(self.prepared_rows(
            ("deep", len(after)),
            lambda qs, organization_id, *values: self.listed(qs.filter(pk__any=page_ids_query(
                organization_id, ListPosition(*values[:-2]) if values[:-2] else None,
                *values[-2:]))),
            *after, count, start.skip))

    def listed(self, qs: QuerySet) -> QuerySet:
        """Plain rows of what a SCIM User shows (``scim.listed_members``), not instances."""
        return qs.values_list(*LISTED_COLUMNS)

    def as_listed(self, rows: list[Any]) -> list[Any]:
        return [ListedMember(row) for row in rows]

    def list_state(self) -> tuple[int, int | None]:
        """The member count and list version (``membership_list_state``), read once for
        the request: a deep page needs both, for its start and its total."""
        if not hasattr(self, "_list_state"):
            self._list_state = membership_list_state(organization_id=self.scim.organization.pk)
        return self._list_state

    def total(self, source: Any, params: dict[str, Any], qs: QuerySet | None = None) -> int:
        """Unfiltered, the list is every member of the organization: the count the database
        keeps, one primary-key lookup, instead of a COUNT that grows with the directory
        (Okta's Test Connector, every full import page, a first cursor page)."""
        if is_filtered(source):
            return super().total(source, params, qs)
        return self.list_state()[0]


class GroupResource(Resource):
    resource = "Group"
    schema_id = GROUP_SCHEMA
    related = "members"

    def queryset_for(self, organization: Organization) -> QuerySet:
        # Members are loaded per page by ``prepare`` as bare id pairs: a page of 100 groups of
        # 500 members is 50,000 rows, too many to build model instances for.
        return group_list(organization=organization, with_members=False)

    def adapter(self, obj: Any) -> Any:
        return get_group_adapter()(obj, self.request)

    def new(self) -> Any:
        return Group(organization=self.scim.organization)

    def prepare(self, objs: list[Any], params: dict[str, Any]) -> None:
        objs = [g for g in objs if not hasattr(g, "scim_member_ids")]  # known already
        if objs and self.wants_members(params):
            member_ids = group_member_ids(groups=objs)
            for group in objs:
                group.scim_member_ids = member_ids[group.pk]

    def render(self, obj: Any, params: dict[str, Any]) -> dict[str, Any]:
        return self.adapter(obj).to_dict(member_ids=getattr(obj, "scim_member_ids", None))
