"""The program as `pulumi up` would run it, on Pulumi's mocks: what it declares, how the pieces
are wired, in which order, and what survives `pulumi destroy`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from config_doc import ROOT, project_settings
from conftest import (
    ACCOUNT_ID,
    CONFIGS,
    EXTERNAL_ID,
    SNOWFLAKE_IAM_USER,
    SNOWPIPE_QUEUE,
    Deployment,
    Registered,
    declared_resources,
)
from iam_lint import lint
from rehearsal import Copy, object_name
from support import (
    ALERT,
    BUCKET,
    BUCKET_NOTIFICATION,
    BUCKET_POLICY,
    DATABASE,
    DATABASE_ROLE_GRANT,
    EMAIL_INTEGRATION,
    ENCRYPTION,
    EXECUTE,
    FILE_FORMAT,
    GRANT,
    LIFECYCLE,
    OWNERSHIP_CONTROLS,
    PIPE,
    PUBLIC_ACCESS_BLOCK,
    RANDOM_PASSWORD,
    RAW_VALUES,
    ROLE,
    ROLE_POLICY,
    SCHEMA,
    SLEEP,
    SNOWFLAKE_PROVIDER,
    STAGE,
    STORAGE_INTEGRATION,
    STREAM,
    TABLE,
    TASK,
    TOPIC,
    TRAIL,
    VERSIONING,
    VIEW,
)

from lib import schema, sql
from lib.config import ConfigError
from lib.detections import findings_statement, load_detections, reach_minutes
from lib.suppressions import load_suppressions, seed_statement

Deploy = Callable[..., Deployment]

BUCKET_NAME = f"cloudtrail-snowflake-dev-{ACCOUNT_ID}"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


EXISTING = {"existingBucketName": "org-trail-logs", "createTrail": "false"}


@pytest.fixture
def dev(deploy: Deploy) -> Deployment:
    return deploy()


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in document["Statement"] if s.get("Sid") == sid)


# --- The circular trust, resolved in one stack ------------------------------------------------


def test_role_trusts_exactly_the_integrations_user_with_our_external_id(dev: Deployment) -> None:
    trust = dev.one(ROLE).policy("assumeRolePolicy")
    (only,) = trust["Statement"]
    assert only["Principal"] == {"AWS": SNOWFLAKE_IAM_USER}
    assert only["Action"] == "sts:AssumeRole"
    assert only["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}
    # The same random ID is the one the integration presents.
    assert dev.one(STORAGE_INTEGRATION).inputs["storageAwsExternalId"] == EXTERNAL_ID
    assert dev.one(RANDOM_PASSWORD).inputs["special"] is False
    assert lint(trust, trust_policy=True) == []


def test_integration_names_the_role_that_is_created(dev: Deployment) -> None:
    integration, role = dev.one(STORAGE_INTEGRATION), dev.one(ROLE)
    assert integration.inputs["storageAwsRoleArn"] == role.outputs["arn"]
    assert role.inputs["name"] == "cloudtrail-snowflake-dev"
    assert integration.inputs["storageProvider"] == "S3"
    assert integration.inputs["enabled"] is True
    assert integration.inputs["storageAllowedLocations"] == [f"s3://{BUCKET_NAME}/cloudtrail/"]
    # The integration is declared before the role it names: no cycle.
    assert not dev.depends_on(integration, role)


def test_role_policy_is_read_only_on_the_log_prefix(dev: Deployment) -> None:
    policy = dev.one(ROLE_POLICY)
    document = policy.policy("policy")
    granted = {
        action
        for s in document["Statement"]
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert granted == {
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:ListBucket",
        "s3:GetBucketLocation",
    }
    assert (
        statement(document, "ReadLogObjects")["Resource"]
        == f"arn:aws:s3:::{BUCKET_NAME}/cloudtrail/*"
    )
    assert dev.depends_on(policy, dev.one(ROLE))
    assert lint(document) == []


def test_nothing_uses_the_integration_before_iam_has_propagated(dev: Deployment) -> None:
    sleep, stage = dev.one(SLEEP), dev.one(STAGE)
    assert sleep.inputs["createDuration"] == "20s"
    assert dev.depends_on(sleep, dev.one(ROLE))
    assert dev.depends_on(sleep, dev.one(ROLE_POLICY))
    assert dev.depends_on(stage, sleep)
    assert dev.depends_on(stage, dev.named("trust-usage"))
    assert dev.depends_on(dev.one(PIPE), stage)


def test_admin_role_owns_only_the_integration_and_grants_usage(dev: Deployment) -> None:
    providers = {p.name: p for p in dev.all(SNOWFLAKE_PROVIDER)}
    assert providers["snowflake-admin"].inputs["role"] == "ACCOUNTADMIN"
    assert providers["snowflake-owner"].inputs["role"] == "SYSADMIN"
    admin_urn = providers["snowflake-admin"].urn
    for resource in dev.resources:
        if resource.type.startswith("snowflake:"):
            uses_admin = resource.provider.startswith(f"{admin_urn}::")
            assert uses_admin == (resource.type in (STORAGE_INTEGRATION, GRANT)), resource.name
    assert {g.name for g in dev.all(GRANT)} == {
        "trust-usage",
        "grants-execute-task",
        "grants-execute-managed-task",
    }
    grant = dev.named("trust-usage")
    assert grant.inputs["accountRoleName"] == "SYSADMIN"
    assert grant.inputs["privileges"] == ["USAGE"]
    assert grant.inputs["onAccountObject"] == {
        "objectType": "INTEGRATION",
        "objectName": "CLOUDTRAIL_DEV_S3",
    }


def test_no_grant_when_one_role_owns_everything(deploy: Deploy) -> None:
    assert deploy({"snowflakeOwnerRole": "ACCOUNTADMIN"}).all(GRANT) == []


def test_providers_enable_the_preview_resources_the_stack_declares(dev: Deployment) -> None:
    for provider in dev.all(SNOWFLAKE_PROVIDER):
        enabled = set(json.loads(provider.inputs["previewFeaturesEnabled"]))
        assert {"snowflake_pipe_resource", "snowflake_table_resource"} <= enabled
        assert provider.inputs["warehouse"] == "COMPUTE_WH"


def test_connection_settings_reach_both_providers(deploy: Deploy) -> None:
    deployment = deploy(
        {
            "snowflake:organizationName": "MYORG",
            "snowflake:accountName": "MYACCOUNT",
            "snowflake:user": "PULUMI_DEPLOYER",
            "snowflake:authenticator": "SNOWFLAKE_JWT",
        }
    )
    for provider in deployment.all(SNOWFLAKE_PROVIDER):
        assert provider.inputs["organizationName"] == "MYORG"
        assert provider.inputs["accountName"] == "MYACCOUNT"
        assert provider.inputs["user"] == "PULUMI_DEPLOYER"
        assert provider.inputs["authenticator"] == "SNOWFLAKE_JWT"


def test_secret_connection_settings_reach_both_providers_as_secrets(deploy: Deploy) -> None:
    secrets = {"privateKey": "-----BEGIN PRIVATE KEY-----", "privateKeyPassphrase": "pass"}
    deployment = deploy({f"snowflake:{key}": value for key, value in secrets.items()})
    for provider in deployment.all(SNOWFLAKE_PROVIDER):
        assert {key: provider.inputs[key] for key in secrets} == secrets
        assert provider.secret_inputs == set(secrets), provider.name


# --- Snowpipe and the notification ------------------------------------------------------------


def test_notification_sends_new_log_objects_to_the_pipes_queue(dev: Deployment) -> None:
    notification, pipe = dev.one(BUCKET_NOTIFICATION), dev.one(PIPE)
    assert notification.inputs["bucket"] == BUCKET_NAME
    (queue,) = notification.inputs["queues"]
    assert queue["queueArn"] == pipe.outputs["notificationChannel"] == SNOWPIPE_QUEUE
    assert queue["events"] == ["s3:ObjectCreated:*"]
    assert queue["filterPrefix"] == "cloudtrail/AWSLogs/"
    assert queue["filterSuffix"] == ".json.gz"


def test_pipe_auto_ingests_log_files_only_into_the_raw_table(dev: Deployment) -> None:
    pipe, raw = dev.one(PIPE), dev.named("ingest-raw")
    assert pipe.inputs["autoIngest"] is True
    copy = Copy.parse(pipe.inputs["copyStatement"])
    assert (copy.table, copy.stage) == (object_name(raw), object_name(dev.one(STAGE)))
    assert copy.pattern == sql.CLOUDTRAIL_LOG_PATTERN
    # Each file's path and the time its load began, not the time the statement was compiled.
    assert dict(zip(copy.columns, copy.values, strict=True)) == RAW_VALUES
    assert {c["name"] for c in raw.inputs["columns"]} == set(RAW_VALUES)
    assert dev.depends_on(pipe, raw)


def test_stage_reads_the_log_prefix_through_the_integration(dev: Deployment) -> None:
    stage = dev.one(STAGE)
    assert stage.inputs["url"] == f"s3://{BUCKET_NAME}/cloudtrail/"
    assert stage.inputs["storageIntegration"] == "CLOUDTRAIL_DEV_S3"
    assert stage.inputs["fileFormat"] == {"formatName": "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_JSON"}
    assert dev.depends_on(stage, dev.one(FILE_FORMAT))
    assert dev.one(FILE_FORMAT).inputs["compression"] == "AUTO"
    # One bad byte or a repeated key must not make Snowpipe skip a whole log file.
    assert dev.one(FILE_FORMAT).inputs["replaceInvalidCharacters"] == "true"
    assert dev.one(FILE_FORMAT).inputs["allowDuplicate"] == "true"


def test_replacements_cascade_so_nothing_is_silently_broken(dev: Deployment) -> None:
    pipe, stage, grant = dev.one(PIPE), dev.one(STAGE), dev.named("trust-usage")
    integration = dev.one(STORAGE_INTEGRATION)
    # Two pipes on one queue would load every file twice.
    assert pipe.delete_before_replace
    assert pipe.replace_with == [stage.urn]
    assert stage.replace_with == [integration.urn]
    assert grant.replace_with == [integration.urn]


def test_only_the_pipe_overrides_when_the_provider_deletes_a_replaced_object(
    dev: Deployment,
) -> None:
    """The provider deletes a named object before creating its replacement (creating first would
    fail on the name); an explicit delete_before_replace=False anywhere would override that."""
    overriding = {r.name for r in dev.resources if r.delete_before_replace_defined}
    assert overriding == {dev.one(PIPE).name}


def test_raw_table_columns(dev: Deployment) -> None:
    table = dev.named("ingest-raw")
    assert table.inputs["name"] == "CLOUDTRAIL_RAW"
    assert [(c["name"], c["type"]) for c in table.inputs["columns"]] == [
        ("RECORD", "VARIANT"),
        ("FILENAME", "VARCHAR"),
        ("LOADED_AT", "TIMESTAMP_LTZ"),
    ]


def views(deployment: Deployment) -> dict[str, Registered]:
    return {v.inputs["name"]: v for v in deployment.all(VIEW)}


def test_view_reads_the_typed_events_table(dev: Deployment) -> None:
    view = views(dev)["CLOUDTRAIL"]
    assert view.inputs["statement"] == sql.cloudtrail_view_statement(
        "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS"
    )
    assert dev.depends_on(view, dev.named("events-events"))


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_every_view_keeps_its_grants_when_replaced(deploy: Deploy, config: dict[str, str]) -> None:
    """A changed statement makes the provider CREATE OR REPLACE the view, which drops the grants
    on it (the readers' SELECT) unless the view copies them (pulumi-snowflake View:
    copy_grants)."""
    deployed = deploy(config).all(VIEW)
    assert len(deployed) > 2
    assert {v.name: v.inputs.get("copyGrants") for v in deployed} == {
        v.name: True for v in deployed
    }


def test_every_detection_is_a_view_over_the_cloudtrail_view(dev: Deployment) -> None:
    deployed = views(dev)
    detections = load_detections()
    assert set(deployed) == {"CLOUDTRAIL", "DETECT_ALL", "FINDINGS_SUMMARY", "PIPELINE_HEALTH"} | {
        d.view_name for d in detections
    }
    for detection in detections:
        view = deployed[detection.view_name]
        view_of = "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL"
        assert view.inputs["statement"] == detection.select(view_of, view_of)
        assert view.inputs["comment"] == detection.summary
        assert dev.depends_on(view, deployed["CLOUDTRAIL"])
        assert dev.depends_on(deployed["DETECT_ALL"], view)
    assert deployed["DETECT_ALL"].inputs["statement"] == findings_statement(
        detections, {d.id: f"CLOUDTRAIL_DEV.AUDIT.{d.view_name}" for d in detections}
    )
    assert all(v.provider.split("::")[-2].endswith("snowflake-owner") for v in deployed.values())


# --- The bucket and the trail -----------------------------------------------------------------


def test_bucket_is_private_owner_enforced_encrypted_and_versioned(dev: Deployment) -> None:
    assert dev.one(BUCKET).inputs["bucket"] == BUCKET_NAME
    assert dev.one(BUCKET).inputs["forceDestroy"] is False
    block = dev.one(PUBLIC_ACCESS_BLOCK).inputs
    assert all(
        block[k] is True
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    assert dev.one(OWNERSHIP_CONTROLS).inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (rule,) = dev.one(ENCRYPTION).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert dev.one(VERSIONING).inputs["versioningConfiguration"] == {"status": "Enabled"}


def test_bucket_policy_requires_tls_and_scopes_cloudtrail_to_this_trail(dev: Deployment) -> None:
    document = dev.one(BUCKET_POLICY).policy("policy")
    trail_arn = dev.one(TRAIL).outputs["arn"]
    deny = statement(document, "DenyInsecureTransport")
    assert (deny["Effect"], deny["Condition"]) == (
        "Deny",
        {"Bool": {"aws:SecureTransport": "false"}},
    )
    write = statement(document, "AWSCloudTrailWrite")
    assert write["Resource"] == [f"arn:aws:s3:::{BUCKET_NAME}/cloudtrail/AWSLogs/{ACCOUNT_ID}/*"]
    assert write["Condition"]["ArnEquals"] == {"aws:SourceArn": trail_arn}
    assert write["Condition"]["StringEquals"] == {"s3:x-amz-acl": "bucket-owner-full-control"}
    acl_check = statement(document, "AWSCloudTrailAclCheck")
    assert acl_check["Condition"] == {"ArnEquals": {"aws:SourceArn": trail_arn}}
    assert lint(document) == []


def test_bucket_policy_waits_for_the_public_access_block_and_the_ownership_controls(
    dev: Deployment,
) -> None:
    """S3 rejects the policy while either is being applied: only `depends_on` orders them (the
    policy consumes nothing of theirs), so nothing else can make it wait."""
    policy = dev.one(BUCKET_POLICY)
    assert dev.depends_on(policy, dev.one(PUBLIC_ACCESS_BLOCK))
    assert dev.depends_on(policy, dev.one(OWNERSHIP_CONTROLS))


def test_trail_validates_logs_everywhere_and_follows_the_policy(dev: Deployment) -> None:
    trail = dev.one(TRAIL)
    assert trail.inputs["s3BucketName"] == BUCKET_NAME
    assert trail.inputs["s3KeyPrefix"] == "cloudtrail"
    assert trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["isMultiRegionTrail"] is True
    assert trail.inputs["includeGlobalServiceEvents"] is True
    assert trail.inputs["isOrganizationTrail"] is False
    assert "kmsKeyId" not in trail.inputs
    assert dev.depends_on(trail, dev.one(BUCKET_POLICY))
    assert dev.depends_on(trail, dev.one(ENCRYPTION))


def test_no_lifecycle_rule_when_logs_are_kept_forever(dev: Deployment) -> None:
    assert dev.all(LIFECYCLE) == []


def test_retention_expires_logs_under_the_prefix(deploy: Deploy) -> None:
    (rule,) = deploy({"logRetentionDays": "365"}).one(LIFECYCLE).inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == {"prefix": "cloudtrail/"}
    assert rule["expiration"] == {"days": 365}


def documented_days(text: str, pattern: str) -> int:
    """The number of days `pattern` (with one `(\\d+)`) reads in `text`, whitespace folded."""
    found = re.search(pattern, " ".join(text.split()))
    assert found, f"the documentation no longer says {pattern!r}"
    return int(found.group(1))


def test_retention_keeps_old_versions_and_unfinished_uploads_as_documented(
    deploy: Deploy,
) -> None:
    """What the logRetentionDays setting promises (Pulumi.yaml, the source of
    docs/configuration.md): noncurrent versions kept N days, unfinished uploads aborted after M.
    docs/security.md repeats the first."""
    setting = project_settings()["logRetentionDays"]["description"]
    noncurrent = documented_days(setting, r"noncurrent versions (\d+) days later")
    uploads = documented_days(setting, r"incomplete multipart uploads after (\d+) days")
    security = (ROOT / "docs" / "security.md").read_text()
    assert documented_days(security, r"noncurrent version: (\d+) days when") == noncurrent
    (rule,) = deploy({"logRetentionDays": "365"}).one(LIFECYCLE).inputs["rules"]
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": noncurrent}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": uploads}


def test_audit_logs_and_loaded_data_survive_destroy(dev: Deployment) -> None:
    retained = {r.type for r in dev.resources if r.retain_on_delete}
    assert retained == {
        BUCKET,
        PUBLIC_ACCESS_BLOCK,
        OWNERSHIP_CONTROLS,
        ENCRYPTION,
        VERSIONING,
        BUCKET_POLICY,
        DATABASE,
        SCHEMA,
        TABLE,
        GRANT,
    }
    assert {t.name for t in dev.all(TABLE) if t.retain_on_delete} == {
        "ingest-raw",
        "events-events",
        "findings-table",
        "suppressions-table",
    }


def test_account_level_grants_outlive_the_stack_that_declared_them(deploy: Deploy) -> None:
    """EXECUTE TASK, EXECUTE ALERT and ALERT_VIEWER are each one grant to the owner role, shared
    with every other stack (and anything else) the role runs: destroying `dev` must not revoke
    them from `prod`. USAGE on this stack's own integrations goes with the integrations."""
    deployment = deploy(CONFIGS["alerts"])
    grants = [*deployment.all(GRANT), *deployment.all(DATABASE_ROLE_GRANT)]
    retained = {g.name for g in grants if g.retain_on_delete}
    assert retained == {
        "grants-execute-task",
        "grants-execute-managed-task",
        "grants-execute-alert",
        "grants-alert-viewer",
    }
    for grant in grants:
        on_account = grant.type == DATABASE_ROLE_GRANT or grant.inputs.get("onAccount") is True
        assert grant.retain_on_delete == on_account, grant.name


