"""The garbage collector's settings for a server worker (gunicorn's ``post_worker_init``).

A page of 100 SCIM Users allocates tens of thousands of short-lived objects (rows, model
instances, documents). With CPython's defaults (a collection of the youngest generation every
700 allocations) a page runs dozens of collections, and the older generations' collections
rescan everything Django loaded at start (modules, URLconf, models: hundreds of thousands of
objects that live as long as the worker). Measured in process on a 100-user page: 5.9 → 4.9 ms
of CPU; a one-row lookup does not change.

- ``gc.freeze()`` after start moves what is loaded so far out of every later scan (Instagram's
  tuning for Django workers);
- a youngest generation of ``YOUNG`` objects is never collected in the middle of a request
  unless the request itself holds that many new objects;
- the young generation is collected when a request has finished, after its answer was sent
  (``collect_finished_request``, from gunicorn's ``post_request``: during Django's
  ``request_finished`` the request is still referenced). A request leaves 60–130 objects in
  reference cycles (Django's request and its message storage, DRF's request and view, a
  filter's lexer), which only the collector frees. Left to the threshold, they piled up to
  ``YOUNG`` every ~280 requests, and the request that tipped it paid a collection of ~7 ms:
  a 1,000-member group's rename, whose answer alone holds a few thousand new objects, tipped
  it one time in five and made the PATCH rename's p95 in ``make bench``. Collected after each
  request, the young generation holds little but that request's cycles: ~20 µs, out of any
  client's wait.
"""

from __future__ import annotations

import gc

YOUNG = 20_000
OLDER = 10
# A full collection rescans what the worker created since it started (its caches: ~12,000
# objects, 2–3 ms): after FULL_EVERY collections of the middle generation, 1,000 requests.
FULL_EVERY = OLDER * OLDER


def collect_finished_request() -> None:
    """Once a request is over: collect the young generation, the middle one on the
    interpreter's own schedule (every ``OLDER`` collections of the young one), and the oldest
    every ``FULL_EVERY`` collections of the middle one. (Collected after every request, the
    young generation never reaches its threshold, so the interpreter would not collect the
    older ones on its own.)"""
    gc.collect(0)
    _, middle, old = gc.get_count()
    if old >= FULL_EVERY:
        gc.collect(2)
    elif middle >= OLDER:
        gc.collect(1)


def tune_garbage_collector() -> None:
    """Freeze what the worker loaded at start, and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, OLDER, OLDER)
