"""Periodic-job callables for the scheduler tests."""

from __future__ import annotations

calls: list[str] = []
fail_times = 0


def record(label: str = "ran") -> str:
    calls.append(label)
    return label


def flaky() -> str:
    global fail_times
    calls.append("flaky")
    if fail_times:
        fail_times -= 1
        raise RuntimeError("not now")
    return "done"
