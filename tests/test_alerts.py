"""Notifications of new findings: the SNS role's documents and the alert's SQL as pure functions,
then the Notifications and FindingsAlerts components on Pulumi's mocks (trust, wiring, ordering,
absences)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_snowflake as snowflake
import pytest
from conftest import (
    ACCOUNT_ID,
    REGION,
    SNS_EXTERNAL_ID,
    SNS_IAM_USER,
    Deployment,
    Registered,
    declared_resources,
    run_program,
)
from iam_lint import lint
from rehearsal import consume_statement
from support import (
    ALERT,
    EMAIL_INTEGRATION,
    GRANT,
    NOTIFICATION_INTEGRATION,
    ROLE,
    ROLE_POLICY,
    SNOWFLAKE_PROVIDER,
    STREAM,
    TOPIC,
    parses,
)

from components.findings_alerts import FindingsAlerts, FindingsAlertsArgs
from components.location import SnowflakeLocation
from components.notifications import Notifications, NotificationsArgs
from lib import alerts, schema, sql

FINDINGS = "CLOUDTRAIL_DEV.AUDIT.FINDINGS"
ALERT_STREAM = "CLOUDTRAIL_DEV.AUDIT.FINDINGS_ALERT_STREAM"
NOTIFIED = "CLOUDTRAIL_DEV.AUDIT.FINDINGS_NOTIFIED"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:cloudtrail-snowflake-dev-findings"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/cloudtrail-snowflake-dev-sns"
EMAIL_INTEGRATION_NAME = "CLOUDTRAIL_DEV_FINDINGS_EMAIL"
SNS_INTEGRATION_NAME = "CLOUDTRAIL_DEV_FINDINGS_SNS"
EMAILS = ["secops@example.com", "oncall@example.com"]


# --- The SNS publishing role's policy (its trust: test_iam.py) --------------------------------


def test_sns_role_may_only_publish_to_the_findings_topic() -> None:
    policy = alerts.sns_publish_policy(TOPIC_ARN)
    (only,) = policy["Statement"]
    assert only["Effect"] == "Allow"
    assert only["Action"] == "sns:Publish"
    assert only["Resource"] == TOPIC_ARN
    assert "Condition" not in only
    assert lint(policy) == []


def test_topic_arn_is_known_before_the_topic_exists() -> None:
    name = alerts.topic_name("cloudtrail-snowflake-dev")
    assert alerts.topic_arn("aws", REGION, ACCOUNT_ID, name) == TOPIC_ARN
    assert alerts.topic_arn("aws-us-gov", "us-gov-west-1", ACCOUNT_ID, "t") == (
        f"arn:aws-us-gov:sns:us-gov-west-1:{ACCOUNT_ID}:t"
    )


# --- The alert's SQL ----------------------------------------------------------------------------


def test_condition_fires_on_anything_the_stream_holds() -> None:
    """Suppressed and duplicate findings too: the action must consume them, or the stream would
    keep them until it went stale."""
    condition = alerts.alert_condition(ALERT_STREAM)
    assert condition == f"SELECT 1 FROM {ALERT_STREAM}"
    assert parses(condition)


def action(*, email: bool, sns: bool) -> str:
    return alerts.alert_action(
        FINDINGS,
        stream=ALERT_STREAM,
        notified_table=NOTIFIED,
        email_integration=EMAIL_INTEGRATION_NAME if email else None,
        recipients=EMAILS if email else [],
        sns_integration=SNS_INTEGRATION_NAME if sns else None,
    )


def test_action_consumes_the_stream_and_sends_in_one_transaction() -> None:
    both = action(email=True, sns=True)
    assert both.startswith("DECLARE\n") and both.endswith("\nEND")
    begin, insert = both.index("BEGIN TRANSACTION;"), both.index(f"INSERT INTO {NOTIFIED} (")
    first_send = both.index("CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(")
    commit = both.index("COMMIT;")
    # The stream is read by a DML statement inside the transaction that sends: the offset moves
    # only if the sends were queued and the transaction commits.
    assert begin < insert < first_send < commit
    assert f"FROM {ALERT_STREAM}\n" in both[insert:first_send]
    # A failure anywhere rolls back (the stream keeps its rows) and fails the run.
    handler = both[both.index("EXCEPTION") :]
    assert handler.index("ROLLBACK;") < handler.index("RAISE;")
    # Nothing is sent for a run that consumed only suppressed or duplicate findings.
    assert both.index("IF (summary IS NOT NULL) THEN") < first_send
    assert parses(both)


def test_a_refusing_destination_neither_blocks_nor_repeats_the_others() -> None:
    both = action(email=True, sns=True)
    blocks = both.split("        BEGIN\n")[1:]
    # Each CALL alone in a block that counts what its destination did.
    assert len(blocks) == 2
    for block in blocks:
        call = block.index("CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(")
        assert call < block.index("sent := sent + 1;") < block.index("EXCEPTION")
        handler = block[block.index("EXCEPTION") : block.index("END;")]
        assert "refused := refused + 1;" in handler and "RAISE" not in handler
    commit = both.index("COMMIT;")
    # All refused: raised before the commit, so the handler rolls back and the stream keeps
    # the findings for the next run.
    assert (
        both.index("IF (sent = 0 AND refused > 0) THEN\n        RAISE destination_refused;")
        < commit
    )
    # The sends are skipped when nothing alerts: that run commits without raising.
    assert both.index("    END IF;\n    IF (sent = 0 AND refused > 0)") > both.index("END;")
    # One refused, another took it: committed, then the run fails for ALERT_HISTORY to show.
    assert commit < both.index("IF (refused > 0) THEN\n        RAISE destination_refused;")
    assert "destination_refused EXCEPTION (-20001, " in both
    assert parses(both)


def test_action_notifies_only_findings_that_raise_an_alert() -> None:
    insert = consume_statement(action(email=False, sns=True), "b")
    assert insert.endswith("WHERE suppressed_by IS NULL AND duplicate_of IS NULL")
    columns = [c.identifier for c in schema.NOTIFIED_COLUMNS]
    assert f"INSERT INTO {NOTIFIED} ({', '.join(columns)})" in insert
    assert "SELECT 'b', CURRENT_TIMESTAMP(), DETECTION, SEVERITY, EVENTID" in insert


def test_messages_count_this_runs_batch_and_carry_its_id() -> None:
    both = action(email=True, sns=True)
    assert both.count("WHERE batch_id = :batch") == 1
    assert f"new CloudTrail findings in {FINDINGS}: " in both
    assert "LISTAGG(detection || ' (' || severity || '): ' || findings, ', ')" in both
    assert "'batch_id', :batch," in both
    assert "INTO :summary, :details" in both


def test_email_gets_the_summary_as_plain_text_with_its_recipients() -> None:
    email_only = action(email=True, sns=False)
    assert email_only.count("CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(") == 1
    assert "SNOWFLAKE.NOTIFICATION.TEXT_PLAIN(:summary)" in email_only
    assert f"'{EMAIL_INTEGRATION_NAME}'," in email_only
    assert f"'New CloudTrail findings in {FINDINGS}'," in email_only
    assert "ARRAY_CONSTRUCT('secops@example.com', 'oncall@example.com')" in email_only
    assert SNS_INTEGRATION_NAME not in email_only
    assert "APPLICATION_JSON" not in email_only
    assert parses(email_only)


def test_sns_gets_the_counts_as_json() -> None:
    sns_only = action(email=False, sns=True)
    assert sns_only.count("CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(") == 1
    assert "SNOWFLAKE.NOTIFICATION.APPLICATION_JSON(:details)" in sns_only
    assert f"SNOWFLAKE.NOTIFICATION.INTEGRATION('{SNS_INTEGRATION_NAME}')" in sns_only
    assert EMAIL_INTEGRATION_NAME not in sns_only
    assert "TEXT_PLAIN" not in sns_only
    assert parses(sns_only)


def test_recipients_and_subject_are_quoted_as_sql_strings() -> None:
    calls = alerts.notification_calls(
        subject="Bob's pipeline",
        email_integration=EMAIL_INTEGRATION_NAME,
        recipients=["o'neil@example.com", "back\\slash@example.com"],
        sns_integration=None,
    )
    assert "ARRAY_CONSTRUCT('o''neil@example.com', 'back\\\\slash@example.com')" in calls
    assert "'Bob''s pipeline'," in calls
    assert parses(calls)


@pytest.mark.parametrize("minutes", [0, -5, 1440])
def test_interval_outside_what_snowflake_schedules_is_refused(minutes: int) -> None:
    with pytest.raises(ValueError, match=rf"alert interval {minutes} minutes .* 1 to 1439"):
        alerts.checked_interval(minutes)


def test_action_needs_a_destination_and_recipients_with_email() -> None:
    with pytest.raises(ValueError, match="at least one destination"):
        alerts.notification_calls(
            subject="s", email_integration=None, recipients=[], sns_integration=None
        )
    with pytest.raises(ValueError, match="needs recipients"):
        alerts.notification_calls(
            subject="s",
            email_integration=EMAIL_INTEGRATION_NAME,
            recipients=[],
            sns_integration=None,
        )


def test_integration_names_must_be_plain_upper_case_identifiers() -> None:
    assert alerts.email_integration_name("CLOUDTRAIL_DEV") == EMAIL_INTEGRATION_NAME
    assert alerts.sns_integration_name("CLOUDTRAIL_DEV") == SNS_INTEGRATION_NAME
    with pytest.raises(ValueError, match="'cloudtrail_dev_FINDINGS_SNS' is not a plain upper"):
        alerts.sns_integration_name("cloudtrail_dev")


# The placeholders tests/test_sql_parse.py needs to render these files as deployed.
PLACEHOLDERS = {
    "findings_table": FINDINGS,
    "stream": ALERT_STREAM,
    "notified_table": NOTIFIED,
    "notified_columns": "batch_id, notified_at, detection",
    "send_declarations": "sent INTEGER DEFAULT 0;",
    "send_commit": "COMMIT;",
    "finding_columns": "detection",
    "notifications": "CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(:details, 'X');",
    "subject": "New CloudTrail findings",
    "email_integration": EMAIL_INTEGRATION_NAME,
    "recipients": "'secops@example.com', 'oncall@example.com'",
    "sns_integration": SNS_INTEGRATION_NAME,
}


@pytest.mark.parametrize(
    "name",
    ["alert_condition.sql", "alert_action.sql", "alert_action_email.sql", "alert_action_sns.sql"],
)
def test_each_alert_sql_file_parses_on_its_own(name: str) -> None:
    assert parses(sql.load_sql(name).format(**PLACEHOLDERS))


# --- The component on Pulumi's mocks ------------------------------------------------------------


def alerts_program(**overrides: Any) -> Callable[[], None]:
    """Notifications and a FindingsAlerts as the stack would declare them: explicit owner and
    admin providers, the FINDINGS table the alert follows, the account's partition, region and
    ID from the AWS provider. `overrides` go to NotificationsArgs, or to FindingsAlertsArgs for
    the fields only it has."""

    def program() -> None:
        owner = snowflake.Provider("snowflake-owner", role="SYSADMIN", warehouse="COMPUTE_WH")
        admin = snowflake.Provider("snowflake-admin", role="ACCOUNTADMIN", warehouse="COMPUTE_WH")
        findings = snowflake.Table(
            "findings",
            database="CLOUDTRAIL_DEV",
            schema="AUDIT",
            name="FINDINGS",
            columns=[{"name": "DETECTION", "type": "VARCHAR"}],
            opts=pulumi.ResourceOptions(provider=owner),
        )
        notifications: dict[str, Any] = {
            "emails": EMAILS,
            "sns": True,
            "name_prefix": "cloudtrail-snowflake-dev",
            "integration_prefix": "CLOUDTRAIL_DEV",
            "account_id": aws.get_caller_identity_output().account_id,
            "partition": aws.get_partition_output().partition,
            "region": aws.get_region_output().region,
            "owner_role": "SYSADMIN",
            "admin_role": "ACCOUNTADMIN",
            "admin_provider": admin,
        }
        alert: dict[str, Any] = {
            "location": SnowflakeLocation("CLOUDTRAIL_DEV", "AUDIT", ()),
            "findings_table": FINDINGS,
            "findings": findings,
            "warehouse": "COMPUTE_WH",
            "interval_minutes": 15,
            # The account-level grants are AccountGrants' (test_stack.py checks the alert waits).
            "alert_grants": [],
        }
        for key, value in overrides.items():
            (alert if key in alert else notifications)[key] = value
        destinations = Notifications("notifications", NotificationsArgs(**notifications))
        FindingsAlerts(
            "alerts",
            FindingsAlertsArgs(**alert, destinations=destinations.destinations),
            opts=pulumi.ResourceOptions(providers={"snowflake": owner}),
        )

    return program


@pytest.fixture(scope="module")
def both() -> Deployment:
    return deploy_alerts()


def deploy_alerts(**overrides: Any) -> Deployment:
    try:
        return run_program(program=alerts_program(**overrides))
    finally:
        pulumi.runtime.set_all_config({})


def provider_of(deployment: Deployment, resource: Registered) -> str:
    """The name of the explicit Snowflake provider a resource is declared with."""
    providers = {p.urn: p.name for p in deployment.all(SNOWFLAKE_PROVIDER)}
    return providers[resource.provider.rsplit("::", 1)[0]]


def test_role_trusts_exactly_what_the_notification_integration_shows(both: Deployment) -> None:
    integration = both.one(NOTIFICATION_INTEGRATION)
    trust = both.one(ROLE).policy("assumeRolePolicy")
    (only,) = trust["Statement"]
    assert only["Principal"] == {"AWS": integration.outputs["awsSnsIamUserArn"]}
    assert only["Condition"] == {
        "StringEquals": {"sts:ExternalId": integration.outputs["awsSnsExternalId"]}
    }
    assert (only["Principal"]["AWS"], integration.outputs["awsSnsExternalId"]) == (
        SNS_IAM_USER,
        SNS_EXTERNAL_ID,
    )
    assert lint(trust, trust_policy=True) == []
    # The trust can only be written once Snowflake has shown the user and ID.
    assert both.depends_on(both.one(ROLE), integration)


def test_integration_names_the_role_that_is_created_and_the_topic(both: Deployment) -> None:
    integration = both.one(NOTIFICATION_INTEGRATION)
    role = both.one(ROLE)
    assert integration.inputs["awsSnsRoleArn"] == role.outputs["arn"] == ROLE_ARN
    assert role.inputs["name"] == "cloudtrail-snowflake-dev-sns"
    # The cycle is broken by the ARN string: the integration does not wait for the role.
    assert not both.depends_on(integration, role)
    assert integration.inputs["awsSnsTopicArn"] == TOPIC_ARN
    assert both.depends_on(integration, both.one(TOPIC))
    assert integration.inputs["notificationProvider"] == "AWS_SNS"
    assert integration.inputs["enabled"] is True
    assert integration.inputs["name"] == SNS_INTEGRATION_NAME


def test_topic_is_standard_encrypted_and_named_for_the_stack(both: Deployment) -> None:
    topic = both.one(TOPIC)
    assert topic.inputs["name"] == "cloudtrail-snowflake-dev-findings"
    assert topic.inputs.get("fifoTopic") is False
    assert topic.inputs["kmsMasterKeyId"] == "alias/aws/sns"
    # The region the integration's topic ARN names.
    assert topic.inputs["region"] == REGION


def test_role_may_only_publish_to_the_findings_topic(both: Deployment) -> None:
    (policy,) = both.all(ROLE_POLICY)
    assert policy.inputs["role"] == both.one(ROLE).inputs["name"]
    document = policy.policy("policy")
    (only,) = document["Statement"]
    assert (only["Effect"], only["Action"], only["Resource"]) == ("Allow", "sns:Publish", TOPIC_ARN)
    assert lint(document) == []


def test_email_integration_allows_exactly_the_configured_recipients(both: Deployment) -> None:
    email = both.one(EMAIL_INTEGRATION)
    assert email.inputs["name"] == EMAIL_INTEGRATION_NAME
    assert email.inputs["enabled"] is True
    assert email.inputs["allowedRecipients"] == EMAILS


def test_admin_provider_owns_integrations_and_grants_owner_provider_the_alert(
    both: Deployment,
) -> None:
    for resource in both.resources:
        if resource.type in (EMAIL_INTEGRATION, NOTIFICATION_INTEGRATION, GRANT):
            assert provider_of(both, resource) == "snowflake-admin", resource.name
    assert provider_of(both, both.one(ALERT)) == "snowflake-owner"


def test_owner_role_gets_usage_on_each_integration_again_on_replacement(
    both: Deployment,
) -> None:
    usage = {
        g.inputs["onAccountObject"]["objectName"]: g
        for g in both.all(GRANT)
        if g.inputs["privileges"] == ["USAGE"]
    }
    assert set(usage) == {EMAIL_INTEGRATION_NAME, SNS_INTEGRATION_NAME}
    for integration in (both.one(EMAIL_INTEGRATION), both.one(NOTIFICATION_INTEGRATION)):
        grant = usage[integration.inputs["name"]]
        assert grant.inputs["accountRoleName"] == "SYSADMIN"
        assert grant.inputs["onAccountObject"]["objectType"] == "INTEGRATION"
        assert grant.replace_with == [integration.urn]


def test_usage_grants_go_with_their_integrations_on_destroy(both: Deployment) -> None:
    """USAGE on this stack's own integrations is dropped with them; the account-level grants the
    alert needs are shared, and AccountGrants keeps them (test_stack.py)."""
    assert [g.name for g in both.all(GRANT) if g.retain_on_delete] == []


def test_alert_watches_the_findings_table_and_is_resumed(both: Deployment) -> None:
    alert = both.one(ALERT)
    assert (alert.inputs["database"], alert.inputs["schema"]) == ("CLOUDTRAIL_DEV", "AUDIT")
    assert alert.inputs["name"] == "FINDINGS_ALERT"
    assert alert.inputs["warehouse"] == "COMPUTE_WH"
    assert alert.inputs["alertSchedule"] == {"interval": 15}
    # A new alert is suspended: enabled makes the provider resume it.
    assert alert.inputs["enabled"] is True
    assert alert.inputs["condition"] == alerts.alert_condition(ALERT_STREAM)
    assert alert.inputs["action"] == action(email=True, sns=True)


def test_the_stream_follows_findings_from_its_creation_on(both: Deployment) -> None:
    stream = both.one(STREAM)
    assert stream.inputs["name"] == "FINDINGS_ALERT_STREAM"
    assert stream.inputs["table"] == FINDINGS
    assert stream.inputs["appendOnly"] == "true"
    # Not the findings made before it: on an upgrade the former alert notified them.
    assert stream.inputs["showInitialRows"] == "false"
    assert both.depends_on(stream, both.named("findings"))


def test_the_record_of_what_was_notified_outlives_the_stack(both: Deployment) -> None:
    notified = both.named("alerts-notified")
    assert notified.inputs["name"] == "FINDINGS_NOTIFIED"
    assert [(c["name"], c["type"]) for c in notified.inputs["columns"]] == [
        (c.identifier, c.type) for c in schema.NOTIFIED_COLUMNS
    ]
    assert notified.retain_on_delete


def test_alert_follows_its_stream_table_grants_and_the_publishing_role(both: Deployment) -> None:
    alert = both.one(ALERT)
    for waited in ("findings", "alerts-notified", "alerts-stream"):
        assert both.depends_on(alert, both.named(waited)), waited
    for grant in both.all(GRANT):
        assert both.depends_on(alert, grant), grant.name
    for integration in (both.one(EMAIL_INTEGRATION), both.one(NOTIFICATION_INTEGRATION)):
        assert both.depends_on(alert, integration)
    assert both.depends_on(alert, both.one(ROLE_POLICY))


def test_email_only_declares_no_sns_resources() -> None:
    email_only = deploy_alerts(sns=False)
    for absent in (TOPIC, ROLE, ROLE_POLICY, NOTIFICATION_INTEGRATION):
        assert email_only.all(absent) == [], absent
    assert email_only.one(EMAIL_INTEGRATION).inputs["allowedRecipients"] == EMAILS
    assert SNS_INTEGRATION_NAME not in email_only.one(ALERT).inputs["action"]
    usage = [g for g in email_only.all(GRANT) if g.inputs["privileges"] == ["USAGE"]]
    assert [g.inputs["onAccountObject"]["objectName"] for g in usage] == [EMAIL_INTEGRATION_NAME]


def test_sns_only_declares_no_email_integration() -> None:
    sns_only = deploy_alerts(emails=[])
    assert sns_only.all(EMAIL_INTEGRATION) == []
    assert sns_only.one(NOTIFICATION_INTEGRATION).inputs["name"] == SNS_INTEGRATION_NAME
    assert EMAIL_INTEGRATION_NAME not in sns_only.one(ALERT).inputs["action"]
    usage = [g for g in sns_only.all(GRANT) if g.inputs["privileges"] == ["USAGE"]]
    assert [g.inputs["onAccountObject"]["objectName"] for g in usage] == [SNS_INTEGRATION_NAME]


def test_no_usage_grant_when_one_role_owns_everything() -> None:
    one_role = deploy_alerts(owner_role="ACCOUNTADMIN")
    assert one_role.all(GRANT) == []
    assert one_role.one(ALERT).inputs["enabled"] is True


def test_bad_interval_fails_before_any_alert_resource_exists() -> None:
    with pytest.raises(ValueError, match="alert interval 0 minutes is out of range"):
        deploy_alerts(interval_minutes=0)
    declared = {urn.split("::")[-1] for urn in declared_resources()}
    assert not {"alerts-alert", "alerts-stream", "alerts-notified"} & declared


def test_no_destination_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one destination"):
        deploy_alerts(emails=[], sns=False)
