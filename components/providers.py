"""The two Snowflake providers: one connection, two roles (the owner of the stack's objects, and
the admin that creates integrations and grants account-level privileges)."""

from __future__ import annotations

import pulumi
import pulumi_snowflake as snowflake

from lib.config import SnowflakeConnection


def snowflake_provider(
    name: str,
    role: str,
    warehouse: str,
    connection: SnowflakeConnection[pulumi.Output[str]],
) -> snowflake.Provider:
    """A provider for `role` on the stack's connection. Settings left out of the stack fall back
    to the provider's SNOWFLAKE_* environment variables, as for the default provider."""
    setting = connection.settings.get
    secret = connection.secrets.get
    return snowflake.Provider(
        name,
        role=role,
        # Views need a warehouse on the connection (the provider reads policy references).
        warehouse=warehouse,
        preview_features_enabled=list(connection.preview_features),
        organization_name=setting("organizationName"),
        account_name=setting("accountName"),
        user=setting("user"),
        authenticator=setting("authenticator"),
        host=setting("host"),
        private_key=secret("privateKey"),
        private_key_passphrase=secret("privateKeyPassphrase"),
        password=secret("password"),
    )
