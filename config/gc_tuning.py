"""The garbage collector's settings for a server worker (gunicorn's ``post_worker_init``).

A page of 100 SCIM Users allocates tens of thousands of short-lived objects (rows, model
instances, documents). With CPython's defaults (a collection of the youngest generation every
700 allocations) a page runs dozens of collections, and the older generations' collections
rescan everything Django loaded at start (modules, URLconf, models: hundreds of thousands of
objects that live as long as the worker). Measured in process on a 100-user page: 5.9 → 4.9 ms
of CPU; a one-row lookup does not change.

- ``gc.freeze()`` after start moves what is loaded so far out of every later scan (Instagram's
  tuning for Django workers);
- a youngest generation of ``YOUNG`` objects collects about 30 times less often; a request's
  garbage is freed by reference counting anyway, the collector is only for cycles.
"""

from __future__ import annotations

import gc

YOUNG = 20_000
OLDER = 10


def tune_garbage_collector() -> None:
    """Freeze what the worker loaded at start, and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, OLDER, OLDER)
