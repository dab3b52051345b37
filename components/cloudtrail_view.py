"""CloudTrailView: the `cloudtrail` view (one row per event over the raw log files), one view per
detection over it, and the FINDINGS view that unions them."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from lib import sql
from lib.detections import Detection, findings_statement

VIEW = "CLOUDTRAIL"
FINDINGS_VIEW = "FINDINGS"


@dataclass
class CloudTrailViewArgs:
    database: str
    schema: str
    raw_table: str
    """Fully qualified name of the raw table the view flattens."""
    table: pulumi.Resource
    """The raw table itself, which the view must follow."""
    detections: list[Detection]


class CloudTrailView(pulumi.ComponentResource):
    view_name: str
    findings_view_name: str

    def __init__(
        self, name: str, args: CloudTrailViewArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:CloudTrailView", name, None, opts)
        self.view_name = sql.qualified(args.database, args.schema, VIEW)
        events = snowflake.View(
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

        detection_views = []
        qualified_views = {}
        for detection in args.detections:
            qualified_views[detection.id] = sql.qualified(
                args.database, args.schema, detection.view_name
            )
            cis = detection.cis["v1.4-v5.0"]
            detection_views.append(
                snowflake.View(
                    f"{name}-{detection.id.replace('_', '-')}",
                    database=args.database,
                    schema=args.schema,
                    name=detection.view_name,
                    statement=detection.render(self.view_name),
                    comment=f"CIS {cis}: {detection.title} ({detection.severity})",
                    copy_grants=True,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[events]),
                )
            )

        self.findings_view_name = sql.qualified(args.database, args.schema, FINDINGS_VIEW)
        snowflake.View(
            f"{name}-findings",
            database=args.database,
            schema=args.schema,
            name=FINDINGS_VIEW,
            statement=findings_statement(args.detections, qualified_views),
            comment="Every detection's findings, one row per detection and event",
            copy_grants=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=detection_views),
        )
        self.register_outputs(
            {"view_name": self.view_name, "findings_view_name": self.findings_view_name}
        )
