"""Where the stack's Snowflake objects live, and what must exist before any of them is created.

Pulumi creates every resource whose dependencies are met in parallel; an object waits for another
only through `depends_on` or an Output it consumes. A table declared with plain `database` and
`schema` strings consumes neither, so on the first `pulumi up` its CREATE TABLE races CREATE
SCHEMA and fails ("Schema ... does not exist"). Components therefore never receive the names
alone: they receive a `SnowflakeLocation`, whose `options` make each object wait for the database
and schema the stack creates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from lib import sql


@dataclass(frozen=True)
class SnowflakeLocation:
    database: str
    schema: str
    created_by: tuple[pulumi.Resource, ...]
    """The Database and Schema resources the stack declares for them (none when both exist)."""

    def qualified(self, name: str) -> str:
        return sql.qualified(self.database, self.schema, name)

    def options(
        self,
        parent: pulumi.Resource,
        after: Sequence[pulumi.Resource] = (),
        *,
        retain_on_delete: bool | None = None,
        delete_before_replace: bool | None = None,
        replace_with: Sequence[pulumi.Resource] = (),
    ) -> pulumi.ResourceOptions:
        """Options for an object in this schema: parented, and waiting for the database and
        schema as well as for `after` (the objects its definition or statement names).

        The other options stay unset unless given: an explicit False would override the
        provider, which deletes a named object before creating its replacement (creating first
        would fail on the name), and would stop `retain_on_delete` being inherited."""
        return pulumi.ResourceOptions(
            parent=parent,
            depends_on=[*self.created_by, *after],
            retain_on_delete=retain_on_delete,
            delete_before_replace=delete_before_replace,
            replace_with=list(replace_with) or None,
        )
