"""CloudTrailBucket: the hardened log bucket and the trail that writes to it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from lib import iam

# With logRetentionDays, how long the lifecycle rule keeps what versioning keeps of an expired,
# overwritten or deleted log file (a noncurrent version), and an upload CloudTrail never finished.
# Pulumi.yaml documents both for logRetentionDays, docs/security.md the first.
NONCURRENT_VERSION_DAYS = 30
INCOMPLETE_UPLOAD_DAYS = 7


@dataclass
class CloudTrailBucketArgs:
    bucket_name: pulumi.Input[str]
    """The bucket to create, or the existing bucket when `existing` is set."""
    existing: bool
    """Use a bucket an existing trail already writes to: create neither bucket nor trail."""
    log_prefix: str
    create_trail: bool
    trail_name: str
    organization_trail: bool
    organization_id: str | None
    kms_key_arn: str | None
    log_retention_days: int
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    region: pulumi.Input[str]


class CloudTrailBucket(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    trail_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: CloudTrailBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudtrail-snowflake:aws:CloudTrailBucket", name, None, opts)
        self.trail_arn = None
        if args.existing:
            self.bucket_name = pulumi.Output.from_input(args.bucket_name)
            self.bucket_arn = pulumi.Output.all(args.partition, args.bucket_name).apply(
                lambda v: iam.bucket_arn(*v)
            )
        else:
            self._create(name, args)
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "trail_arn": self.trail_arn,
            }
        )

    def _create(self, name: str, args: CloudTrailBucketArgs) -> None:
        # Audit logs must outlive the stack: `pulumi destroy` leaves the bucket, its objects and
        # its hardening in place (never force_destroy).
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True)

        bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket=args.bucket_name, force_destroy=False, opts=keep
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn

        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=keep,
        )
        # BucketOwnerEnforced disables ACLs; CloudTrail's bucket-owner-full-control ACL is still
        # accepted, so the write condition below keeps working.
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=keep,
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": (
                        {"sse_algorithm": "aws:kms", "kms_master_key_id": args.kms_key_arn}
                        if args.kms_key_arn
                        else {"sse_algorithm": "AES256"}
                    ),
                    # One KMS data key per bucket instead of per object: far fewer KMS calls.
                    "bucket_key_enabled": bool(args.kms_key_arn),
                }
            ],
            opts=keep,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=keep,
        )
        if args.log_retention_days > 0:
            aws.s3.BucketLifecycleConfiguration(
                f"{name}-retention",
                bucket=bucket.id,
                rules=[
                    {
                        "id": "expire-cloudtrail-logs",
                        "status": "Enabled",
                        "filter": {"prefix": iam.key_prefix(args.log_prefix)},
                        "expiration": {"days": args.log_retention_days},
                        # Versioning turns an expiry into a delete marker; keep the old version
                        # a while so a mistaken expiry or delete can still be undone.
                        "noncurrent_version_expiration": {
                            "noncurrent_days": NONCURRENT_VERSION_DAYS
                        },
                        "abort_incomplete_multipart_upload": {
                            "days_after_initiation": INCOMPLETE_UPLOAD_DAYS
                        },
                    }
                ],
                opts=keep,
            )

        trail_arn = (
            pulumi.Output.all(args.partition, args.region, args.account_id).apply(
                lambda v: iam.trail_arn(v[0], v[1], v[2], args.trail_name)
            )
            if args.create_trail
            else None
        )
        policy_document = pulumi.Output.all(
            args.partition, bucket.bucket, args.account_id, trail_arn
        ).apply(
            lambda v: iam.cloudtrail_bucket_policy(
                partition=v[0],
                bucket=v[1],
                log_prefix=args.log_prefix,
                account_id=v[2],
                source_trail_arn=v[3],
                organization_id=args.organization_id,
            )
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=pulumi.Output.json_dumps(policy_document),
            # S3 rejects the policy while the public access block or the ownership controls are
            # being applied ("OperationAborted: A conflicting conditional operation is currently
            # in progress"): it waits for both.
            opts=pulumi.ResourceOptions.merge(
                keep, pulumi.ResourceOptions(depends_on=[public_access, ownership])
            ),
        )

        if args.create_trail:
            trail = aws.cloudtrail.Trail(
                f"{name}-trail",
                name=args.trail_name,
                s3_bucket_name=bucket.id,
                s3_key_prefix=args.log_prefix or None,
                is_multi_region_trail=True,
                include_global_service_events=True,
                # Digest files are kept out of Snowflake by the pipe's PATTERN, so validation
                # can stay on (the quickstart turned it off because its COPY choked on them).
                enable_log_file_validation=True,
                is_organization_trail=args.organization_trail,
                kms_key_id=args.kms_key_arn,
                # CloudTrail checks the bucket policy when the trail is created, and its first
                # log files must already land encrypted with the configured key.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, encryption]),
            )
            self.trail_arn = trail.arn
