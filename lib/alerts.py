"""Notifications: the alerts' SQL and the SNS publishing role's policy, built from plain values
(its trust is `iam.snowflake_trust_policy`).

Components only feed Outputs into these functions (`Output.all(...).apply(fn)`), so every
statement and document is unit-tested (and linted) on its own.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from lib import sql
from lib.iam import PolicyDocument
from lib.schema import NOTIFIED_COLUMNS, NOTIFIED_FINDING_COLUMNS

# Snowflake's alert schedule is `<n> MINUTE`; the provider accepts 1 to 1439 minutes.
MIN_INTERVAL_MINUTES = 1
MAX_INTERVAL_MINUTES = 1439

# The integration names end up inside string literals of the alert's action, where Snowflake
# resolves them as unquoted identifiers: they must be plain upper-case names.
_INTEGRATION_NAME = re.compile(r"^[A-Z_][A-Z0-9_$]{0,254}$")


def email_integration_name(integration_prefix: str) -> str:
    return _checked_name(f"{integration_prefix}_FINDINGS_EMAIL")


def sns_integration_name(integration_prefix: str) -> str:
    return _checked_name(f"{integration_prefix}_FINDINGS_SNS")


def topic_name(name_prefix: str) -> str:
    return f"{name_prefix}-findings"


def topic_arn(partition: str, region: str, account_id: str, name: str) -> str:
    """The topic's ARN, known before the topic exists (like the role's), so the integration, the
    role's policy and the topic can be declared in one pass."""
    return f"arn:{partition}:sns:{region}:{account_id}:{name}"


def sns_publish_policy(topic: str) -> PolicyDocument:
    """Publish to the findings topic and nothing else: no subscribe, no topic administration.

    No KMS statement: the topic is encrypted with the AWS managed key `alias/aws/sns`, whose key
    policy already lets every principal of the account use it through SNS. A customer managed key
    would need `kms:GenerateDataKey*` and `kms:Decrypt` on that key here and in its key policy.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublishFindings",
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": topic,
            }
        ],
    }


def sql_string(value: str) -> str:
    """A Snowflake single-quoted string literal (backslash is an escape character there too)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def alert_condition(stream: str) -> str:
    """Fires when the stream on FINDINGS holds rows the alert has not handed on."""
    return sql.load_sql("alert_condition.sql").format(stream=stream)


def alert_action(
    findings_table: str,
    *,
    stream: str,
    notified_table: str,
    email_integration: str | None,
    recipients: Sequence[str],
    sns_integration: str | None,
) -> str:
    """Consumes the stream into `notified_table` and sends the counts of the findings that raise
    an alert, in one transaction (sql/alert_action.sql)."""
    return sql.load_sql("alert_action.sql").format(
        findings_table=findings_table,
        stream=stream,
        notified_table=notified_table,
        notified_columns=", ".join(c.identifier for c in NOTIFIED_COLUMNS),
        finding_columns=", ".join(c.identifier for c in NOTIFIED_FINDING_COLUMNS),
        send_declarations=send_declarations(),
        send_commit=send_commit(),
        notifications=textwrap.indent(
            notification_calls(
                subject=f"New CloudTrail findings in {findings_table}",
                email_integration=email_integration,
                recipients=recipients,
                sns_integration=sns_integration,
            ),
            " " * 8,
        ),
    )


def notification_calls(
    *,
    subject: str,
    email_integration: str | None,
    recipients: Sequence[str],
    sns_integration: str | None,
) -> str:
    """One block per destination (sql/alert_send.sql), each a CALL with the one message type it
    takes: the Scripting variable `summary` as plain text by email (under `subject`), `details`
    as JSON to SNS. Each block counts into `sent` or `refused`, which the action declares and
    reads (sql/alert_action.sql says what it does with them)."""
    if (email_integration is None) != (not recipients):
        raise ValueError("an email integration needs recipients, and recipients an integration")
    if email_integration is None and sns_integration is None:
        raise ValueError("an alert needs at least one destination (email or SNS)")
    calls = []
    if email_integration is not None:
        calls.append(
            sql.load_sql("alert_action_email.sql").format(
                email_integration=_checked_name(email_integration),
                subject=sql_string(subject)[1:-1],
                recipients=", ".join(sql_string(r) for r in recipients),
            )
        )
    if sns_integration is not None:
        calls.append(
            sql.load_sql("alert_action_sns.sql").format(
                sns_integration=_checked_name(sns_integration)
            )
        )
    send = sql.load_sql("alert_send.sql")
    return "\n".join(send.format(call=textwrap.indent(call, " " * 4)) for call in calls)


def send_declarations() -> str:
    """The DECLARE lines of an action that sends through `notification_calls`."""
    return textwrap.indent(sql.load_sql("alert_send_declarations.sql"), " " * 4)


def send_commit() -> str:
    """How an action that sends through `notification_calls` ends (sql/alert_send_commit.sql)."""
    return textwrap.indent(sql.load_sql("alert_send_commit.sql"), " " * 4)


def checked_interval(minutes: int) -> int:
    if not MIN_INTERVAL_MINUTES <= minutes <= MAX_INTERVAL_MINUTES:
        raise ValueError(
            f"alert interval {minutes} minutes is out of range: Snowflake schedules alerts every "
            f"{MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES} minutes"
        )
    return minutes


def _checked_name(name: str) -> str:
    if not _INTEGRATION_NAME.match(name):
        raise ValueError(
            f"integration name {name!r} is not a plain upper-case Snowflake identifier "
            "(letters, digits, _ and $, starting with a letter or _)"
        )
    return name
