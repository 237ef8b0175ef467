"""One-time admin forms: a signed random nonce issued with the form and consumed by its first
successful submission, so a reloaded or replayed POST (which would create a second secret and
show it) does nothing. The "used" marks are in the shared cache (``add`` writes only an absent
key, across every process) and outlive the nonce's validity, so a nonce never becomes fresh
again."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.core import signing
from django.core.cache import cache

MAX_AGE = 60 * 60  # a form older than an hour must be reloaded
USED_TIMEOUT = MAX_AGE + 10 * 60


@dataclass(frozen=True)
class FormNonces:
    """The nonces of one kind of form: its signing salt, its cache keys and what an expired
    form says."""

    salt: str
    cache_prefix: str
    expired: str

    def issue(self) -> str:
        return signing.TimestampSigner(salt=self.salt).sign(secrets.token_urlsafe(16))

    def check(self, nonce: str) -> str:
        try:
            signing.TimestampSigner(salt=self.salt).unsign(nonce, max_age=MAX_AGE)
        except signing.BadSignature as exc:  # includes SignatureExpired
            raise forms.ValidationError(self.expired, code="expired") from exc
        return nonce

    def consume(self, nonce: str) -> bool:
        """True the first time a nonce is presented, False ever after."""
        key = self.cache_prefix + hashlib.sha256(nonce.encode()).hexdigest()
        return cache.add(key, 1, timeout=USED_TIMEOUT)


class NonceForm(forms.Form):
    """A form whose submission may be used once (the view calls ``nonces.consume``)."""

    nonces: ClassVar[FormNonces]
    nonce = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["nonce"] = self.nonces.issue()

    def clean_nonce(self) -> str:
        return self.nonces.check(self.cleaned_data["nonce"])
