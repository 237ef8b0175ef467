"""``model_update``: the one way a service changes fields of a row it has locked.

After HackSoft's styleguide helper: only the fields whose value differs are written (with
``updated_at`` when the model keeps one), and the differences come back as
``{field: [before, after]}`` for the service's audit event. Nothing changed, nothing written,
unless ``touch``: then ``updated_at`` is written anyway (something kept elsewhere about the row,
such as a member's SCIM profile, changed, and the row's last-modified time follows it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models


def model_update(
    instance: models.Model, data: Mapping[str, Any], *, touch: bool = False
) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for field, value in data.items():
        before = getattr(instance, field)
        if before != value:
            changes[field] = [before, value]
            setattr(instance, field, value)
    stamped = any(f.name == "updated_at" for f in instance._meta.concrete_fields)
    if changes or (touch and stamped):
        fields = list(changes)
        if stamped:
            fields.append("updated_at")  # auto_now: set by save() when named here
        instance.save(update_fields=fields)
    return changes
