"""SnowflakeSchema: the database and schema the stack's Snowflake objects live in, created unless
they exist already, and kept when the stack is destroyed."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.aliases import moved_from
from components.location import SnowflakeLocation

# Declared by SnowpipeIngest("ingest") until the database and schema got a component of their own.
_FORMER_PARENT = ("cloudtrail-snowflake:snowflake:SnowpipeIngest", "ingest")


@dataclass
class SnowflakeSchemaArgs:
    database: str
    schema: str
    create_database: bool
    """False: the database exists and is not the stack's (nor is the schema then, usually)."""
    create_schema: bool


class SnowflakeSchema(pulumi.ComponentResource):
    location: SnowflakeLocation
    """The database and schema, for every other component's objects."""

    def __init__(
        self, name: str, args: SnowflakeSchemaArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:SnowflakeSchema", name, None, opts)
        # Loaded data must outlive the stack: what holds it is retained on `pulumi destroy`
        # (dropping the database or schema would drop the tables with it).
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True)

        containers: list[pulumi.Resource] = []
        if args.create_database:
            containers.append(
                snowflake.Database(
                    f"{name}-database",
                    name=args.database,
                    opts=pulumi.ResourceOptions.merge(
                        keep,
                        pulumi.ResourceOptions(
                            aliases=[moved_from(*_FORMER_PARENT, "ingest-database")]
                        ),
                    ),
                )
            )
        if args.create_schema:
            containers.append(
                snowflake.Schema(
                    f"{name}-schema",
                    database=args.database,
                    name=args.schema,
                    opts=pulumi.ResourceOptions.merge(
                        keep,
                        pulumi.ResourceOptions(
                            depends_on=list(containers),
                            aliases=[moved_from(*_FORMER_PARENT, "ingest-schema")],
                        ),
                    ),
                )
            )
        self.location = SnowflakeLocation(args.database, args.schema, tuple(containers))
        self.register_outputs({"database": args.database, "schema": args.schema})