def test_lifecycle_rule_is_retained_with_the_bucket(deploy: Deploy) -> None:
    assert deploy({"logRetentionDays": "30"}).one(LIFECYCLE).retain_on_delete


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_every_resource_belongs_to_a_component(deploy: Deploy, config: dict[str, str]) -> None:
    assert deploy(config).orphans() == []


def test_stack_outputs(dev: Deployment) -> None:
    values = {name: value for name, (value, _) in dev.outputs.items()}
    assert values == {
        "bucket": BUCKET_NAME,
        "trailArn": dev.one(TRAIL).outputs["arn"],
        "roleArn": dev.one(ROLE).outputs["arn"],
        "snowflakeIamUserArn": SNOWFLAKE_IAM_USER,
        "integrationName": "CLOUDTRAIL_DEV_S3",
        "externalId": EXTERNAL_ID,
        "pipe": "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_PIPE",
        "notificationChannel": SNOWPIPE_QUEUE,
        "rawTable": "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_RAW",
        "eventsTable": "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS",
        "view": "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL",
        "detectAllView": "CLOUDTRAIL_DEV.AUDIT.DETECT_ALL",
        "findingsTable": "CLOUDTRAIL_DEV.AUDIT.FINDINGS",
        "findingsSummaryView": "CLOUDTRAIL_DEV.AUDIT.FINDINGS_SUMMARY",
        "suppressionsTable": "CLOUDTRAIL_DEV.AUDIT.SUPPRESSIONS",
        "pipelineHealthView": "CLOUDTRAIL_DEV.AUDIT.PIPELINE_HEALTH",
    }
    assert [name for name, (_, secret) in dev.outputs.items() if secret] == ["externalId"]


