"""gunicorn's configuration for Roster (``gunicorn -c config/gunicorn.conf.py config.wsgi``).

Sync workers: every request is short and database-bound, and a sync worker holds one database
connection, so ``workers`` is also the connection budget per machine. Every knob is an
environment variable (see README, *Production*).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '0.0.0.0')}:"  # noqa: S104
                      f"{os.environ.get('PORT', '8000')}")
# 2 x cores + 1 (gunicorn's rule of thumb), capped: more workers than that only queue on the DB.
workers = int(os.environ.get("GUNICORN_WORKERS",
                             min(2 * multiprocessing.cpu_count() + 1,
                                 int(os.environ.get("GUNICORN_MAX_WORKERS", "12")))))
worker_class = "sync"
# A request that takes longer than this is killed and logged; IdPs retry.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Load Django once, in the master, before forking the workers. A worker (a first one, or one
# recycled by max_requests) is then a fork that serves at once, sharing the loaded code's
# memory, instead of spending ~0.7 s of CPU importing Django and Roster on the cores that serve
# the requests. The cost: a code change needs a restart, not a HUP (README, *Production*).
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")
# Recycle workers now and then so a slow leak can never grow unbounded. A guard, not routine:
# a recycled worker starts with cold caches (its own database connection, prepared statements).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "1000"))
# Logs: JSON lines on stderr (errors) and stdout (access), see config/gunicorn_logger.py.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logger_class = "config.gunicorn_logger.JsonLogger"

# No runtime control socket (gunicornc): nothing uses it, and instances sharing a machine would
# share its default path.
control_socket_disable = True


def when_ready(server: object) -> None:
    """In the master, once the app is loaded (``preload_app``) and before any fork: close any
    database connection loading may have opened. A connection inherited by the workers would be
    one socket shared by several processes; each worker opens its own on its first query."""
    if preload_app:
        from django.db import connections

        connections.close_all()


def post_worker_init(worker: object) -> None:
    """Once the worker has loaded Django: the garbage collector's tuning (config.gc_tuning)."""
    from config.gc_tuning import tune_garbage_collector

    tune_garbage_collector()


def post_request(worker: object, req: object, environ: object, resp: object) -> None:
    """After each request, its answer sent and closed: the young generation's collection
    (config.gc_tuning), out of every client's wait."""
    from config.gc_tuning import collect_finished_request

    collect_finished_request()
