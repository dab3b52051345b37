"""CloudTrailView: the `cloudtrail` view (one row per event, over the typed events table), one
view per detection over it, and the DETECT_ALL view that unions them."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.location import SnowflakeLocation
from lib import sql
from lib.detections import Detection, findings_statement
from lib.schema import CLOUDTRAIL_VIEW, DETECT_ALL_VIEW


@dataclass
class CloudTrailViewArgs:
    location: SnowflakeLocation
    events_table: str
    """Fully qualified name of the typed events table the view reads."""
    table: pulumi.Resource
    """The events table itself, which the view must follow."""
    detections: list[Detection]


class CloudTrailView(pulumi.ComponentResource):
    view_name: str
    all_view_name: str

    def __init__(
        self, name: str, args: CloudTrailViewArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:CloudTrailView", name, None, opts)
        location = args.location
        self.view_name = location.qualified(CLOUDTRAIL_VIEW)
        events = snowflake.View(
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

        detection_views = []
        qualified_views = {}
        for detection in args.detections:
            qualified_views[detection.id] = location.qualified(detection.view_name)
            detection_views.append(
                snowflake.View(
                    f"{name}-{detection.id.replace('_', '-')}",
                    database=location.database,
                    schema=location.schema,
                    name=detection.view_name,
                    statement=detection.render(self.view_name),
                    comment=detection.summary,
                    copy_grants=True,
                    opts=location.options(self, [events]),
                )
            )

        self.all_view_name = location.qualified(DETECT_ALL_VIEW)
        snowflake.View(
            f"{name}-all",
            database=location.database,
            schema=location.schema,
            name=DETECT_ALL_VIEW,
            statement=findings_statement(args.detections, qualified_views),
            comment="Every detection over every event, one row per detection and event",
            copy_grants=True,
            opts=location.options(self, detection_views),
        )
        self.register_outputs({"view_name": self.view_name, "all_view_name": self.all_view_name})
