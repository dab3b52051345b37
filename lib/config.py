"""The stack's settings, parsed once into a validated, typed model.

Every error is raised before any resource is declared and names the key, the bad value and the
fix, so a typo never turns into a half-created stack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from lib.alerts import MAX_INTERVAL_MINUTES
from lib.health import MIN_SILENCE_MINUTES

NAMESPACE = "cloudtrail-snowflake"

# Preview resources of pulumi-snowflake that the stack declares. The provider refuses them unless
# its `previewFeaturesEnabled` lists them, so the program enables them itself: no stack file can
# forget them.
REQUIRED_PREVIEW_FEATURES = (
    "snowflake_pipe_resource",
    "snowflake_table_resource",
    "snowflake_alert_resource",
    "snowflake_email_notification_integration_resource",
    "snowflake_notification_integration_resource",
)

# How the events and findings tasks run (components/scheduling.py).
TASK_COMPUTE = ("serverless", "warehouse")

# How the bucket tells the pipe of new log files (components/snowpipe_ingest.py): straight to the
# pipe's SQS queue, or through an SNS topic in the bucket's region that Snowflake subscribes the
# queue to (S3 notifies only destinations in the bucket's region, and a bucket has one
# notification configuration, which an SNS topic can fan out to several consumers).
BUCKET_NOTIFICATION = ("sqs", "sns")

# Provider settings read from the `snowflake:` namespace and passed to both explicit providers.
SNOWFLAKE_CONNECTION_KEYS = ("organizationName", "accountName", "user", "authenticator", "host")
SNOWFLAKE_SECRET_KEYS = ("privateKey", "privateKeyPassphrase", "password")
# These would silently fight the two-role design, so they are refused (see `parse_connection`).
SNOWFLAKE_REFUSED_KEYS = {
    "role": "snowflakeOwnerRole / snowflakeAdminRole",
    "warehouse": "snowflakeWarehouse",
}

# A secret setting as the caller's getter returns it: the program's is `pulumi.Config.get_secret`,
# whose Output keeps the value secret; this module stays free of Pulumi.
Secret = TypeVar("Secret")

_S3_PREFIX_CHARS = re.compile(r"^[A-Za-z0-9!_.*'()/-]*$")
_KMS_KEY_ARN = re.compile(r"^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
# A standard topic's name: 1-256 letters, digits, - and _ (a FIFO topic's ends in .fifo).
_SNS_TOPIC_ARN = re.compile(r"^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_SNOWFLAKE_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
# Snowflake's longest task schedule (an alert's is alerts.MAX_INTERVAL_MINUTES).
_MAX_TASK_MINUTES = 11520

# S3's naming rules for general purpose buckets
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). S3 no longer
# creates a bucket that breaks one, and CloudTrail, the bucket policy and Snowflake's stage URL
# all take the name as it is, so a name that breaks one is a typo: refused before anything is
# declared. (Buckets made in us-east-1 before March 2018 may break them; CloudTrail requires its
# bucket to follow them.) Dots are allowed: S3 accepts them, though virtual-hosted-style HTTPS
# cannot validate a dotted name's certificate and Transfer Acceleration refuses them.
BUCKET_NAME_LENGTH = (3, 63)
_BUCKET_NAME_CHARS = re.compile(r"^[a-z0-9.-]*$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
# Reserved by S3 for its own names: punycode host names, S3's internal prefixes and examples.
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
# Reserved for access point aliases, Object Lambda access point aliases, Multi-Region Access
# Points, directory buckets and S3 Tables buckets.
RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")

# `cloudtrail-snowflake-<stack>-<12-digit account>` must fit S3's 63-character limit.
_NAME_PREFIX = "cloudtrail-snowflake"
_MAX_STACK_SLUG = BUCKET_NAME_LENGTH[1] - len(_NAME_PREFIX) - len("--123456789012")


class ConfigError(ValueError):
    """A stack setting is invalid; the message says which, why, and how to fix it."""


def _invalid(key: str, value: object, expected: str, namespace: str = NAMESPACE) -> ConfigError:
    return ConfigError(
        f"{namespace}:{key} = {value!r} is invalid: {expected}. "
        f"Fix it with `pulumi config set {namespace}:{key} <value>`."
    )


@dataclass(frozen=True)
class StackConfig:
    """Everything the program needs, validated. Names that must be unique in an account carry the
    stack name, so `dev` and `prod` stacks can share one AWS and one Snowflake account."""

    stack: str
    log_prefix: str
    existing_bucket_name: str | None
    manage_existing_bucket_notification: bool
    create_trail: bool
    organization_trail: bool
    organization_id: str | None
    kms_key_arn: str | None
    log_retention_days: int
    snowflake_database: str
    snowflake_schema: str
    create_database: bool
    create_schema: bool
    snowflake_warehouse: str
    snowflake_owner_role: str
    snowflake_admin_role: str
    events_interval_minutes: int
    findings_interval_minutes: int
    alert_emails: tuple[str, ...]
    alert_sns: bool
    task_compute: str
    """How the events and findings tasks run: one of TASK_COMPUTE."""
    suppressions_file: str | None
    """The file the SUPPRESSIONS table is seeded from (lib/suppressions.py); None = none."""
    bucket_notification: str
    """How the bucket announces new log files to the pipe: one of BUCKET_NOTIFICATION."""
    bucket_sns_topic_arn: str | None
    """With bucketNotification=sns, the topic the existing bucket already notifies; None = the
    stack creates one (bucket_topic_name)."""
    silence_minutes: int
    """PIPELINE_HEALTH's silence check: no file loaded for longer than this is down."""
    health_interval_minutes: int
    """How often PIPELINE_HEALTH_ALERT checks the view (with alerts)."""

    @property
    def stack_slug(self) -> str:
        return _slug(self.stack)

    @property
    def name_prefix(self) -> str:
        """Prefix of the AWS names of this stack (bucket, trail, IAM role)."""
        return f"{_NAME_PREFIX}-{self.stack_slug}"

    @property
    def trail_name(self) -> str:
        return self.name_prefix

    @property
    def role_name(self) -> str:
        return self.name_prefix

    @property
    def snowflake_prefix(self) -> str:
        """Prefix of the Snowflake names that are unique in an account (integrations)."""
        return _snowflake_prefix(self.stack_slug)

    @property
    def integration_name(self) -> str:
        return f"{self.snowflake_prefix}_S3"

    @property
    def task_warehouse(self) -> str | None:
        """The warehouse the events and findings tasks run on; None: serverless."""
        return self.snowflake_warehouse if self.task_compute == "warehouse" else None

    @property
    def alerting(self) -> bool:
        """New findings are notified (by email, through SNS, or both)."""
        return bool(self.alert_emails) or self.alert_sns

    @property
    def manages_bucket_notification(self) -> bool:
        """A bucket has exactly one notification configuration: writing it on a bucket this stack
        does not own would replace whatever that bucket already notifies, so that needs opt-in."""
        return self.existing_bucket_name is None or self.manage_existing_bucket_notification

    @property
    def bucket_topic_name(self) -> str:
        """The SNS topic the bucket notifies when the stack creates it (bucketNotification=sns
        without bucketSnsTopicArn)."""
        return f"{self.name_prefix}-logs"

    def bucket_name(self, account_id: str) -> str:
        """The log bucket: the existing one, or one named after the stack and the account (S3
        names are global, the account ID keeps them unique)."""
        return self.existing_bucket_name or f"{self.name_prefix}-{account_id}"