# --- Options: KMS, organization trail, existing bucket, existing database -----------------------


def test_kms_key_encrypts_the_bucket_and_the_trail_and_lets_snowflake_decrypt(
    deploy: Deploy,
) -> None:
    deployment = deploy({"kmsKeyArn": KEY})
    (rule,) = deployment.one(ENCRYPTION).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": KEY,
    }
    assert rule["bucketKeyEnabled"] is True
    assert deployment.one(TRAIL).inputs["kmsKeyId"] == KEY
    decrypt = statement(deployment.one(ROLE_POLICY).policy("policy"), "DecryptLogObjects")
    assert (decrypt["Action"], decrypt["Resource"]) == ("kms:Decrypt", KEY)


def test_without_kms_the_role_has_no_kms_permission(dev: Deployment) -> None:
    assert "kms:" not in dev.one(ROLE_POLICY).inputs["policy"]


def test_organization_trail(deploy: Deploy) -> None:
    deployment = deploy({"organizationTrail": "true", "organizationId": "o-a1b2c3d4e5"})
    assert deployment.one(TRAIL).inputs["isOrganizationTrail"] is True
    write = statement(deployment.one(BUCKET_POLICY).policy("policy"), "AWSCloudTrailWrite")
    assert f"arn:aws:s3:::{BUCKET_NAME}/cloudtrail/AWSLogs/o-a1b2c3d4e5/*" in write["Resource"]


