"""The grants the admin role gives the owner role."""

from __future__ import annotations

import pulumi
import pulumi_snowflake as snowflake


def grant_integration_usage(
    name: str,
    integration: snowflake.StorageIntegrationAws
    | snowflake.EmailNotificationIntegration
    | snowflake.NotificationIntegration,
    role: str,
    opts: pulumi.ResourceOptions,
) -> snowflake.GrantPrivilegesToAccountRole:
    """USAGE on an integration the admin role owns, for the role whose objects use it."""
    return snowflake.GrantPrivilegesToAccountRole(
        name,
        account_role_name=role,
        privileges=["USAGE"],
        on_account_object={"object_type": "INTEGRATION", "object_name": integration.name},
        # Dropping an integration drops its grants: grant again on every replacement.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(replace_with=[integration])),
    )


# An account-level grant to a role is one grant, however many stacks declare it: every stack of
# the account whose objects the role owns (dev and prod, say) and anything else the role runs
# relies on it. Destroying one stack must not revoke it from the others, so it is left in place.
SHARED_GRANT = pulumi.ResourceOptions(retain_on_delete=True)


def grant_account_privilege(
    name: str, privilege: str, role: str, opts: pulumi.ResourceOptions
) -> snowflake.GrantPrivilegesToAccountRole:
    """An account-level privilege (EXECUTE TASK, EXECUTE ALERT) that only the admin can grant.
    Kept on destroy (`SHARED_GRANT`)."""
    return snowflake.GrantPrivilegesToAccountRole(
        name,
        account_role_name=role,
        privileges=[privilege],
        on_account=True,
        opts=pulumi.ResourceOptions.merge(opts, SHARED_GRANT),
    )
