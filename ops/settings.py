"""Where `python -m ops` connects and which objects it names. Names come from the stack's
settings, validated and derived by lib/config.parse_config exactly as the program does, read
from `Pulumi.<stack>.yaml` (--stack) or, without a stack, from flags and SNOWFLAKE_* variables.
Secrets never come from the stack file: Pulumi encrypts them there."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lib.config import NAMESPACE, ConfigError, StackConfig, parse_config
from ops.statements import Location

PROJECT_DIR = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names what to set."""


@dataclass(frozen=True)
class Options:
    """The flags (None: not given)."""

    stack: str | None = None
    account: str | None = None
    user: str | None = None
    role: str | None = None
    warehouse: str | None = None
    database: str | None = None
    schema: str | None = None
    private_key_file: str | None = None


@dataclass(frozen=True)
class Connection:
    """What the connector is given. Only `account` and `user` are always set."""

    account: str
    user: str
    role: str
    warehouse: str
    database: str
    schema: str
    authenticator: str | None = None
    host: str | None = None
    password: str | None = None
    private_key_pem: bytes | None = None
    private_key_passphrase: str | None = None


@dataclass(frozen=True)
class Settings:
    config: StackConfig
    source: str
    """Where the names came from, for messages: the stack file, or flags and environment."""
    stack_values: Mapping[str, Any]
    """The stack file's settings, empty without --stack."""

    @property
    def location(self) -> Location:
        return Location(self.config.snowflake_database, self.config.snowflake_schema)


_SECURE = object()
"""A `secure:` value of the stack file: set, but encrypted."""


def _stack_values(path: Path) -> dict[str, Any]:
    """The stack file's config, "namespace:key" -> the string Pulumi hands the program."""
    try:
        document = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise SettingsError(
            f"{path} does not exist: --stack names a stack whose Pulumi.<stack>.yaml is in "
            f"{path.parent} (`pulumi stack ls` lists them)"
        ) from None
    except (OSError, yaml.YAMLError) as error:
        raise SettingsError(f"cannot read {path}: {error}") from None
    config = (document or {}).get("config") or {}
    if not isinstance(config, dict):
        raise SettingsError(f"{path}: `config` is not a mapping of settings")
    values: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[str(key)] = _SECURE
        elif isinstance(value, bool):
            values[str(key)] = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            values[str(key)] = json.dumps(value)
        elif value is not None:
            values[str(key)] = str(value)
    return values


def _plain(values: Mapping[str, Any], key: str) -> str | None:
    value = values.get(key)
    return value if isinstance(value, str) and value != "" else None


def resolve(options: Options, env: Mapping[str, str], project_dir: Path = PROJECT_DIR) -> Settings:
    """The stack's names. With --stack: the flags, else the stack file, else the program's
    defaults (never the environment: an ambient SNOWFLAKE_DATABASE must not point a check at
    another stack). Without: the flags, else SNOWFLAKE_* variables, else the defaults; the
    database has no default then."""
    if options.stack is not None:
        path = project_dir / f"Pulumi.{options.stack}.yaml"
        values = _stack_values(path)
        source = path.name

        def fallback(key: str, variable: str) -> str | None:
            return _plain(values, f"{NAMESPACE}:{key}")

        stack = options.stack
    else:
        values = {}
        source = "flags and environment"

        def fallback(key: str, variable: str) -> str | None:
            return env.get(variable) or None

        if not (options.database or env.get("SNOWFLAKE_DATABASE")):
            raise SettingsError(
                "no database: pass --stack NAME (reads Pulumi.NAME.yaml), or --database / "
                "SNOWFLAKE_DATABASE"
            )
        stack = "ops"  # Only names the default database, and a database is given.
    flags = {
        "snowflakeDatabase": (options.database, "SNOWFLAKE_DATABASE"),
        "snowflakeSchema": (options.schema, "SNOWFLAKE_SCHEMA"),
        "snowflakeWarehouse": (options.warehouse, "SNOWFLAKE_WAREHOUSE"),
        "snowflakeOwnerRole": (options.role, "SNOWFLAKE_ROLE"),
    }

    def get(key: str) -> str | None:
        if key in flags:
            flag, variable = flags[key]
            return flag or fallback(key, variable)
        return _plain(values, f"{NAMESPACE}:{key}")

    try:
        config = parse_config(get, stack)
    except ConfigError as error:
        raise SettingsError(f"{source}: {error}") from None
    return Settings(config=config, source=source, stack_values=values)


_CREDENTIALS = (
    "set SNOWFLAKE_PRIVATE_KEY_FILE (or --private-key-file) to the user's PKCS#8 key, or "
    "SNOWFLAKE_PRIVATE_KEY to its PEM text (SNOWFLAKE_PRIVATE_KEY_PASSPHRASE if it is "
    "encrypted), or SNOWFLAKE_PASSWORD"
)


