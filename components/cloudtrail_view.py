"""CloudTrailView: the `cloudtrail` view, one row per event over the typed events table, with the
columns of Snowflake's CloudTrail quickstart."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.location import SnowflakeLocation
from lib import sql
from lib.schema import CLOUDTRAIL_VIEW


@dataclass
class CloudTrailViewArgs:
    location: SnowflakeLocation
    events_table: str
    """Fully qualified name of the typed events table the view reads."""
    table: pulumi.Resource
    """The events table itself, which the view must follow."""


class CloudTrailView(pulumi.ComponentResource):
    view_name: str
    view: snowflake.View

    def __init__(
        self, name: str, args: CloudTrailViewArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:CloudTrailView", name, None, opts)
        location = args.location
        self.view_name = location.qualified(CLOUDTRAIL_VIEW)
        self.view = snowflake.View(
            f"{name}-view",
            database=location.database,
            schema=location.schema,
            name=CLOUDTRAIL_VIEW,
            statement=sql.cloudtrail_view_statement(args.events_table),
            comment="One row per CloudTrail event (columns of Snowflake's CloudTrail quickstart)",
            # A changed statement recreates the view; keep the grants analysts were given.
            copy_grants=True,
            opts=location.options(self, [args.table]),
        )

        self.register_outputs({"view_name": self.view_name})
