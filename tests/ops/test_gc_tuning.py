"""The production server's workers tune the garbage collector once Django is loaded
(``config/gunicorn.conf.py``'s ``post_worker_init``, ``config.gc_tuning``)."""

from __future__ import annotations

import gc
import runpy
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