def connection(settings: Settings, options: Options, env: Mapping[str, str]) -> Connection:
    """The connector's settings: flags, else the stack file's `snowflake:` settings, else the
    environment; secrets from the environment or a key file only."""
    stack = settings.stack_values

    def pick(flag: str | None, key: str, variable: str) -> str | None:
        return flag or _plain(stack, f"snowflake:{key}") or env.get(variable) or None

    account = options.account or env.get("SNOWFLAKE_ACCOUNT") or None
    organization = pick(None, "organizationName", "SNOWFLAKE_ORGANIZATION_NAME")
    account_name = pick(None, "accountName", "SNOWFLAKE_ACCOUNT_NAME")
    if options.account is None and organization and account_name:
        # The stack's identifier wins over an ambient SNOWFLAKE_ACCOUNT, as its names do.
        account = f"{organization}-{account_name}"
    if not account:
        raise SettingsError(
            "no Snowflake account: set --account or SNOWFLAKE_ACCOUNT (<org>-<account>), or "
            "SNOWFLAKE_ORGANIZATION_NAME and SNOWFLAKE_ACCOUNT_NAME, or pass --stack NAME "
            "whose file sets snowflake:organizationName and snowflake:accountName"
        )
    user = pick(options.user, "user", "SNOWFLAKE_USER")
    if not user:
        raise SettingsError(
            "no Snowflake user: set --user or SNOWFLAKE_USER, or snowflake:user in the stack file"
        )
    key_file = options.private_key_file or env.get("SNOWFLAKE_PRIVATE_KEY_FILE") or None
    key_pem: bytes | None = None
    if key_file:
        try:
            key_pem = Path(key_file).expanduser().read_bytes()
        except OSError as error:
            raise SettingsError(
                f"cannot read the private key file {key_file} (--private-key-file or "
                f"SNOWFLAKE_PRIVATE_KEY_FILE): {error.strerror}"
            ) from None
    elif env.get("SNOWFLAKE_PRIVATE_KEY"):
        key_pem = env["SNOWFLAKE_PRIVATE_KEY"].encode()
    password = env.get("SNOWFLAKE_PASSWORD") or None
    authenticator = pick(None, "authenticator", "SNOWFLAKE_AUTHENTICATOR")
    needs_secret = authenticator is None or authenticator.upper() in ("SNOWFLAKE", "SNOWFLAKE_JWT")
    if needs_secret and key_pem is None and password is None:
        encrypted = [
            f"snowflake:{key}"
            for key in ("privateKey", "password")
            if stack.get(f"snowflake:{key}") is _SECURE
        ]
        note = (
            f" ({' and '.join(encrypted)} in {settings.source} is encrypted by Pulumi and not read)"
            if encrypted
            else ""
        )
        raise SettingsError(f"no credential for Snowflake user {user}: {_CREDENTIALS}{note}")
    if key_pem is not None:
        authenticator = "SNOWFLAKE_JWT"
    elif authenticator and authenticator.upper() == "SNOWFLAKE_JWT":
        authenticator = None  # A password, and the stack's key-pair setting.
    config = settings.config
    return Connection(
        account=account,
        user=user,
        role=config.snowflake_owner_role,
        warehouse=config.snowflake_warehouse,
        database=config.snowflake_database,
        schema=config.snowflake_schema,
        authenticator=authenticator,
        host=pick(None, "host", "SNOWFLAKE_HOST"),
        password=None if key_pem is not None else password,
        private_key_pem=key_pem,
        private_key_passphrase=env.get("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE") or None,
    )


def connect(settings: Connection) -> Any:
    """A snowflake-connector-python connection; SettingsError naming what to set if it fails."""
    import snowflake.connector
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from snowflake.connector.errors import Error

    from ops.session import SnowflakeSession, first_line

    arguments: dict[str, Any] = {
        "account": settings.account,
        "user": settings.user,
        "role": settings.role,
        "warehouse": settings.warehouse,
        "database": settings.database,
        "schema": settings.schema,
        "application": "cloudtrail-snowflake-ops",
        "login_timeout": 60,
    }
    if settings.host:
        arguments["host"] = settings.host
    if settings.authenticator:
        arguments["authenticator"] = settings.authenticator
    if settings.private_key_pem is not None:
        passphrase = settings.private_key_passphrase
        try:
            arguments["private_key"] = load_pem_private_key(
                settings.private_key_pem, passphrase.encode() if passphrase else None
            )
        except (ValueError, TypeError) as error:
            raise SettingsError(
                f"the private key is not a usable PEM key ({first_line(error)}): "
                "SNOWFLAKE_PRIVATE_KEY_FILE / SNOWFLAKE_PRIVATE_KEY must hold the PKCS#8 key, "
                "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE its passphrase if it is encrypted"
            ) from None
    elif settings.password is not None:
        arguments["password"] = settings.password
    try:
        return SnowflakeSession(snowflake.connector.connect(**arguments))
    except Error as error:
        raise SettingsError(
            f"cannot connect to Snowflake account {settings.account} as {settings.user} with "
            f"role {settings.role}: {first_line(error)}. Check the account "
            "(SNOWFLAKE_ACCOUNT, or SNOWFLAKE_ORGANIZATION_NAME and SNOWFLAKE_ACCOUNT_NAME), "
            "the user and its key or password"
        ) from None
