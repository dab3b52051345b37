"""Stack settings: defaults, derived names, and a clear error for every bad value."""

from __future__ import annotations

import re

import pytest

from lib.config import (
    ConfigError,
    StackConfig,
    bucket_name_problem,
    parse_config,
    parse_connection,
)

NO_SECRETS: dict[str, str] = {}
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def parse(stack: str = "dev", **settings: str) -> StackConfig:
    return parse_config(settings.get, stack)


def test_defaults() -> None:
    cfg = parse()
    assert cfg.log_prefix == "cloudtrail"
    assert cfg.existing_bucket_name is None
    assert cfg.create_trail is True
    assert cfg.organization_trail is False
    assert cfg.kms_key_arn is None
    assert cfg.log_retention_days == 0
    assert (cfg.snowflake_database, cfg.snowflake_schema) == ("CLOUDTRAIL_DEV", "AUDIT")
    assert (cfg.create_database, cfg.create_schema) == (True, True)
    assert (cfg.snowflake_owner_role, cfg.snowflake_admin_role) == ("SYSADMIN", "ACCOUNTADMIN")
    assert cfg.snowflake_warehouse == "COMPUTE_WH"
    assert cfg.manages_bucket_notification
    assert (cfg.events_interval_minutes, cfg.findings_interval_minutes) == (5, 10)
    assert (cfg.alert_emails, cfg.alert_sns) == ((), False)
    assert not cfg.alerting


@pytest.mark.parametrize(
    "settings", [{"alertEmails": "secops@example.com"}, {"alertSns": "true"}], ids=["email", "sns"]
)
def test_either_destination_turns_the_alert_on(settings: dict[str, str]) -> None:
    assert parse(**settings).alerting


def test_names_carry_the_stack_so_stacks_can_share_accounts() -> None:
    dev, prod = parse("dev"), parse("Prod_EU")
    assert dev.bucket_name("123456789012") == "cloudtrail-snowflake-dev-123456789012"
    assert prod.bucket_name("123456789012") == "cloudtrail-snowflake-prod-eu-123456789012"
    assert (dev.role_name, prod.role_name) == (
        "cloudtrail-snowflake-dev",
        "cloudtrail-snowflake-prod-eu",
    )
    assert (dev.trail_name, prod.trail_name) == (dev.role_name, prod.role_name)
    assert (dev.integration_name, prod.integration_name) == (
        "CLOUDTRAIL_DEV_S3",
        "CLOUDTRAIL_PROD_EU_S3",
    )
    assert prod.snowflake_database == "CLOUDTRAIL_PROD_EU"


def test_longest_stack_name_still_makes_a_valid_bucket_name() -> None:
    name = parse("s" * 29).bucket_name("123456789012")
    assert len(name) == 63
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", name)
    assert bucket_name_problem(name) is None


@pytest.mark.parametrize("stack", ["dev", "Prod_EU", "-x-", "a.b", "s" * 29])
def test_the_bucket_the_stack_creates_keeps_the_naming_rules(stack: str) -> None:
    assert bucket_name_problem(parse(stack).bucket_name("123456789012")) is None


# One name breaking each of S3's naming rules for general purpose buckets
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), and the reason
# the error gives, whole.
_CHARACTERS = "; S3 allows lower-case letters, digits, dots and hyphens only"
_EDGES = "it must begin and end with a letter or digit"
_HYPHEN_DOT = (
    "it has a hyphen next to a dot; each dot-separated part must begin and end with a letter or "
    "digit"
)
BAD_BUCKET_NAMES = {
    "adjacent-dots": ("org..trail-logs", "it has two adjacent dots"),
    "upper-case": ("Org-Trail-Logs", "it holds 'L', 'O', 'T'" + _CHARACTERS),
    "underscore": ("org_trail_logs", "it holds '_'" + _CHARACTERS),
    "space": ("org trail logs", "it holds ' '" + _CHARACTERS),
    "too-short": ("ab", "its length is 2; S3 allows 3 to 63 characters"),
    "too-long": ("a" * 64, "its length is 64; S3 allows 3 to 63 characters"),
    "ip-address": ("192.168.5.4", "it is formatted as an IP address"),
    "leading-hyphen": ("-org-trail-logs", _EDGES),
    "trailing-hyphen": ("org-trail-logs-", _EDGES),
    "leading-dot": (".org.trail.logs", _EDGES),
    "trailing-dot": ("org.trail.logs.", _EDGES),
    "dot-hyphen": ("org.-trail-logs", _HYPHEN_DOT),
    "hyphen-dot": ("org-.trail-logs", _HYPHEN_DOT),
    "xn-prefix": ("xn--org-trail-logs", "S3 reserves the prefix xn--"),
    "sthree-prefix": ("sthree-configurator-logs", "S3 reserves the prefix sthree-"),
    "demo-prefix": ("amzn-s3-demo-logs", "S3 reserves the prefix amzn-s3-demo-"),
    "s3alias-suffix": ("org-trail-logs-s3alias", "S3 reserves the suffix -s3alias"),
    "ol-s3-suffix": ("org-trail-logs--ol-s3", "S3 reserves the suffix --ol-s3"),
    "mrap-suffix": ("org-trail-logs.mrap", "S3 reserves the suffix .mrap"),
    "x-s3-suffix": ("org-trail-logs--usw2-az1--x-s3", "S3 reserves the suffix --x-s3"),
    "table-s3-suffix": ("org-trail-logs--table-s3", "S3 reserves the suffix --table-s3"),
}


