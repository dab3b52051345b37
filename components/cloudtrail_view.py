"""CloudTrailView: the `cloudtrail` view, one row per event over the raw log files."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from lib import sql

VIEW = "CLOUDTRAIL"


@dataclass
class CloudTrailViewArgs:
    database: str
    schema: str
    raw_table: str
    """Fully qualified name of the raw table the view flattens."""
    table: pulumi.Resource
    """The raw table itself, which the view must follow."""


class CloudTrailView(pulumi.ComponentResource):
    view_name: str

    def __init__(
        self, name: str, args: CloudTrailViewArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:CloudTrailView", name, None, opts)
        self.view_name = sql.qualified(args.database, args.schema, VIEW)
        snowflake.View(
            f"{name}-view",
            database=args.database,
            schema=args.schema,
            name=VIEW,
            statement=sql.cloudtrail_view_statement(args.raw_table),
            comment="One row per CloudTrail event (columns of Snowflake's CloudTrail quickstart)",
            # A changed statement recreates the view; keep the grants analysts were given.
            copy_grants=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.table]),
        )
        self.register_outputs({"view_name": self.view_name})
