"""Who did something, and the one function that records it.

Every service takes an ``Actor`` so that a SCIM change, an admin click and an operator command
leave the same kind of audit row, with the request's ip, user agent and id when there is one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from config.logs import mask_secrets
from orgs.models import ActorKind, AuditEvent, Organization

if TYPE_CHECKING:
    from django.http import HttpRequest


@dataclass(frozen=True)
class Actor:
    kind: str
    id: str = ""
    label: str = ""
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(kind=ActorKind.SYSTEM, label=label)

    @classmethod
    def operator(cls, label: str = "manage.py") -> Actor:
        return cls(kind=ActorKind.OPERATOR, label=label)

    @classmethod
    def for_user(cls, user: Any, request: HttpRequest | None = None) -> Actor:
        actor = cls(kind=ActorKind.USER, id=str(user.pk), label=user.email)
        return actor.with_request(request) if request is not None else actor

    @classmethod
    def for_scim_token(cls, token: Any, request: HttpRequest | None = None) -> Actor:
        label = f"SCIM token {token.prefix}…"
        if token.description:
            label = f"{label} ({token.description})"[:255]
        actor = cls(kind=ActorKind.SCIM_TOKEN, id=str(token.pk), label=label)
        return actor.with_request(request) if request is not None else actor

    def with_request(self, request: HttpRequest) -> Actor:
        meta = request.META
        # The id RequestIdMiddleware gave the request (and its log lines), when it ran.
        request_id = getattr(request, "request_id", "") or meta.get(
            "HTTP_X_REQUEST_ID", ""
        )[:64] or uuid.uuid4().hex
        return replace(
            self,
            ip=meta.get("REMOTE_ADDR") or None,
            user_agent=mask_secrets(meta.get("HTTP_USER_AGENT", ""))[:400],
            request_id=request_id,
        )


@dataclass(frozen=True)
class Target:
    kind: str
    id: str
    label: str = ""

    @classmethod
    def of(cls, obj: Any) -> Target:
        kind = obj._meta.model_name
        return cls(kind=kind, id=str(obj.pk), label=str(obj)[:255])


def _event(
    *,
    organization: Organization | None,
    actor: Actor,
    action: str,
    target: Target | Any | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    if target is not None and not isinstance(target, Target):
        target = Target.of(target)
    return AuditEvent(
        organization=organization,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:255],
        action=action,
        target_kind=target.kind if target else "",
        target_id=target.id if target else "",
        target_label=target.label if target else "",
        data=data or {},
        ip=actor.ip,
        user_agent=actor.user_agent,
        request_id=actor.request_id,
    )


def audit_record(
    *,
    organization: Organization | None,
    actor: Actor,
    action: str,
    target: Target | Any | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. Call it inside the service's transaction."""
    event = _event(organization=organization, actor=actor, action=action, target=target,
                   data=data)
    event.save(force_insert=True)
    return event


def audit_record_many(
    *,
    organization: Organization | None,
    actor: Actor,
    action: str,
    events: list[tuple[Target | Any, dict[str, Any]]],
) -> None:
    """Write one event per (target, data), all in one INSERT: for a change of many rows at
    once (a group push that changes the roles of a thousand members)."""
    AuditEvent.objects.bulk_create([
        _event(organization=organization, actor=actor, action=action, target=target, data=data)
        for target, data in events
    ])