def bucket_name_problem(name: str) -> str | None:
    """The S3 bucket naming rule `name` breaks, as the reason of an error message; None if it
    keeps them all."""
    low, high = BUCKET_NAME_LENGTH
    if not low <= len(name) <= high:
        return f"its length is {len(name)}; S3 allows {low} to {high} characters"
    if not _BUCKET_NAME_CHARS.match(name):
        odd = ", ".join(repr(c) for c in sorted(set(re.sub(r"[a-z0-9.-]", "", name))))
        return f"it holds {odd}; S3 allows lower-case letters, digits, dots and hyphens only"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "it must begin and end with a letter or digit"
    if ".." in name:
        return "it has two adjacent dots"
    # Each dot-separated part is a label of the bucket's host name
    # (<bucket>.s3.<region>.amazonaws.com), which begins and ends with a letter or digit.
    if ".-" in name or "-." in name:
        return (
            "it has a hyphen next to a dot; each dot-separated part must begin and end with "
            "a letter or digit"
        )
    if _IP_ADDRESS.match(name):
        return "it is formatted as an IP address"
    prefix = next((p for p in RESERVED_BUCKET_PREFIXES if name.startswith(p)), None)
    if prefix is not None:
        return f"S3 reserves the prefix {prefix}"
    suffix = next((s for s in RESERVED_BUCKET_SUFFIXES if name.endswith(s)), None)
    if suffix is not None:
        return f"S3 reserves the suffix {suffix}"
    return None


