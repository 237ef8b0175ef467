"""Accounts: the people who sign in; global across organizations."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from orgs.models import (
    User,
    account_email_is,
)
from orgs.services.checks import (
    clean_email,
    clean_name,
)


def user_get_or_create(*, email: str, first_name: str = "", last_name: str = "") -> User:
    """The global user for an email (case-insensitive), created without a usable password."""
    email = clean_email(email)
    user = User.objects.filter(account_email_is(email)).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, first_name=clean_name(first_name, "first name"),
                last_name=clean_name(last_name, "last name"),
            )
    except IntegrityError:  # created concurrently: the constraint kept it unique
        return User.objects.get(account_email_is(email))