@pytest.mark.parametrize(("name", "reason"), BAD_BUCKET_NAMES.values(), ids=BAD_BUCKET_NAMES.keys())
def test_an_invalid_existing_bucket_name_is_refused_with_the_rule_and_the_fix(
    name: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse(existingBucketName=name, createTrail="false")
    message = str(raised.value)
    assert message.startswith(
        f"cloudtrail-snowflake:existingBucketName = {name!r} is invalid: not an S3 bucket name "
        f"({reason}; https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)"
    )
    # The fix: where the right name is found, and how to set it.
    assert "aws cloudtrail describe-trails --query 'trailList[].S3BucketName'" in message
    assert "pulumi config set cloudtrail-snowflake:existingBucketName <value>" in message


@pytest.mark.parametrize(
    "name",
    [
        "org-trail-logs",
        "abc",
        "123",
        "a" * 63,
        # Dots are allowed, between letters or digits.
        "org.trail.logs",
        "one-1.two-2.three-3",
        # Four numbers are an IP address; three or five are not.
        "192.168.5",
        "192.168.5.4.logs",
        # The reserved prefixes and suffixes only where S3 reserves them.
        "logs-xn--a",
        "sthree",
        "my-s3alias-logs",
        "logs--x-s3-archive",
        "logs.mrap.archive",
    ],
)
def test_a_valid_existing_bucket_name_is_kept(name: str) -> None:
    assert bucket_name_problem(name) is None
    assert parse(existingBucketName=name, createTrail="false").bucket_name("1") == name


def test_identifiers_are_upper_cased() -> None:
    """The provider quotes names: lower case would make them case-sensitive in Snowflake."""
    cfg = parse(snowflakeDatabase="security_lake", snowflakeOwnerRole="ct_owner")
    assert (cfg.snowflake_database, cfg.snowflake_owner_role) == ("SECURITY_LAKE", "CT_OWNER")


def test_existing_bucket_turns_the_trail_and_the_notification_off() -> None:
    cfg = parse(existingBucketName="org-trail-logs", createTrail="false")
    assert cfg.bucket_name("123456789012") == "org-trail-logs"
    assert not cfg.create_trail
    assert not cfg.manages_bucket_notification
    opted_in = parse(
        existingBucketName="org-trail-logs",
        createTrail="false",
        manageExistingBucketNotification="true",
    )
    assert opted_in.manages_bucket_notification


def test_organization_trail_with_kms() -> None:
    cfg = parse(organizationTrail="true", organizationId="o-a1b2c3d4e5", kmsKeyArn=KEY)
    assert (cfg.organization_trail, cfg.organization_id, cfg.kms_key_arn) == (
        True,
        "o-a1b2c3d4e5",
        KEY,
    )


def test_bucket_root_is_a_valid_prefix() -> None:
    assert parse(logPrefix="").log_prefix == ""
    assert parse(logPrefix="org/cloudtrail").log_prefix == "org/cloudtrail"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"logPrefix": "/cloudtrail/"}, r"logPrefix = '/cloudtrail/' is invalid: .*leading"),
        ({"logPrefix": "cloudtrail/"}, r"logPrefix = 'cloudtrail/' is invalid"),
        ({"logPrefix": "a//b"}, r"logPrefix = 'a//b' is invalid"),
        ({"logPrefix": "logs?"}, r"logPrefix = 'logs\?' is invalid: expected letters"),
        ({"logRetentionDays": "-3"}, r"logRetentionDays = '-3' is invalid: expected 0"),
        ({"logRetentionDays": "ninety"}, r"logRetentionDays = 'ninety' is invalid: .*whole"),
        ({"kmsKeyArn": "not-an-arn"}, r"kmsKeyArn = 'not-an-arn' is invalid: expected a KMS"),
        (
            {"kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:alias/logs"},
            r"kmsKeyArn = .*not an alias",
        ),
        ({"existingBucketName": "My_Bucket"}, r"existingBucketName = 'My_Bucket' is invalid"),
        (
            {"existingBucketName": "logs"},
            r"createTrail = 'true' is invalid: with existingBucketName",
        ),
        (
            {"manageExistingBucketNotification": "true"},
            r"manageExistingBucketNotification = 'true' is invalid: it only applies",
        ),
        ({"createTrail": "yes"}, r"createTrail = 'yes' is invalid: expected true or false"),
        ({"organizationTrail": "true"}, r"organizationId = '' is invalid: an organization trail"),
        (
            {"organizationTrail": "true", "organizationId": "r-1234"},
            r"organizationId = 'r-1234' is invalid",
        ),
        (
            {"organizationTrail": "true", "organizationId": "o-a1b2c3d4e5", "createTrail": "false"},
            r"organizationTrail = 'true' is invalid: it only applies to the trail this stack",
        ),
        ({"organizationId": "o-a1b2c3d4e5"}, r"organizationId = .* only used with"),
        ({"snowflakeDatabase": "cloud-trail"}, r"snowflakeDatabase = 'cloud-trail' is invalid"),
        ({"snowflakeOwnerRole": "1ROLE"}, r"snowflakeOwnerRole = '1ROLE' is invalid"),
        ({"eventsIntervalMinutes": "0"}, r"eventsIntervalMinutes = '0' is invalid: expected whole"),
        ({"findingsIntervalMinutes": "ten"}, r"findingsIntervalMinutes = 'ten' is invalid"),
        (
            {"alertEmails": "secops@example.com, not-an-address"},
            r"alertEmails = .* 'not-an-address' is not an e-mail address",
        ),
        (
            {"alertSns": "true", "findingsIntervalMinutes": "2880"},
            r"findingsIntervalMinutes = '2880' is invalid: the alert .* at most 1439",
        ),
    ],
)
def test_bad_values_name_the_key_the_value_and_the_fix(
    settings: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        parse(**settings)
    assert "pulumi config set cloudtrail-snowflake:" in str(raised.value)


def test_unusable_stack_name() -> None:
    with pytest.raises(ConfigError, match=r"stack name '.*' .* at most 29 .*pulumi stack rename"):
        parse("s" * 30)
    with pytest.raises(ConfigError, match=r"stack name '___' is not usable"):
        parse("___")


def test_connection_settings_and_preview_features() -> None:
    settings = {
        "organizationName": "MYORG",
        "accountName": "MYACCOUNT",
        "user": "PULUMI_DEPLOYER",
        "authenticator": "SNOWFLAKE_JWT",
        "previewFeaturesEnabled": '["snowflake_alert_resource", "snowflake_pipe_resource"]',
    }
    # What the secret getter returns is carried as it is (a secret Output, in the program).
    secrets = {"privateKey": "-----BEGIN PRIVATE KEY-----"}
    connection = parse_connection(settings.get, secrets.get)
    assert connection.secrets == secrets
    assert connection.settings == {
        "organizationName": "MYORG",
        "accountName": "MYACCOUNT",
        "user": "PULUMI_DEPLOYER",
        "authenticator": "SNOWFLAKE_JWT",
    }
    # What the program needs comes first, whatever the stack lists; no duplicates.
    assert connection.preview_features == (
        "snowflake_pipe_resource",
        "snowflake_table_resource",
        "snowflake_alert_resource",
        "snowflake_email_notification_integration_resource",
        "snowflake_notification_integration_resource",
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"role": "SYSADMIN"}, r"snowflake:role = 'SYSADMIN' .*:snowflakeOwnerRole"),
        ({"warehouse": "WH"}, r"snowflake:warehouse = 'WH' .*:snowflakeWarehouse"),
        (
            {"previewFeaturesEnabled": "snowflake_pipe_resource"},
            r"snowflake:previewFeaturesEnabled = .* expected a list",
        ),
    ],
)
def test_bad_connection_settings(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_connection(settings.get, NO_SECRETS.get)
