"""The two small tables the job machinery needs beside django-tasks-db's queue."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PeriodicJobState(models.Model):
    """When a periodic job is next due. A scheduler claims a run by moving ``next_run_at``
    forward with a conditional UPDATE (compare-and-set on the value it read), so however many
    schedulers run, exactly one enqueues each run."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """A message that must go out once (an invitation), keyed by what it is about.

    A sender claims it with a lease (``claimed_until``) committed *before* talking to SMTP, so
    no transaction or lock is held while a slow mail server answers; ``sent_at`` is set once
    the server accepted it, and a sent delivery is never sent again. A sender that died
    mid-send leaves a lease that expires, so the message is retried, not lost.
    """

    key = models.CharField(max_length=200, unique=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return self.key
