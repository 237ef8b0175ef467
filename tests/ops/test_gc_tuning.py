"""The production server's workers tune the garbage collector once Django is loaded
(``config/gunicorn.conf.py``'s ``post_worker_init``, ``config.gc_tuning``)."""

from __future__ import annotations

import gc
import runpy
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from config import gc_tuning

CONF = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"


@pytest.fixture
def restored_gc():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_worker_freezes_what_it_loaded_and_collects_young_objects_less_often(restored_gc):
    hook = runpy.run_path(str(CONF))["post_worker_init"]
    gc.unfreeze()
    hook(worker=None)
    assert gc.get_threshold() == (gc_tuning.YOUNG, gc_tuning.OLDER, gc_tuning.OLDER)
    assert gc.get_freeze_count() > 10_000  # Django, its apps and the test run's objects


@pytest.mark.django_db
def test_a_worker_frees_a_finished_requests_cycles_between_requests(restored_gc, org):
    """A request leaves objects in reference cycles (Django's request and its message storage,
    DRF's request and view): gunicorn's ``post_request`` collects them once the answer is sent,
    so they never pile up into a collection of thousands of objects in a later request."""
    from config.handlers import Request
    from orgs.audit import Actor
    from scim.services.tokens import scim_token_create
    from tests.scim.conftest import wsgi_request

    bearer = {"Authorization": "Bearer " + scim_token_create(
        organization=org, actor=Actor.system(), description="Okta").plaintext}

    def live_requests() -> set[int]:
        # type(), not isinstance(): a dead weak proxy among the objects raises on it
        return {id(o) for o in gc.get_objects() if issubclass(type(o), Request)}

    def requests_left(after: Callable[[], None]) -> int:
        """Django requests left in memory after two SCIM requests, each followed by ``after``
        as gunicorn follows a request with ``post_request`` (not counting the requests that
        earlier tests still hold: alive, their ids are not reused)."""
        gc.collect()
        before = live_requests()
        gc.disable()  # the interpreter collects nothing on its own meanwhile
        try:
            for path in ("/scim/v2/ServiceProviderConfig", "/scim/v2/Users"):
                assert wsgi_request("GET", path, headers=bearer).status_code == 200
                after()
            return len(live_requests() - before)
        finally:
            gc.enable()

    assert requests_left(after=lambda: None) == 2  # in cycles, for the collector
    hooks = runpy.run_path(str(CONF))
    hooks["post_worker_init"](worker=None)
    after = partial(hooks["post_request"], worker=None, req=None, environ={}, resp=None)
    assert requests_left(after) == 0
    assert gc.get_count()[0] < 1_000  # the next request starts with a young generation ~empty


def test_the_older_generations_are_collected_on_a_schedule(restored_gc):
    """Collected after every request, the young generation never reaches its threshold, so
    the interpreter would never collect the older ones: the worker does, the middle one every
    ``OLDER`` requests and all of them every ``OLDER * FULL_EVERY``."""
    gc.collect()
    for _ in range(gc_tuning.OLDER - 1):
        gc_tuning.collect_finished_request()
    assert gc.get_count()[1:] == (gc_tuning.OLDER - 1, 0)
    gc_tuning.collect_finished_request()
    assert gc.get_count()[1:] == (0, 1)
    full = gc.get_stats()[2]["collections"]
    for _ in range(gc_tuning.OLDER * gc_tuning.FULL_EVERY - gc_tuning.OLDER):
        gc_tuning.collect_finished_request()
    assert gc.get_stats()[2]["collections"] == full
    gc_tuning.collect_finished_request()
    assert gc.get_stats()[2]["collections"] == full + 1
    assert gc.get_count()[1:] == (0, 0)
