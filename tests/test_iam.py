"""The policy documents, built from plain values: least privilege and the exact scoping."""

from __future__ import annotations

from typing import Any

import pytest
from iam_lint import lint

from lib import iam

ACCOUNT = "123456789012"
TRAIL = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/cloudtrail-snowflake-dev"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SNOWFLAKE_USER = "arn:aws:iam::210987654321:user/k7m2-s-euss0123"
SNS_USER = "arn:aws:iam::210987654321:user/k7m2-s-sns-euss0123"

# Actions a Snowflake storage integration needs only to unload or PURGE, never to load.
WRITE_ACTIONS = {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:*", "*"}


def statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def bucket_policy(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "partition": "aws",
        "bucket": "logs",
        "log_prefix": "cloudtrail",
        "account_id": ACCOUNT,
        "source_trail_arn": TRAIL,
    }
    return iam.cloudtrail_bucket_policy(**{**args, **overrides})


def test_bucket_policy_denies_every_request_without_tls() -> None:
    deny = statements(bucket_policy())["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:*"
    assert set(deny["Resource"]) == {"arn:aws:s3:::logs", "arn:aws:s3:::logs/*"}
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_cloudtrail_may_only_write_under_the_prefix_for_this_account_from_this_trail() -> None:
    write = statements(bucket_policy())["AWSCloudTrailWrite"]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert actions(write) == {"s3:PutObject"}
    assert write["Resource"] == [f"arn:aws:s3:::logs/cloudtrail/AWSLogs/{ACCOUNT}/*"]
    assert write["Condition"] == {
        "ArnEquals": {"aws:SourceArn": TRAIL},
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"},
    }
    acl = statements(bucket_policy())["AWSCloudTrailAclCheck"]
    assert actions(acl) == {"s3:GetBucketAcl"}
    assert acl["Resource"] == "arn:aws:s3:::logs"
    assert acl["Condition"] == {"ArnEquals": {"aws:SourceArn": TRAIL}}


def test_organization_trail_may_also_write_under_the_organization_id() -> None:
    write = statements(bucket_policy(organization_id="o-a1b2c3d4e5"))["AWSCloudTrailWrite"]
    assert write["Resource"] == [
        f"arn:aws:s3:::logs/cloudtrail/AWSLogs/{ACCOUNT}/*",
        "arn:aws:s3:::logs/cloudtrail/AWSLogs/o-a1b2c3d4e5/*",
    ]


def test_without_a_trail_of_ours_only_trails_of_this_account_may_write() -> None:
    policy = statements(bucket_policy(source_trail_arn=None, log_prefix=""))
    expected = {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"}}
    assert policy["AWSCloudTrailAclCheck"]["Condition"] == expected
    assert policy["AWSCloudTrailWrite"]["Condition"]["ArnLike"] == expected["ArnLike"]
    # The bucket root: no empty path segment before AWSLogs.
    assert policy["AWSCloudTrailWrite"]["Resource"] == [f"arn:aws:s3:::logs/AWSLogs/{ACCOUNT}/*"]


@pytest.mark.parametrize(
    ("user", "external_id", "sid"),
    [
        (SNOWFLAKE_USER, "ext-123", "SnowflakeStorageIntegration"),
        (
            SNS_USER,
            "ABC12345_SFCRole=2_a1b2c3d4e5f6g7h8i9j0k1l2m3n=",
            "SnowflakeNotificationIntegration",
        ),
    ],
    ids=["storage", "notification"],
)
def test_trust_is_pinned_to_the_snowflake_user_and_the_external_id(
    user: str, external_id: str, sid: str
) -> None:
    trust = iam.snowflake_trust_policy(user, external_id, sid=sid)
    (statement,) = trust["Statement"]
    assert statement["Sid"] == sid
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": user}
    assert actions(statement) == {"sts:AssumeRole"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": external_id}}
    assert lint(trust, trust_policy=True) == []


@pytest.mark.parametrize("kms_key_arn", [None, KEY])
def test_snowflake_role_can_read_the_prefix_and_nothing_else(kms_key_arn: str | None) -> None:
    policy = iam.snowflake_read_policy(
        partition="aws", bucket="logs", log_prefix="cloudtrail", kms_key_arn=kms_key_arn
    )
    granted = set().union(*(actions(s) for s in policy["Statement"]))
    assert not granted & WRITE_ACTIONS
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])
    by_sid = statements(policy)
    assert by_sid["ReadLogObjects"]["Resource"] == "arn:aws:s3:::logs/cloudtrail/*"
    assert actions(by_sid["ReadLogObjects"]) == {"s3:GetObject", "s3:GetObjectVersion"}
    assert by_sid["ListLogPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["cloudtrail/*"]}}
    # GetBucketLocation has no s3:prefix key: it must not sit under that condition.
    assert actions(by_sid["LocateBucket"]) == {"s3:GetBucketLocation"}
    assert "Condition" not in by_sid["LocateBucket"]
    if kms_key_arn:
        assert by_sid["DecryptLogObjects"]["Resource"] == KEY
        assert actions(by_sid["DecryptLogObjects"]) == {"kms:Decrypt"}
    else:
        assert not any(a.startswith("kms:") for a in granted)


def test_read_policy_at_the_bucket_root() -> None:
    by_sid = statements(
        iam.snowflake_read_policy(partition="aws", bucket="logs", log_prefix="", kms_key_arn=None)
    )
    assert by_sid["ReadLogObjects"]["Resource"] == "arn:aws:s3:::logs/*"
    assert by_sid["ListLogPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["*"]}}


@pytest.mark.parametrize(
    "document",
    [
        bucket_policy(),
        bucket_policy(organization_id="o-a1b2c3d4e5"),
        bucket_policy(source_trail_arn=None),
        iam.snowflake_read_policy(
            partition="aws", bucket="logs", log_prefix="cloudtrail", kms_key_arn=None
        ),
        iam.snowflake_read_policy(
            partition="aws", bucket="logs", log_prefix="cloudtrail", kms_key_arn=KEY
        ),
    ],
    ids=["bucket", "bucket-org", "bucket-any-trail", "read", "read-kms"],
)
def test_documents_pass_the_linter(document: dict[str, Any]) -> None:
    assert lint(document) == []


def test_the_linter_catches_the_classic_mistake() -> None:
    """GetBucketLocation under an s3:prefix condition is never allowed: the lint must say so."""
    broken = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": "arn:aws:s3:::logs",
                "Condition": {"StringLike": {"s3:prefix": ["cloudtrail/*"]}},
            }
        ],
    }
    assert any("UNKNOWN_CONDITION_FOR_ACTION" in finding for finding in lint(broken))


@pytest.mark.parametrize(
    ("partition", "provider"), [("aws", "S3"), ("aws-us-gov", "S3GOV"), ("aws-cn", "S3CHINA")]
)
def test_storage_provider_follows_the_partition(partition: str, provider: str) -> None:
    assert iam.storage_provider(partition) == provider


def test_arns_built_before_the_resources_exist() -> None:
    assert iam.role_arn("aws", ACCOUNT, "r") == f"arn:aws:iam::{ACCOUNT}:role/r"
    assert iam.trail_arn("aws", "eu-west-1", ACCOUNT, "t") == (
        f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/t"
    )
