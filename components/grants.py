"""The grants the admin role gives the owner role: AccountGrants, the account-level privileges
every task and alert of the owner role needs, and the USAGE on an integration that the
component owning the integration grants with it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.aliases import moved_from

# GET_CONDITION_QUERY_UUID and the alert schedule functions (SNOWFLAKE.ALERT.*) need this
# database role (Snowflake's alert documentation): PIPELINE_HEALTH_ALERT's action reads its
# condition's rows with GET_CONDITION_QUERY_UUID (sql/pipeline_health_action.sql).
ALERT_VIEWER = '"SNOWFLAKE"."ALERT_VIEWER"'

# An account-level grant to a role is one grant, however many stacks declare it: every stack of
# the account whose objects the role owns (dev and prod, say) and anything else the role runs
# relies on it. Destroying one stack must not revoke it from the others, so it is left in place.
SHARED_GRANT = pulumi.ResourceOptions(retain_on_delete=True)

# Where each grant was declared before it got this component: EventsTable("events") granted
# EXECUTE TASK, FindingsAlerts("alerts") EXECUTE ALERT and ALERT_VIEWER.
_EVENTS = ("cloudtrail-snowflake:snowflake:EventsTable", "events")
_ALERTS = ("cloudtrail-snowflake:snowflake:FindingsAlerts", "alerts")


@dataclass
class AccountGrantsArgs:
    owner_role: str
    """The role that owns and runs the stack's tasks and alert."""
    admin_role: str
    """The role of the component's Snowflake provider, which may grant account privileges."""
    alerts: bool
    """The owner role runs an alert too."""
    serverless_tasks: bool
    """The owner role's tasks run on serverless compute (no warehouse)."""


class AccountGrants(pulumi.ComponentResource):
    """Declared with the admin provider: only ACCOUNTADMIN (or MANAGE GRANTS) grants these."""

    tasks: list[pulumi.Resource]
    """What a task of the owner role must wait for (EXECUTE TASK, and for serverless tasks
    EXECUTE MANAGED TASK, granted)."""
    alerts: list[pulumi.Resource]
    """What an alert of the owner role must wait for (EXECUTE ALERT, ALERT_VIEWER granted)."""

    def __init__(
        self, name: str, args: AccountGrantsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:AccountGrants", name, None, opts)

        def shared(suffix: str, former: tuple[str, str] | None) -> pulumi.ResourceOptions:
            """Kept on destroy; aliased to the name it had under its former component, if any."""
            aliases = [] if former is None else [moved_from(*former, f"{former[1]}-{suffix}")]
            return pulumi.ResourceOptions.merge(
                SHARED_GRANT, pulumi.ResourceOptions(parent=self, aliases=aliases)
            )

        def privilege(
            suffix: str, privilege: str, former: tuple[str, str] | None
        ) -> pulumi.Resource:
            return snowflake.GrantPrivilegesToAccountRole(
                f"{name}-{suffix}",
                account_role_name=args.owner_role,
                privileges=[privilege],
                on_account=True,
                opts=shared(suffix, former),
            )

        # The admin role has both privileges already (ACCOUNTADMIN does): nothing to grant.
        owner_is_admin = args.owner_role == args.admin_role
        # Tasks run as their owner, which needs EXECUTE TASK on the account, and to run on
        # serverless compute, EXECUTE MANAGED TASK.
        self.tasks = [] if owner_is_admin else [privilege("execute-task", "EXECUTE TASK", _EVENTS)]
        if args.serverless_tasks and not owner_is_admin:
            self.tasks.append(
                privilege("execute-managed-task", "EXECUTE MANAGED TASK", former=None)
            )
        self.alerts = []
        if args.alerts:
            # Creating and resuming an alert needs EXECUTE ALERT on the account.
            if not owner_is_admin:
                self.alerts.append(privilege("execute-alert", "EXECUTE ALERT", _ALERTS))
            # Granted even when the owner is the admin role: Snowflake documents no role that
            # holds it implicitly, and granting a database role a role already has changes
            # nothing.
            self.alerts.append(
                snowflake.GrantDatabaseRole(
                    f"{name}-alert-viewer",
                    database_role_name=ALERT_VIEWER,
                    parent_role_name=args.owner_role,
                    opts=shared("alert-viewer", _ALERTS),
                )
            )
        self.register_outputs({"role": args.owner_role})


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
