"""Suppressions: the SUPPRESSIONS table, where analysts record the findings they expect (a
deployment role's IAM changes, a scanner's probes), and its seed from the stack's
`suppressionsFile`. The findings task marks each finding a suppression matches with its id and
keeps it; the alert leaves it out (sql/findings_merge.sql, lib/suppressions.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_snowflake as snowflake

from components.location import SnowflakeLocation
from lib.schema import SUPPRESSION_COLUMNS, SUPPRESSIONS_TABLE, Column
from lib.suppressions import Suppression, seed_statement


@dataclass
class SuppressionsArgs:
    location: SnowflakeLocation
    seed: list[Suppression]
    """The suppressions of the stack's file, written to the table by id; [] = none."""


def _column(column: Column) -> snowflake.TableColumnArgsDict:
    declared: snowflake.TableColumnArgsDict = {
        "name": column.identifier,
        "type": column.type,
        "nullable": column.nullable,
    }
    if column.default is not None:
        declared["default"] = {"expression": column.default}
    return declared


class Suppressions(pulumi.ComponentResource):
    table_name: str
    table: snowflake.Table

    def __init__(
        self, name: str, args: SuppressionsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:snowflake:Suppressions", name, None, opts)
        location = args.location
        self.table_name = location.qualified(SUPPRESSIONS_TABLE)
        self.table = snowflake.Table(
            f"{name}-table",
            database=location.database,
            schema=location.schema,
            name=SUPPRESSIONS_TABLE,
            comment="Findings to keep but not alert on, until expires_at (cloudtrail-snowflake)",
            columns=[_column(c) for c in SUPPRESSION_COLUMNS],
            # Which suppression hid which finding is part of the audit record: kept on destroy.
            opts=location.options(self, retain_on_delete=True),
        )
        if args.seed:
            # Run on create, and again (as a replacement) whenever the file's rows change. The
            # revert does nothing: the rows outlive the stack, like the table.
            snowflake.Execute(
                f"{name}-seed",
                execute=seed_statement(self.table_name, args.seed),
                revert="SELECT 1",
                opts=location.options(self, [self.table]),
            )
        self.register_outputs({"table_name": self.table_name})
