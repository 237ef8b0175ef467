"""The Redis cache backend (``config.cache``) against the real Redis: the rate limits' counter
is one atomic round trip with an expiry, Django's cache API still works through it, and a
``redis.Redis`` client is built once per connection pool rather than per call."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from config.cache import RedisCache
from config.ratelimit import count_in_window
from tests.ops.production import redis_available

REDIS_URL = "redis://127.0.0.1:6379/8"  # a database of its own on the shared Redis


@pytest.fixture
def cache():
    if not redis_available():
        if os.environ.get("CI") == "true":
            pytest.fail("the Redis cache tests must run in CI: no Redis at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379")
    backend = RedisCache(REDIS_URL, {"KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}"})
    yield backend
    backend.clear()


def raw(cache: RedisCache):
    return cache._cache.get_client(write=True)


def test_counting_adds_one_each_time_and_sets_the_expiry_once(cache):
    key = "rate:a"
    assert [cache.count_in_window(key, 65) for _ in range(3)] == [1, 2, 3]
    stored = cache.make_and_validate_key(key)
    assert 60 < raw(cache).ttl(stored) <= 65
    raw(cache).expire(stored, 500)  # a later count does not move the expiry back
    cache.count_in_window(key, 65)
    assert raw(cache).ttl(stored) > 65
    assert cache.get(key) == 4  # Django's API reads the counter (ints are stored raw)


def test_a_count_is_one_round_trip(cache):
    cache.count_in_window("warm", 10)  # loads the script
    connection = raw(cache).connection_pool.get_connection()
    raw(cache).connection_pool.release(connection)
    commands = []
    original = type(connection).send_command

    def spy(self, *args, **kwargs):
        commands.append(args[0])
        return original(self, *args, **kwargs)

    type(connection).send_command = spy
    try:
        cache.count_in_window("rate:b", 10)
    finally:
        type(connection).send_command = original
    assert commands == ["EVALSHA"]


def test_counts_from_many_threads_are_exact(cache):
    def count() -> None:
        for _ in range(50):
            cache.count_in_window("rate:c", 10)

    threads = [threading.Thread(target=count) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.count_in_window("rate:c", 10) == 201


def test_the_script_is_loaded_again_when_the_server_forgot_it(cache):
    assert cache.count_in_window("rate:d", 10) == 1
    raw(cache).script_flush()
    assert cache.count_in_window("rate:d", 10) == 2


def test_the_client_is_built_once_per_pool(cache):
    assert cache._cache.get_client(write=True) is cache._cache.get_client(write=True)
    stock = DjangoRedisCache(REDIS_URL, {})
    assert stock._cache.get_client(write=True) is not stock._cache.get_client(write=True)


def test_the_cache_api_still_works(cache):
    assert cache.add("k", {"a": 1}, 10)
    assert not cache.add("k", 2, 10)
    assert cache.get("k") == {"a": 1}
    cache.set("n", 5)
    assert cache.incr("n") == 6
    cache.delete("k")
    assert cache.get("k") is None


def test_the_rate_limits_use_the_one_round_trip_counter(cache, settings, monkeypatch):
    calls = []
    original = RedisCache.count_in_window
    monkeypatch.setattr(RedisCache, "count_in_window",
                        lambda self, *a, **k: calls.append(a) or original(self, *a, **k))
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache",
                                   "LOCATION": REDIS_URL,
                                   "KEY_PREFIX": cache.key_prefix}}
    counted = [count_in_window("rl", window=60, now=120.0 + i) for i in range(3)]
    assert [c.count for c in counted] == [1, 2, 3]
    assert [c.retry_after for c in counted] == [60, 59, 58]
    assert calls == [("rl:2", 65)] * 3
    stored = cache.make_and_validate_key("rl:2")
    assert 60 < raw(cache).ttl(stored) <= 65


def test_replies_are_parsed_by_hiredis(cache):
    """redis-py parses replies in C when hiredis is installed (a dependency for that reason)."""
    cache.count_in_window("parsed", 10)
    connection = raw(cache).connection_pool.get_connection()
    try:
        assert type(connection._parser).__name__ == "_HiredisParser"
    finally:
        raw(cache).connection_pool.release(connection)
