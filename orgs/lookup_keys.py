"""Lookup keys: normalized copies of the columns an IdP looks members and groups up by.

An IdP looks a member up before every create (``userName eq "…"``), so that lookup, and the
uniqueness check of the create, must be one indexed equality at any directory size. A
functional index on ``LOWER(column)`` serves only a query that spells the same expression on
the same database, and SQLite's ``LOWER()`` folds ASCII only; so the folded form
(``orgs.text.fold``) is stored in a column of its own, indexed, and compared with ``=``.

The keys are derived data, not rules: a model lists each key with the columns it follows
(``lookup_keys``), and ``save()``, ``bulk_create()`` and ``bulk_update()`` keep them in step,
so no writer can forget one. ``QuerySet.update()`` of a source column is the one way around
this; nothing in Roster updates those columns that way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from django.db import models


class LookupKeysQuerySet(models.QuerySet):
    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        for obj in objs:
            obj.set_lookup_keys()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[Any], fields: Sequence[str], *args: Any,
                    **kwargs: Any) -> int:
        objs = list(objs)
        for obj in objs:
            obj.set_lookup_keys()
        fields = list(fields)
        fields += [key for key in self.model.keys_following(fields) if key not in fields]
        return super().bulk_update(objs, fields, *args, **kwargs)


class LookupKeysModel(models.Model):
    """A model with lookup keys: ``lookup_keys`` maps each key field to the columns it is
    computed from and the function computing it from the instance."""

    lookup_keys: ClassVar[dict[str, tuple[tuple[str, ...], Callable[[Any], str | None]]]] = {}

    class Meta:
        abstract = True

    def save(self, *args: Any, update_fields: Iterable[str] | None = None, **kwargs: Any) -> None:
        self.set_lookup_keys()
        if update_fields is not None:
            update_fields = list(update_fields)
            update_fields += [k for k in self.keys_following(update_fields)
                              if k not in update_fields]
        super().save(*args, update_fields=update_fields, **kwargs)

    @classmethod
    def keys_following(cls, fields: Iterable[str]) -> list[str]:
        """The keys computed from any of ``fields``."""
        changed = set(fields)
        return [key for key, (sources, _) in cls.lookup_keys.items() if changed & set(sources)]

    def set_lookup_keys(self) -> None:
        for key, (_, compute) in self.lookup_keys.items():
            setattr(self, key, compute(self))
