"""Plans and the features they unlock. SCIM and SAML SSO are Enterprise features."""

from __future__ import annotations

from django.db import models


class Plan(models.TextChoices):
    FREE = "free", "Free"
    PRO = "pro", "Pro"
    ENTERPRISE = "enterprise", "Enterprise"


class Feature:
    SCIM = "scim"
    SAML_SSO = "saml_sso"


PLAN_FEATURES: dict[str, frozenset[str]] = {
    Plan.FREE: frozenset(),
    Plan.PRO: frozenset(),
    Plan.ENTERPRISE: frozenset({Feature.SCIM, Feature.SAML_SSO}),
}


def plan_has_feature(plan: str, feature: str) -> bool:
    return feature in PLAN_FEATURES.get(plan, frozenset())
