"""Helpers for tests that count requests in the rate limit's one-minute windows."""

from __future__ import annotations

import time

from scim.throttling import WINDOW_SECONDS


def fresh_window(seconds_needed: float = 8) -> None:
    """Wait for the next window when fewer than ``seconds_needed`` are left in this one, so
    the requests a test counts all fall into the same window."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < seconds_needed:
        time.sleep(left + 0.05)