def _slug(stack: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", stack.lower()).strip("-")


def _snowflake_prefix(slug: str) -> str:
    return f"CLOUDTRAIL_{slug.upper().replace('-', '_')}"


def _parse_bool(key: str, raw: str | None, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise _invalid(key, raw, "expected true or false")


def _parse_identifier(key: str, raw: str | None, default: str) -> str:
    value = raw or default
    if not _SNOWFLAKE_IDENTIFIER.match(value):
        raise _invalid(
            key,
            value,
            "expected a Snowflake identifier: a letter or _ then letters, digits, _ or $",
        )
    # The provider quotes identifiers, so a lower-case name would become case-sensitive; upper
    # case is what Snowflake stores for the unquoted names users type.
    return value.upper()


def _parse_choice(key: str, raw: str | None, choices: tuple[str, ...], default: str) -> str:
    value = default if raw is None else raw
    if value not in choices:
        raise _invalid(key, raw, f"expected one of {', '.join(choices)}")
    return value


def _parse_minutes(
    key: str,
    raw: str | None,
    default: int,
    *,
    low: int = 1,
    high: int = _MAX_TASK_MINUTES,
    why: str = " (8 days)",
) -> int:
    if raw is None or raw == "":
        return default
    try:
        minutes = int(raw)
    except ValueError:
        minutes = low - 1
    if not low <= minutes <= high:
        raise _invalid(key, raw, f"expected whole minutes from {low} to {high}{why}")
    return minutes


def parse_config(get: Callable[[str], str | None], stack: str) -> StackConfig:
    """Validates the `cloudtrail-snowflake:` settings read through `get` (key -> raw string)."""
    slug = _slug(stack)
    if not slug or len(slug) > _MAX_STACK_SLUG:
        raise ConfigError(
            f"stack name {stack!r} is not usable in AWS resource names: it must contain a letter "
            f"or digit and be at most {_MAX_STACK_SLUG} characters once lower-cased. "
            "Fix it with `pulumi stack rename <shorter-name>`."
        )

    log_prefix = get("logPrefix")
    log_prefix = "cloudtrail" if log_prefix is None else log_prefix
    if log_prefix.startswith("/") or log_prefix.endswith("/") or "//" in log_prefix:
        raise _invalid(
            "logPrefix",
            log_prefix,
            "expected an S3 key prefix without leading, trailing or double slashes, "
            "e.g. cloudtrail or org/cloudtrail ('' for the bucket root)",
        )
    if not _S3_PREFIX_CHARS.match(log_prefix):
        raise _invalid(
            "logPrefix", log_prefix, "expected letters, digits and ! _ . * ' ( ) - / only"
        )

    existing_bucket = get("existingBucketName") or None
    problem = None if existing_bucket is None else bucket_name_problem(existing_bucket)
    if problem is not None:
        raise _invalid(
            "existingBucketName",
            existing_bucket,
            f"not an S3 bucket name ({problem}; "
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). "
            "Set it to the name of the bucket the existing trail writes to "
            "(`aws cloudtrail describe-trails --query 'trailList[].S3BucketName'`)",
        )
    manage_notification = _parse_bool(
        "manageExistingBucketNotification", get("manageExistingBucketNotification"), False
    )
    if manage_notification and existing_bucket is None:
        raise _invalid(
            "manageExistingBucketNotification",
            "true",
            "it only applies with existingBucketName; the bucket this stack creates always gets "
            "its notification. Remove the setting",
        )

    create_trail = _parse_bool("createTrail", get("createTrail"), True)
    if create_trail and existing_bucket is not None:
        raise _invalid(
            "createTrail",
            "true",
            "with existingBucketName the trail that already writes to that bucket is used and "
            "no trail is created; set createTrail to false or unset existingBucketName",
        )

    organization_trail = _parse_bool("organizationTrail", get("organizationTrail"), False)
    organization_id = get("organizationId") or None
    if organization_trail and not create_trail:
        raise _invalid(
            "organizationTrail",
            "true",
            "it only applies to the trail this stack creates (createTrail is false). An existing "
            "organization trail's logs are ingested without it",
        )
    if organization_trail and (organization_id is None or not _ORG_ID.match(organization_id)):
        raise _invalid(
            "organizationId",
            organization_id or "",
            "an organization trail needs the organization ID (o- then 10-32 lower-case letters or "
            "digits, see `aws organizations describe-organization`) for its bucket policy",
        )
    if organization_id is not None and not organization_trail:
        raise _invalid(
            "organizationId", organization_id, "it is only used with organizationTrail=true"
        )

    kms_key_arn = get("kmsKeyArn") or None
    if kms_key_arn is not None and not _KMS_KEY_ARN.match(kms_key_arn):
        raise _invalid(
            "kmsKeyArn",
            kms_key_arn,
            "expected a KMS key ARN such as "
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab "
            "(not an alias: IAM policies need the key ARN for kms:Decrypt)",
        )

    raw_retention = get("logRetentionDays")
    try:
        retention = int(raw_retention) if raw_retention not in (None, "") else 0
    except ValueError:
        raise _invalid(
            "logRetentionDays", raw_retention, "expected a whole number of days, 0 = keep forever"
        ) from None
    if retention < 0:
        raise _invalid(
            "logRetentionDays", raw_retention, "expected 0 (keep forever) or a positive number"
        )

    alert_emails = tuple(e.strip() for e in (get("alertEmails") or "").split(",") if e.strip())
    for email in alert_emails:
        if not _EMAIL.match(email):
            raise _invalid(
                "alertEmails",
                get("alertEmails"),
                f"{email!r} is not an e-mail address; expected a comma-separated list",
            )

    alert_sns = _parse_bool("alertSns", get("alertSns"), False)
    findings_minutes = _parse_minutes("findingsIntervalMinutes", get("findingsIntervalMinutes"), 10)
    if (alert_emails or alert_sns) and findings_minutes > MAX_INTERVAL_MINUTES:
        raise _invalid(
            "findingsIntervalMinutes",
            str(findings_minutes),
            f"the alert on new findings runs as often as the findings task, and an alert's "
            f"schedule is at most {MAX_INTERVAL_MINUTES} minutes",
        )

    bucket_notification = _parse_choice(
        "bucketNotification", get("bucketNotification"), BUCKET_NOTIFICATION, "sqs"
    )
    topic_arn = _parse_topic_arn(get("bucketSnsTopicArn") or None)
    if topic_arn is not None and bucket_notification != "sns":
        raise _invalid(
            "bucketSnsTopicArn",
            topic_arn,
            "it is only used with bucketNotification=sns; set that with `pulumi config set "
            f"{NAMESPACE}:bucketNotification sns`, or remove this setting",
        )
    if topic_arn is not None and existing_bucket is None:
        raise _invalid(
            "bucketSnsTopicArn",
            topic_arn,
            "it names the topic an existing bucket (existingBucketName) already notifies; the "
            "bucket this stack creates notifies a topic the stack creates. Remove this setting",
        )
    if topic_arn is not None and manage_notification:
        raise _invalid(
            "manageExistingBucketNotification",
            "true",
            "with bucketSnsTopicArn the bucket already notifies that topic and the stack leaves "
            "its notification configuration alone; set it to false",
        )
    if (
        bucket_notification == "sns"
        and topic_arn is None
        and existing_bucket is not None
        and not manage_notification
    ):
        # Nothing would ever publish to a topic the stack created: it may not point this
        # bucket's notification configuration at it.
        raise _invalid(
            "bucketSnsTopicArn",
            "",
            "with existingBucketName and bucketNotification=sns, set it to the ARN of the SNS "
            "topic the bucket already notifies of new objects, or set "
            "manageExistingBucketNotification to true to let the stack point the bucket at a "
            "topic it creates (that replaces the bucket's notification configuration)",
        )

    default_database = _snowflake_prefix(slug)
    return StackConfig(
        stack=stack,
        log_prefix=log_prefix,
        existing_bucket_name=existing_bucket,
        manage_existing_bucket_notification=manage_notification,
        create_trail=create_trail,
        organization_trail=organization_trail,
        organization_id=organization_id,
        kms_key_arn=kms_key_arn,
        log_retention_days=retention,
        snowflake_database=_parse_identifier(
            "snowflakeDatabase", get("snowflakeDatabase"), default_database
        ),
        snowflake_schema=_parse_identifier("snowflakeSchema", get("snowflakeSchema"), "AUDIT"),
        create_database=_parse_bool("createDatabase", get("createDatabase"), True),
        create_schema=_parse_bool("createSchema", get("createSchema"), True),
        snowflake_warehouse=_parse_identifier(
            "snowflakeWarehouse", get("snowflakeWarehouse"), "COMPUTE_WH"
        ),
        snowflake_owner_role=_parse_identifier(
            "snowflakeOwnerRole", get("snowflakeOwnerRole"), "SYSADMIN"
        ),
        snowflake_admin_role=_parse_identifier(
            "snowflakeAdminRole", get("snowflakeAdminRole"), "ACCOUNTADMIN"
        ),
        events_interval_minutes=_parse_minutes(
            "eventsIntervalMinutes", get("eventsIntervalMinutes"), 5
        ),
        findings_interval_minutes=findings_minutes,
        alert_emails=alert_emails,
        alert_sns=alert_sns,
        task_compute=_parse_choice("taskCompute", get("taskCompute"), TASK_COMPUTE, "serverless"),
        suppressions_file=get("suppressionsFile") or None,
        bucket_notification=bucket_notification,
        bucket_sns_topic_arn=topic_arn,
        silence_minutes=_parse_silence(get("silenceMinutes")),
        health_interval_minutes=_parse_alert_minutes(
            "healthIntervalMinutes", get("healthIntervalMinutes"), 15
        ),
    )


def _parse_silence(raw: str | None) -> int:
    # CloudTrail delivers a log file about every 5 minutes per region: a shorter silence is
    # normal, and would be reported as the pipeline being down.
    return _parse_minutes(
        "silenceMinutes",
        raw,
        60,
        low=MIN_SILENCE_MINUTES,
        why=", at least three of CloudTrail's deliveries (about one every 5 minutes per region)",
    )


def _parse_alert_minutes(key: str, raw: str | None, default: int) -> int:
    return _parse_minutes(
        key, raw, default, high=MAX_INTERVAL_MINUTES, why=", an alert's longest schedule"
    )


def _parse_topic_arn(raw: str | None) -> str | None:
    if raw is None:
        return None
    if raw.endswith(".fifo"):
        # S3 notifies only standard topics, and a FIFO topic delivers only to FIFO queues, which
        # Snowflake's is not.
        raise _invalid(
            "bucketSnsTopicArn",
            raw,
            "it is a FIFO topic; S3 event notifications and Snowpipe need a standard topic",
        )
    if not _SNS_TOPIC_ARN.match(raw):
        raise _invalid(
            "bucketSnsTopicArn",
            raw,
            "expected the ARN of a standard SNS topic, "
            "arn:aws:sns:<region>:<account>:<name> (aws sns list-topics)",
        )
    return raw


@dataclass(frozen=True)
class SnowflakeConnection(Generic[Secret]):
    """The `snowflake:` provider settings shared by both providers. The secret ones are kept as
    the secret getter returned them (Pulumi Outputs marked secret, at run time), so they never
    reach the state in clear."""

    settings: dict[str, str]
    secrets: dict[str, Secret]
    preview_features: tuple[str, ...]


def parse_connection(
    get: Callable[[str], str | None], get_secret: Callable[[str], Secret | None]
) -> SnowflakeConnection[Secret]:
    """Validates the `snowflake:` settings read through `get` (key -> raw string) and collects
    the secret ones through `get_secret`."""
    for key, replacement in SNOWFLAKE_REFUSED_KEYS.items():
        value = get(key)
        if value:
            raise ConfigError(
                f"snowflake:{key} = {value!r} is not used by this program: it sets the role and "
                f"the warehouse of each of its two providers itself. Set "
                f"{NAMESPACE}:{replacement} instead and remove it with "
                f"`pulumi config rm snowflake:{key}`."
            )
    settings = {key: value for key in SNOWFLAKE_CONNECTION_KEYS if (value := get(key))}
    secrets = {
        key: secret for key in SNOWFLAKE_SECRET_KEYS if (secret := get_secret(key)) is not None
    }
    extra = _parse_feature_list(get("previewFeaturesEnabled"))
    features = tuple(dict.fromkeys((*REQUIRED_PREVIEW_FEATURES, *extra)))
    return SnowflakeConnection(settings=settings, secrets=secrets, preview_features=features)


def _parse_feature_list(raw: str | None) -> list[str]:
    """`previewFeaturesEnabled` is a YAML list in the stack file; Pulumi hands it over as JSON."""
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(
            "previewFeaturesEnabled",
            raw,
            'expected a list of feature names, e.g. ["snowflake_pipe_resource"]',
            namespace="snowflake",
        )
    return value
