"""Accounts: the people who sign in; global across organizations."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from orgs.audit import Actor, audit_record
from orgs.exceptions import InvalidInput
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


@transaction.atomic
def user_password_login_ensure(
    *, email: str, password: str, actor: Actor, first_name: str = "", last_name: str = "",
    staff: bool = False, superuser: bool = False,
) -> User:
    """An account that can log in to the admin with ``password`` (demo and operator
    accounts): created when missing; an existing one without a usable password gets this one.
    Staff flags are only ever raised here, never lowered; a password someone changed is kept.
    Audited as ``user.password_login_enabled`` when anything changed."""
    if not password:
        raise InvalidInput("A password is required.")
    email = clean_email(email)
    user = User.objects.select_for_update().filter(account_email_is(email)).first()
    created = user is None
    if user is None:
        user = User(email=email, first_name=clean_name(first_name, "first name"),
                    last_name=clean_name(last_name, "last name"))
    changed = []
    if created or not user.has_usable_password():
        user.set_password(password)
        changed.append("password")
    for flag, wanted in (("is_staff", staff or superuser), ("is_superuser", superuser)):
        if wanted and not getattr(user, flag):
            setattr(user, flag, True)
            changed.append(flag)
    if not changed:
        return user
    user.save()
    audit_record(
        organization=None, actor=actor, action="user.password_login_enabled", target=user,
        data={"created": created, "changed": changed},
    )
    return user