def test_existing_bucket_creates_no_bucket_trail_or_notification(deploy: Deploy) -> None:
    deployment = deploy(EXISTING)
    for absent in (
        BUCKET,
        BUCKET_POLICY,
        PUBLIC_ACCESS_BLOCK,
        ENCRYPTION,
        VERSIONING,
        TRAIL,
        BUCKET_NOTIFICATION,
    ):
        assert deployment.all(absent) == [], absent
    # Everything downstream points at the existing bucket.
    assert deployment.one(STORAGE_INTEGRATION).inputs["storageAllowedLocations"] == [
        "s3://org-trail-logs/cloudtrail/"
    ]
    assert deployment.one(STAGE).inputs["url"] == "s3://org-trail-logs/cloudtrail/"
    read = statement(deployment.one(ROLE_POLICY).policy("policy"), "ReadLogObjects")
    assert read["Resource"] == "arn:aws:s3:::org-trail-logs/cloudtrail/*"
    assert deployment.outputs["trailArn"] == (None, False)
    assert deployment.outputs["notificationChannel"][0] == SNOWPIPE_QUEUE


def test_existing_bucket_notification_only_on_opt_in(deploy: Deploy) -> None:
    deployment = deploy({**EXISTING, "manageExistingBucketNotification": "true"})
    notification = deployment.one(BUCKET_NOTIFICATION)
    assert notification.inputs["bucket"] == "org-trail-logs"
    assert notification.inputs["queues"][0]["queueArn"] == SNOWPIPE_QUEUE


