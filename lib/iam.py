"""IAM and bucket policy documents, built from plain values.

Components only feed Outputs into these functions (`Output.all(...).apply(fn)`), so every document
is unit-tested and linted on its own.
"""

from __future__ import annotations

from typing import Any

PolicyDocument = dict[str, Any]

CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com"


def key_prefix(log_prefix: str) -> str:
    """The S3 key prefix with its trailing slash; the bucket root is the empty prefix."""
    return f"{log_prefix}/" if log_prefix else ""


def s3_location(bucket: str, log_prefix: str) -> str:
    return f"s3://{bucket}/{key_prefix(log_prefix)}"


def bucket_arn(partition: str, bucket: str) -> str:
    return f"arn:{partition}:s3:::{bucket}"


def role_arn(partition: str, account_id: str, role_name: str) -> str:
    """The role's ARN, known before the role exists: the storage integration names it, and the
    role's trust names the integration's IAM user, which breaks the cycle in one stack."""
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def trail_arn(partition: str, region: str, account_id: str, trail_name: str) -> str:
    """The trail's ARN, known before the trail exists, so the bucket policy can be scoped to it
    and exist before the trail (CloudTrail checks the policy when the trail is created)."""
    return f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{trail_name}"


def storage_provider(partition: str) -> str:
    """Snowflake's STORAGE_PROVIDER for an AWS partition."""
    return {"aws-us-gov": "S3GOV", "aws-cn": "S3CHINA"}.get(partition, "S3")


def cloudtrail_bucket_policy(
    *,
    partition: str,
    bucket: str,
    log_prefix: str,
    account_id: str,
    source_trail_arn: str | None,
    organization_id: str | None = None,
) -> PolicyDocument:
    """Deny any request without TLS; let CloudTrail check the ACL and write its logs.

    `source_trail_arn` is this stack's trail; without one (a trail managed elsewhere writes here)
    the statements accept any trail of this account.
    """
    arn = bucket_arn(partition, bucket)
    log_root = f"{arn}/{key_prefix(log_prefix)}AWSLogs"
    # An organization trail writes the management account's logs under its account ID and the
    # member accounts' under the organization ID.
    write_targets = [f"{log_root}/{account_id}/*"]
    if organization_id:
        write_targets.append(f"{log_root}/{organization_id}/*")
    # ArnEquals and ArnLike match alike; the name says whether the value holds a wildcard.
    source = (
        {"ArnEquals": {"aws:SourceArn": source_trail_arn}}
        if source_trail_arn
        else {"ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"}}
    )
    write_condition = {**source, "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDTRAIL_SERVICE},
                "Action": "s3:GetBucketAcl",
                "Resource": arn,
                "Condition": source,
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDTRAIL_SERVICE},
                "Action": "s3:PutObject",
                "Resource": write_targets,
                "Condition": write_condition,
            },
        ],
    }


def snowflake_trust_policy(iam_user_arn: str, external_id: str, *, sid: str) -> PolicyDocument:
    """Only the IAM user Snowflake shows for an integration, and only with that integration's
    external ID, may assume the role. Snowflake uses one IAM user per account for all its
    integrations: the external ID is what tells this integration apart. `sid` says which kind of
    integration the role serves (storage, notification)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"AWS": iam_user_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def snowflake_read_policy(
    *, partition: str, bucket: str, log_prefix: str, kms_key_arn: str | None
) -> PolicyDocument:
    """Read-only access to the log prefix: loading needs no Put or Delete (the quickstart grants
    both; they are only for unloading and PURGE)."""
    arn = bucket_arn(partition, bucket)
    prefix = key_prefix(log_prefix)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadLogObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": f"{arn}/{prefix}*",
        },
        {
            "Sid": "ListLogPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        },
        {
            # s3:GetBucketLocation has no s3:prefix key: under the condition above it would
            # never be allowed.
            "Sid": "LocateBucket",
            "Effect": "Allow",
            "Action": "s3:GetBucketLocation",
            "Resource": arn,
        },
    ]
    if kms_key_arn:
        statements.append(
            {
                "Sid": "DecryptLogObjects",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": kms_key_arn,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


S3_SERVICE = "s3.amazonaws.com"


def snowflake_subscribe_statement(topic_arn: str, iam_user_arn: str) -> dict[str, Any]:
    """Snowflake's IAM user may subscribe to the topic, and do nothing else with it: what
    `SYSTEM$GET_AWS_SNS_IAM_POLICY('<topic arn>')` returns, sns:Subscribe on the topic for the
    account's IAM user (Snowflake subscribes the pipe's SQS queue when the pipe is created).
    Snowflake has one IAM user per Snowflake account, the one the storage integration shows.

    The Sid is derived from that user, so the statements of two Snowflake accounts that read one
    topic do not collide in its policy, and adding the statement twice changes nothing."""
    user = iam_user_arn.rsplit("/", 1)[-1]
    return {
        "Sid": "SnowflakeSubscribe" + "".join(c for c in user if c.isalnum()),
        "Effect": "Allow",
        "Principal": {"AWS": iam_user_arn},
        "Action": "sns:Subscribe",
        "Resource": topic_arn,
    }


def bucket_topic_policy(
    *, partition: str, bucket: str, account_id: str, topic_arn: str, iam_user_arn: str
) -> PolicyDocument:
    """The policy of the topic the stack creates for the bucket's notifications: S3 may publish
    to it only for this bucket of this account, and Snowflake's IAM user may subscribe.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
    pins S3's publish with aws:SourceArn (the bucket) and aws:SourceAccount (its owner: a bucket
    ARN names no account, and bucket names are reused after deletion)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3PublishNewLogFiles",
                "Effect": "Allow",
                "Principal": {"Service": S3_SERVICE},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": bucket_arn(partition, bucket)},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            },
            snowflake_subscribe_statement(topic_arn, iam_user_arn),
        ],
    }
