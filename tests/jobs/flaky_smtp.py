"""An email backend for tests that behaves like an SMTP server in an outage: the first
``FlakySmtp.failures`` sends wait ``FlakySmtp.delay`` seconds (a connection timing out) and
fail; later sends succeed and land in ``django.core.mail.outbox`` like the locmem backend's.
Set it with ``settings.EMAIL_BACKEND = "tests.jobs.flaky_smtp.FlakySmtpBackend"``."""

from __future__ import annotations

import smtplib
import time

from django.core.mail.backends.locmem import EmailBackend


class FlakySmtp:
    failures = 0
    delay = 0.0
    attempts = 0

    @classmethod
    def down_for(cls, failures: int, delay: float = 0.0) -> None:
        cls.failures, cls.delay, cls.attempts = failures, delay, 0


class FlakySmtpBackend(EmailBackend):
    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        FlakySmtp.attempts += 1
        if FlakySmtp.attempts <= FlakySmtp.failures:
            time.sleep(FlakySmtp.delay)
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
