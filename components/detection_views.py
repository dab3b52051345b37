"""DetectionViews: one view per detection over the `cloudtrail` view, and DETECT_ALL, which
unions them (one row per detection and event)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.aliases import moved_from
from components.location import SnowflakeLocation
from lib.detections import Detection, findings_statement
from lib.schema import DETECT_ALL_VIEW

# Declared by CloudTrailView("view") until the detection views got a component of their own.
_FORMER_PARENT = ("cloudtrail-snowflake:snowflake:CloudTrailView", "view")


@dataclass
class DetectionViewsArgs:
    location: SnowflakeLocation
    cloudtrail_view: str
    """Fully qualified name of the `cloudtrail` view the detections read."""
    view: pulumi.Resource
    """The `cloudtrail` view itself, which every detection view must follow."""
    detections: list[Detection]


class DetectionViews(pulumi.ComponentResource):
    all_view_name: str

    def __init__(
        self, name: str, args: DetectionViewsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:DetectionViews", name, None, opts)
        location = args.location

        def options(suffix: str, after: list[pulumi.Resource]) -> pulumi.ResourceOptions:
            """In the schema, after `after`; aliased to the name it had under CloudTrailView."""
            return pulumi.ResourceOptions.merge(
                location.options(self, after),
                pulumi.ResourceOptions(
                    aliases=[moved_from(*_FORMER_PARENT, f"{_FORMER_PARENT[1]}-{suffix}")]
                ),
            )

        detection_views: list[pulumi.Resource] = []
        qualified_views = {}
        for detection in args.detections:
            qualified_views[detection.id] = location.qualified(detection.view_name)
            suffix = detection.id.replace("_", "-")
            detection_views.append(
                snowflake.View(
                    f"{name}-{suffix}",
                    database=location.database,
                    schema=location.schema,
                    name=detection.view_name,
                    # A threshold detection counts over the whole view.
                    statement=detection.select(args.cloudtrail_view, args.cloudtrail_view),
                    comment=detection.summary,
                    # A changed statement recreates the view; keep the grants analysts were given.
                    copy_grants=True,
                    opts=options(suffix, [args.view]),
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
            opts=options("all", detection_views),
        )
        self.register_outputs({"all_view_name": self.all_view_name})