def test_existing_database_and_schema_are_not_created(deploy: Deploy) -> None:
    deployment = deploy(
        {
            "createDatabase": "false",
            "createSchema": "false",
            "snowflakeDatabase": "SECURITY",
            "snowflakeSchema": "CLOUDTRAIL",
        }
    )
    assert deployment.all(DATABASE) == deployment.all(SCHEMA) == []
    assert deployment.named("ingest-raw").inputs["database"] == "SECURITY"
    assert (
        "COPY INTO SECURITY.CLOUDTRAIL.CLOUDTRAIL_RAW"
        in deployment.one(PIPE).inputs["copyStatement"]
    )


def test_schema_in_an_existing_database_waits_for_nothing_else(deploy: Deploy) -> None:
    deployment = deploy({"createDatabase": "false"})
    assert deployment.all(DATABASE) == []
    assert deployment.one(SCHEMA).inputs["database"] == "CLOUDTRAIL_DEV"
    assert deployment.depends_on(deployment.named("ingest-raw"), deployment.one(SCHEMA))


# --- Bad input: an error before anything is declared ------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"logPrefix": "/cloudtrail/"}, r"cloudtrail-snowflake:logPrefix = '/cloudtrail/'"),
        ({"logRetentionDays": "-3"}, r"cloudtrail-snowflake:logRetentionDays = '-3'"),
        ({"kmsKeyArn": "not-an-arn"}, r"cloudtrail-snowflake:kmsKeyArn = 'not-an-arn'"),
        (
            {"existingBucketName": "org..trail-logs", "createTrail": "false"},
            r"cloudtrail-snowflake:existingBucketName = 'org\.\.trail-logs' is invalid: not an "
            r"S3 bucket name \(it has two adjacent dots",
        ),
        ({"snowflake:role": "SYSADMIN"}, r"snowflake:role = 'SYSADMIN'"),
        (
            {"taskCompute": "Serverless"},
            r"cloudtrail-snowflake:taskCompute = 'Serverless' is invalid: expected one of "
            r"serverless, warehouse",
        ),
    ],
)
def test_bad_config_fails_before_any_resource_exists(
    deploy: Deploy, settings: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        deploy(settings)
    assert declared_resources() == []


# --- Parse once, detect on a schedule (typed events table, findings task) ---------------------


def test_events_task_merges_the_raw_stream_into_the_typed_table(dev: Deployment) -> None:
    stream, task, table = (
        dev.named("events-raw-stream"),
        dev.named("events-raw-task"),
        dev.named("events-events"),
    )
    assert stream.inputs["table"] == "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_RAW"
    # Snowpipe only appends, and the first run must process the backlog already loaded.
    assert (stream.inputs["appendOnly"], stream.inputs["showInitialRows"]) == ("true", "true")
    stream_name = "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_RAW_STREAM"
    assert task.inputs["sqlStatement"] == sql.events_merge_statement(
        "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS",
        f"(\n{sql.events_flatten_statement(stream_name)}\n)",
    )
    assert task.inputs["started"] is True
    assert task.inputs["when"] == f"SYSTEM$STREAM_HAS_DATA('{stream_name}')"
    # An account-wide TIMESTAMP_INPUT_FORMAT must not make TRY_CAST miss CloudTrail's times.
    assert task.inputs["timestampInputFormat"] == "AUTO"
    assert dev.depends_on(task, stream) and dev.depends_on(task, table)
    assert dev.depends_on(stream, dev.named("ingest-raw"))
    assert table.inputs["clusterBies"] == ["EVENTDATE"]
    assert [c["name"] for c in table.inputs["columns"]] == [
        c.identifier for c in schema.EVENT_COLUMNS
    ]
    assert dev.named("ingest-raw").inputs["changeTracking"] is True


def test_findings_task_runs_every_detection_over_new_events(dev: Deployment) -> None:
    stream, task = dev.named("findings-events-stream"), dev.named("findings-events-task")
    assert stream.inputs["table"] == "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS"
    assert (stream.inputs["appendOnly"], stream.inputs["showInitialRows"]) == ("true", "true")
    stream_name = "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS_STREAM"
    detections = load_detections()
    events = "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS"
    union = findings_statement(
        detections, {d.id: f"({d.select(stream_name, events)})" for d in detections}
    )
    assert task.inputs["sqlStatement"] == sql.findings_merge_statement(
        "CLOUDTRAIL_DEV.AUDIT.FINDINGS",
        union,
        stream_name,
        "CLOUDTRAIL_DEV.AUDIT.SUPPRESSIONS",
        events,
        reach_minutes(detections),
    )
    assert task.inputs["started"] is True
    assert task.inputs["when"] == f"SYSTEM$STREAM_HAS_DATA('{stream_name}')"
    assert dev.depends_on(task, stream) and dev.depends_on(task, dev.named("findings-table"))
    assert dev.depends_on(task, dev.named("suppressions-table"))
    assert dev.depends_on(stream, dev.named("events-events"))
    summary = views(dev)["FINDINGS_SUMMARY"]
    assert summary.inputs["statement"] == sql.findings_summary_statement(
        "CLOUDTRAIL_DEV.AUDIT.FINDINGS"
    )


def test_tasks_are_owned_by_the_owner_role_with_execute_task(dev: Deployment) -> None:
    """Serverless by default: EXECUTE MANAGED TASK too, both granted before any task exists."""
    owner = next(p for p in dev.all(SNOWFLAKE_PROVIDER) if p.name == "snowflake-owner")
    for suffix, privilege in (("task", "EXECUTE TASK"), ("managed-task", "EXECUTE MANAGED TASK")):
        grant = dev.named(f"grants-execute-{suffix}")
        assert grant.inputs["accountRoleName"] == "SYSADMIN"
        assert grant.inputs["privileges"] == [privilege]
        assert grant.inputs["onAccount"] is True
        for task in dev.all(TASK):
            assert task.provider.startswith(f"{owner.urn}::")
            assert dev.depends_on(task, grant)


def test_tasks_are_serverless_and_triggered_by_default(dev: Deployment) -> None:
    """No warehouse to wake and no schedule: each task runs when its stream has rows, sized to
    finish within its interval."""
    for name, minutes in (("events-raw-task", 5), ("findings-events-task", 10)):
        task = dev.named(name)
        assert task.inputs.get("warehouse") is None
        assert task.inputs.get("schedule") is None
        assert task.inputs["targetCompletionInterval"] == {"minutes": minutes}
        assert task.inputs["userTaskManagedInitialWarehouseSize"] == "XSMALL"
        # Set, not left to the account: 0 would retry a failing MERGE forever.
        assert task.inputs["suspendTaskAfterNumFailures"] == 10
        assert task.inputs["when"].startswith("SYSTEM$STREAM_HAS_DATA(")


def test_tasks_on_a_warehouse_run_on_a_schedule(deploy: Deploy) -> None:
    deployment = deploy(
        {"taskCompute": "warehouse", "eventsIntervalMinutes": "1", "findingsIntervalMinutes": "60"}
    )
    for name, minutes in (("events-raw-task", 1), ("findings-events-task", 60)):
        task = deployment.named(name)
        assert task.inputs["warehouse"] == "COMPUTE_WH"
        assert task.inputs["schedule"] == {"minutes": minutes}
        assert task.inputs.get("targetCompletionInterval") is None
        assert task.inputs.get("userTaskManagedInitialWarehouseSize") is None
        assert task.inputs["when"].startswith("SYSTEM$STREAM_HAS_DATA(")
    # Serverless compute is not used, so not granted.
    assert {g.name for g in deployment.all(GRANT)} == {"trust-usage", "grants-execute-task"}


def test_intervals_come_from_the_config(deploy: Deploy) -> None:
    deployment = deploy({"eventsIntervalMinutes": "1", "findingsIntervalMinutes": "60"})
    events, findings = deployment.named("events-raw-task"), deployment.named("findings-events-task")
    assert events.inputs["targetCompletionInterval"] == {"minutes": 1}
    assert findings.inputs["targetCompletionInterval"] == {"minutes": 60}


def test_no_execute_task_grant_when_the_admin_role_owns_everything(deploy: Deploy) -> None:
    deployment = deploy({"snowflakeOwnerRole": "ACCOUNTADMIN"})
    assert deployment.all(GRANT) == []
    assert {t.inputs["name"] for t in deployment.all(TASK)} == {
        "CLOUDTRAIL_EVENTS_TASK",
        "FINDINGS_TASK",
    }


# --- Notifications of new findings ----------------------------------------------------------


def test_no_alert_unless_asked_for(dev: Deployment) -> None:
    assert dev.all(ALERT) == dev.all(TOPIC) == dev.all(EMAIL_INTEGRATION) == []
    assert dev.all(DATABASE_ROLE_GRANT) == []
    assert "alert" not in dev.outputs


def test_alert_watches_the_findings_table(deploy: Deploy) -> None:
    deployment = deploy({"alertEmails": "secops@example.com", "alertSns": "true"})
    alert = deployment.named("alerts-alert")
    assert "CLOUDTRAIL_DEV.AUDIT.FINDINGS_ALERT_STREAM" in alert.inputs["condition"]
    assert alert.inputs["enabled"] is True
    assert deployment.depends_on(alert, deployment.named("findings-table"))
    assert deployment.one(EMAIL_INTEGRATION).inputs["allowedRecipients"] == ["secops@example.com"]
    assert deployment.one(TOPIC).inputs["name"] == "cloudtrail-snowflake-dev-findings"
    assert deployment.outputs["alert"][0] == "CLOUDTRAIL_DEV.AUDIT.FINDINGS_ALERT"


def test_pipe_and_tasks_report_errors_to_the_sns_integration_once_usable(deploy: Deploy) -> None:
    """ERROR_INTEGRATION names the SNS integration; CREATE or ALTER fails unless it exists and
    the owner role has USAGE on it (Snowflake's task error notification docs)."""
    deployment = deploy(CONFIGS["alerts"])
    integration = deployment.named("notifications-sns")
    usage = deployment.named("notifications-sns-usage")
    senders = [deployment.one(PIPE), *deployment.all(TASK)]
    assert len(senders) == 3
    for sender in senders:
        assert sender.inputs["errorIntegration"] == "CLOUDTRAIL_DEV_FINDINGS_SNS", sender.name
        assert deployment.depends_on(sender, integration), sender.name
        assert deployment.depends_on(sender, usage), sender.name


def test_tables_read_by_a_stream_declare_change_tracking(deploy: Deploy) -> None:
    """A stream turns change tracking on; a Table that did not declare it would be seen as
    changed, and the provider would turn it off under the stream."""
    deployment = deploy(CONFIGS["alerts"])
    streamed = {str(s.inputs["table"]).rsplit(".", 1)[-1] for s in deployment.all(STREAM)}
    assert streamed == {"CLOUDTRAIL_RAW", "CLOUDTRAIL_EVENTS", "FINDINGS"}
    for table in deployment.all(TABLE):
        if table.inputs["name"] in streamed:
            assert table.inputs.get("changeTracking") is True, table.name


@pytest.mark.parametrize("config", [{}, {"alertEmails": "secops@example.com"}])
def test_no_error_integration_without_sns(deploy: Deploy, config: dict[str, str]) -> None:
    """Snowflake accepts only an SNS integration for pipe and task errors on AWS."""
    deployment = deploy(config)
    for sender in [deployment.one(PIPE), *deployment.all(TASK)]:
        assert "errorIntegration" not in sender.inputs, sender.name


def test_owner_role_may_run_the_alert_and_read_its_schedule(deploy: Deploy) -> None:
    deployment = deploy(CONFIGS["alerts"])
    execute = deployment.named("grants-execute-alert")
    assert execute.inputs["privileges"] == ["EXECUTE ALERT"]
    assert (execute.inputs["onAccount"], execute.inputs["accountRoleName"]) == (True, "SYSADMIN")
    viewer = deployment.one(DATABASE_ROLE_GRANT)
    assert viewer.inputs["databaseRoleName"] == '"SNOWFLAKE"."ALERT_VIEWER"'
    assert viewer.inputs["parentRoleName"] == "SYSADMIN"
    admin = next(p for p in deployment.all(SNOWFLAKE_PROVIDER) if p.name == "snowflake-admin")
    for grant in (execute, viewer):
        assert grant.provider.startswith(f"{admin.urn}::"), grant.name
        for alert in deployment.all(ALERT):
            assert deployment.depends_on(alert, grant), (alert.name, grant.name)
    assert len(deployment.all(ALERT)) == 2


def test_one_role_alert_still_gets_the_alert_viewer_role(deploy: Deploy) -> None:
    """No role is documented to hold SNOWFLAKE.ALERT_VIEWER implicitly, ACCOUNTADMIN included."""
    deployment = deploy(CONFIGS["one-role"])
    assert deployment.all(GRANT) == []
    viewer = deployment.one(DATABASE_ROLE_GRANT)
    assert viewer.inputs["parentRoleName"] == "ACCOUNTADMIN"
    for alert in deployment.all(ALERT):
        assert deployment.depends_on(alert, viewer), alert.name


# --- Suppressions: the table, and its seed from the stack's file -------------------------------

SUPPRESSIONS_FILE = """\
suppressions:
  - id: ci-deploys-iam
    detection: cis_iam_policy_changes
    actor_arn: arn:aws:sts::111122223333:assumed-role/ci-deploy/%
    reason: The deploy pipeline manages IAM policies
    owner: platform@example.com
    expires_at: 2027-06-30T00:00:00Z
"""


def test_suppressions_table_without_a_file_has_no_seed(dev: Deployment) -> None:
    table = dev.named("suppressions-table")
    assert table.inputs["name"] == "SUPPRESSIONS"
    declared = [(c["name"], c["type"], c["nullable"]) for c in table.inputs["columns"]]
    assert declared == [(c.identifier, c.type, c.nullable) for c in schema.SUPPRESSION_COLUMNS]
    # An INSERT that leaves created_at out records when the row was added.
    (created,) = (c for c in table.inputs["columns"] if c["name"] == "CREATED_AT")
    assert created["default"] == {"expression": "CURRENT_TIMESTAMP()"}
    assert dev.all(EXECUTE) == []


def test_the_file_seeds_the_table_after_it_exists(deploy: Deploy, tmp_path: Path) -> None:
    path = tmp_path / "suppressions.yml"
    path.write_text(SUPPRESSIONS_FILE)
    deployment = deploy({"suppressionsFile": str(path)})
    (seed,) = deployment.all(EXECUTE)
    expected = load_suppressions(path, {d.id for d in load_detections()})
    assert seed.inputs["execute"] == seed_statement("CLOUDTRAIL_DEV.AUDIT.SUPPRESSIONS", expected)
    # Destroying the stack keeps the rows, like the table.
    assert seed.inputs["revert"] == "SELECT 1"
    assert deployment.depends_on(seed, deployment.named("suppressions-table"))
    assert seed.provider.startswith(
        next(p.urn for p in deployment.all(SNOWFLAKE_PROVIDER) if p.name == "snowflake-owner")
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"suppressions\.yml: cannot be read"),
        (
            SUPPRESSIONS_FILE.replace("cis_iam_policy_changes", "cis_iam_policy_change"),
            r"suppressions\[0\]\.detection: no detection is called 'cis_iam_policy_change'",
        ),
    ],
    ids=["missing", "unknown-detection"],
)
def test_a_bad_suppressions_file_fails_before_any_resource(
    deploy: Deploy, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "suppressions.yml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=rf"^cloudtrail-snowflake:suppressionsFile: .*{message}"):
        deploy({"suppressionsFile": str(path)})
    assert declared_resources() == []
