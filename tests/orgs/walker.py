"""A small crawler for the admin: from a start page, GET every same-site ``/admin/`` link it
finds (``href``, ``form action``, redirect targets), breadth first, until a page budget.

The seeds go first; then links with fewer query parameters. Links are told apart by their
path and query, except that the values of ``WILDCARD_PARAMS`` (sort order, page number) don't
count and ``DROPPED_PARAMS`` (the filters a change page carries back to its list) are
dropped: one of each is enough, and all of them would be thousands of pages. Links with more
than ``MAX_PARAMS`` parameters (combinations of filters) are left out, so the walk sees every
page and each filter value, sort, page and facet link on its own. Nothing is POSTed: the walk
changes nothing.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.test import Client

SKIP_PREFIXES = ("/admin/logout/",)
WILDCARD_PARAMS = frozenset({"o", "p"})
DROPPED_PARAMS = frozenset({"_changelist_filters"})
MAX_PARAMS = 1


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "form": "action"}.get(tag)
        for name, value in attrs:
            if value is not None and (name == wanted or name == "data-ajax--url"):
                self.links.append(value)


def canonical(url: str) -> str:
    """Path plus sorted query, without fragment; '' for anything outside the admin."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or not parts.path.startswith("/admin/"):
        return ""
    if parts.path.startswith(SKIP_PREFIXES):
        return ""
    params = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode(sorted((k, v) for k, v in params if k not in DROPPED_PARAMS))
    return parts.path + (f"?{query}" if query else "")


def shape(url: str) -> str:
    parts = urlsplit(url)
    params = sorted(
        (name, "*" if name in WILDCARD_PARAMS else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return f"{parts.path}?{params}"


def links_in(page_url: str, body: str) -> list[str]:
    parser = _Links()
    parser.feed(body)
    found = []
    for link in parser.links:
        url = canonical(urljoin(page_url, link.strip()))
        if url:
            found.append(url)
    return found


@dataclass
class Page:
    url: str
    status: int
    body: str


@dataclass
class Walk:
    pages: dict[str, Page] = field(default_factory=dict)
    queued: int = 0  # links found but not visited (budget reached)


def walk(client: Client, seeds: list[str], *, budget: int, **request_kwargs: Any) -> Walk:
    """GET ``seeds`` and everything reachable from them under /admin/, at most ``budget``."""
    result = Walk()
    heap: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    counter = 0

    def push(url: str, rank: int | None = None) -> None:
        nonlocal counter
        url = canonical(url)
        if not url or shape(url) in seen:
            return
        params = len(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        if rank is None and params > MAX_PARAMS:
            return
        seen.add(shape(url))
        counter += 1
        heapq.heappush(heap, (params if rank is None else rank, counter, url))

    for seed in seeds:
        push(seed, rank=-1)  # the seeds first, whatever their query
    while heap and len(result.pages) < budget:
        _, _, url = heapq.heappop(heap)
        response = client.get(url, **request_kwargs)
        body = response.content.decode("utf-8", "replace")
        result.pages[url] = Page(url, response.status_code, body)
        if response.status_code in (301, 302, 303, 307, 308):
            push(urljoin(url, response["Location"]))
        elif "html" in response.get("Content-Type", ""):
            for link in links_in(url, body):
                push(link)
    result.queued = len(heap)
    return result
