"""The only writers of the ``orgs`` domain, one module per noun.

Each service checks its rules, writes, and records one ``AuditEvent`` in the same transaction.
Some rules and writes are also offered without the transaction and the event
(``membership_insert``, ``membership_apply``, ``group_insert``, ``group_apply``,
``group_members_apply``), for a service of another app that owns the transaction, locks the
row, composes several writes and records one event for them all (SCIM provisioning: one
event per IdP request).
The admin, the provisioning services, the SSO views and the commands all call these, so a
change looks the same in the audit log whoever made it. Errors are
``orgs.exceptions.DomainError``s. Callers import from here: ``from orgs import services``.
"""

from orgs.services.checks import IDP_OWNED, idp_owns
from orgs.services.groups import (
    group_apply,
    group_change_members,
    group_create,
    group_delete,
    group_insert,
    group_lock,
    group_members_apply,
    group_set_members,
    group_update,
    members_changed_data,
)
from orgs.services.memberships import (
    account_claimable,
    membership_accept,
    membership_add,
    membership_added_data,
    membership_apply,
    membership_change_role,
    membership_deactivate,
    membership_insert,
    membership_link_account,
    membership_reactivate,
    membership_remove,
    membership_update_profile,
)
from orgs.services.organizations import organization_create, organization_update_settings
from orgs.services.role_mappings import (
    MappingExists,
    group_role_mapping_delete,
    group_role_mapping_set,
    memberships_apply_group_role_mappings,
    role_for_new_member,
)
from orgs.services.seeding import members_seed
from orgs.services.users import user_get_or_create, user_password_login_ensure

__all__ = [
    "IDP_OWNED",
    "MappingExists",
    "account_claimable",
    "group_apply",
    "group_change_members",
    "group_create",
    "group_delete",
    "group_insert",
    "group_lock",
    "group_members_apply",
    "group_role_mapping_delete",
    "group_role_mapping_set",
    "group_set_members",
    "group_update",
    "idp_owns",
    "members_changed_data",
    "membership_accept",
    "membership_add",
    "membership_added_data",
    "membership_apply",
    "membership_change_role",
    "membership_deactivate",
    "membership_insert",
    "membership_link_account",
    "membership_reactivate",
    "membership_remove",
    "membership_update_profile",
    "members_seed",
    "memberships_apply_group_role_mappings",
    "organization_create",
    "organization_update_settings",
    "role_for_new_member",
    "user_get_or_create",
    "user_password_login_ensure",
]
