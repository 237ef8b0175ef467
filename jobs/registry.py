"""The periodic jobs: what runs, how often. The scheduler (``manage.py jobs`` or
``manage.py run_scheduler``) enqueues each one when it is due, once across all instances.

To add one, append a line: a unique name, the interval, and the dotted path of a callable that
takes no arguments (or the given ``kwargs``) and raises when it could not finish (it is then
retried with backoff, at most ``JOBS_PERIODIC_MAX_ATTEMPTS`` times, and runs again next interval).
"""

from __future__ import annotations

from datetime import timedelta

from jobs.scheduler import PeriodicJob

PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("scim.token_expiry_notices", timedelta(days=1),
                "scim.tasks.notify_expiring_tokens"),
    PeriodicJob("jobs.prune_task_results", timedelta(days=1),
                "jobs.maintenance.prune_task_results"),
    # Expired SAML pending requests and spent assertion ids (sso.services.state): bounded.
    PeriodicJob("sso.saml_state_prune", timedelta(hours=1), "sso.tasks.prune_saml_state"),
)


def get_job(name: str) -> PeriodicJob | None:
    return next((job for job in PERIODIC_JOBS if job.name == name), None)
