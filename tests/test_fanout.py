"""SNS fan-out (bucketNotification=sns): the bucket notifies an SNS topic in its region and
Snowflake subscribes the pipe's queue to it, for buckets that already notify something else and
buckets in another region than the Snowflake account. The default (sqs) is left as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import (
    ACCOUNT_ID,
    CONFIGS,
    REGION,
    SNOWFLAKE_IAM_USER,
    SNOWPIPE_QUEUE,
    Deployment,
    declared_resources,
)
from iam_lint import lint
from support import BUCKET, BUCKET_NOTIFICATION, PIPE, TOPIC, TOPIC_POLICY
from test_deploy_order import unmet

from lib import iam
from lib.config import ConfigError, StackConfig, parse_config

Deploy = Callable[..., Deployment]

BUCKET_NAME = f"cloudtrail-snowflake-dev-{ACCOUNT_ID}"
TOPIC_NAME = "cloudtrail-snowflake-dev-logs"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{TOPIC_NAME}"
# A log archive bucket in another region than the stack, already notifying its own topic.
EXISTING_TOPIC = "arn:aws:sns:us-east-2:111122223333:org-trail-object-created"
EXISTING = {"existingBucketName": "org-trail-logs", "createTrail": "false"}

SNS = {"bucketNotification": "sns"}
SNS_EXISTING_BUCKET = {**EXISTING, **SNS, "manageExistingBucketNotification": "true"}
SNS_EXISTING_TOPIC = {**EXISTING, **SNS, "bucketSnsTopicArn": EXISTING_TOPIC}
SNS_CONFIGS = {
    "sns": SNS,
    "sns-alerts": {**CONFIGS["alerts"], **SNS},
    "sns-existing-bucket": SNS_EXISTING_BUCKET,
    "sns-existing-topic": SNS_EXISTING_TOPIC,
}


@pytest.fixture
def sns(deploy: Deploy) -> Deployment:
    return deploy(SNS)


def statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def outputs(deployment: Deployment) -> dict[str, Any]:
    return {name: value for name, (value, _) in deployment.outputs.items()}


# --- A topic the stack creates ----------------------------------------------------------------


def test_bucket_notifies_the_topic_instead_of_the_queue(sns: Deployment) -> None:
    notification = sns.one(BUCKET_NOTIFICATION)
    assert notification.inputs["bucket"] == BUCKET_NAME
    assert "queues" not in notification.inputs
    (topic,) = notification.inputs["topics"]
    assert topic == {
        "topicArn": TOPIC_ARN,
        "events": ["s3:ObjectCreated:*"],
        "filterPrefix": "cloudtrail/AWSLogs/",
        "filterSuffix": ".json.gz",
    }


def test_topic_is_a_standard_topic_in_the_buckets_region(sns: Deployment) -> None:
    """S3 notifies only a standard topic in the bucket's region: the topic is created where the
    stack's bucket is, and every ARN that names it names that region."""
    topic, policy = sns.one(TOPIC), sns.one(TOPIC_POLICY)
    assert topic.inputs["name"] == TOPIC_NAME
    assert topic.inputs["fifoTopic"] is False
    assert topic.inputs["region"] == policy.inputs["region"] == REGION
    assert policy.inputs["arn"] == TOPIC_ARN
    assert TOPIC_ARN.split(":")[3] == topic.inputs["region"]
    assert sns.depends_on(policy, topic)


def test_topic_is_not_under_the_aws_managed_key(sns: Deployment) -> None:
    """S3 cannot publish to a topic under alias/aws/sns (its key policy cannot let S3 in)."""
    assert "kmsMasterKeyId" not in sns.one(TOPIC).inputs


def test_topic_policy_lets_s3_publish_for_this_bucket_and_snowflake_subscribe(
    sns: Deployment,
) -> None:
    document = sns.one(TOPIC_POLICY).policy("policy")
    assert len(document["Statement"]) == 2
    publish = statements(document)["S3PublishNewLogFiles"]
    assert publish["Principal"] == {"Service": "s3.amazonaws.com"}
    assert (publish["Action"], publish["Resource"]) == ("sns:Publish", TOPIC_ARN)
    assert publish["Condition"] == {
        "ArnEquals": {"aws:SourceArn": sns.one(BUCKET).outputs["arn"]},
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
    }
    (subscribe,) = [s for s in document["Statement"] if s is not publish]
    assert subscribe == iam.snowflake_subscribe_statement(TOPIC_ARN, SNOWFLAKE_IAM_USER)
    assert lint(document) == []


def test_the_storage_integrations_user_subscribes_not_the_alerts_one(deploy: Deploy) -> None:
    """With alerts to SNS the stack knows two Snowflake IAM users: the notification
    integration's publishes findings, the account's (the storage integration's) subscribes
    queues."""
    deployment = deploy(SNS_CONFIGS["sns-alerts"])
    policy = deployment.one(TOPIC_POLICY).policy("policy")
    principals = [s["Principal"] for s in policy["Statement"] if s["Action"] == "sns:Subscribe"]
    assert principals == [{"AWS": SNOWFLAKE_IAM_USER}]
    # The findings topic is the alerts' own and gets no policy from the ingest side.
    assert {t.inputs["name"] for t in deployment.all(TOPIC)} == {
        TOPIC_NAME,
        "cloudtrail-snowflake-dev-findings",
    }


def test_pipe_subscribes_to_the_topic_once_its_policy_allows_it(sns: Deployment) -> None:
    """Snowflake subscribes the pipe's queue to the topic while it creates the pipe: the policy
    must exist first, and Pulumi would otherwise create both at once."""
    pipe, policy = sns.one(PIPE), sns.one(TOPIC_POLICY)
    assert pipe.inputs["awsSnsTopicArn"] == TOPIC_ARN
    assert pipe.inputs["autoIngest"] is True
    assert policy.urn in pipe.dependencies
    # Two pipes on one queue would load every file twice, whatever announces the files.
    assert pipe.delete_before_replace


def test_bucket_announces_files_only_once_the_queue_listens(sns: Deployment) -> None:
    """S3 checks it may publish when the notification is written, and a file announced before
    the queue is subscribed is never loaded."""
    notification = sns.one(BUCKET_NOTIFICATION)
    assert sns.one(TOPIC_POLICY).urn in notification.dependencies
    assert sns.one(PIPE).urn in notification.dependencies


def test_outputs_name_the_topic_and_the_subscribe_statement(sns: Deployment) -> None:
    values = outputs(sns)
    assert values["notificationTopicArn"] == TOPIC_ARN
    assert values["snowflakeSubscribeStatement"] == iam.snowflake_subscribe_statement(
        TOPIC_ARN, SNOWFLAKE_IAM_USER
    )
    # The pipe keeps its own queue, which Snowflake subscribes to the topic.
    assert values["notificationChannel"] == SNOWPIPE_QUEUE


def test_existing_bucket_opted_in_is_pointed_at_a_topic_the_stack_creates(
    deploy: Deploy,
) -> None:
    deployment = deploy(SNS_EXISTING_BUCKET)
    assert deployment.all(BUCKET) == []
    notification = deployment.one(BUCKET_NOTIFICATION)
    assert notification.inputs["bucket"] == "org-trail-logs"
    assert [t["topicArn"] for t in notification.inputs["topics"]] == [TOPIC_ARN]
    publish = statements(deployment.one(TOPIC_POLICY).policy("policy"))["S3PublishNewLogFiles"]
    assert publish["Condition"]["ArnEquals"] == {"aws:SourceArn": "arn:aws:s3:::org-trail-logs"}
    assert deployment.one(PIPE).inputs["awsSnsTopicArn"] == TOPIC_ARN


# --- The bucket's existing topic --------------------------------------------------------------


def test_existing_topic_is_subscribed_to_and_nothing_of_it_is_written(deploy: Deploy) -> None:
    """A TopicPolicy would replace the whole of a policy the stack does not own, and the bucket
    already notifies the topic: the stack writes neither, and says what to add."""
    deployment = deploy(SNS_EXISTING_TOPIC)
    for absent in (TOPIC, TOPIC_POLICY, BUCKET_NOTIFICATION):
        assert deployment.all(absent) == [], absent
    assert deployment.one(PIPE).inputs["awsSnsTopicArn"] == EXISTING_TOPIC
    values = outputs(deployment)
    assert values["notificationTopicArn"] == EXISTING_TOPIC
    assert values["snowflakeSubscribeStatement"] == {
        "Sid": "SnowflakeSubscribek7m2seuss0123",
        "Effect": "Allow",
        "Principal": {"AWS": SNOWFLAKE_IAM_USER},
        "Action": "sns:Subscribe",
        "Resource": EXISTING_TOPIC,
    }


# --- The default: the bucket notifies the pipe's queue ----------------------------------------


@pytest.mark.parametrize("config", ["default", "alerts"])
def test_sqs_mode_has_no_log_topic(deploy: Deploy, config: str) -> None:
    deployment = deploy(CONFIGS[config])
    assert deployment.all(TOPIC_POLICY) == []
    assert TOPIC_NAME not in {t.inputs["name"] for t in deployment.all(TOPIC)}
    assert "awsSnsTopicArn" not in deployment.one(PIPE).inputs
    notification = deployment.one(BUCKET_NOTIFICATION)
    assert set(notification.inputs) == {"bucket", "queues"}
    assert not {"notificationTopicArn", "snowflakeSubscribeStatement"} & set(deployment.outputs)


def test_sqs_is_the_default_and_the_same_as_setting_it() -> None:
    assert parse_config(lambda _: None, "dev") == parse_config(
        {"bucketNotification": "sqs"}.get, "dev"
    )


# --- Deploy order with SNS --------------------------------------------------------------------


@pytest.mark.parametrize("config", SNS_CONFIGS.values(), ids=SNS_CONFIGS.keys())
def test_every_object_waits_for_what_it_needs_with_sns(
    deploy: Deploy, config: dict[str, str]
) -> None:
    assert unmet(deploy(config)) == []


# --- Settings ---------------------------------------------------------------------------------


def parse(**settings: str) -> StackConfig:
    return parse_config(settings.get, "dev")


def test_settings_of_each_mode() -> None:
    assert (parse().bucket_notification, parse().bucket_sns_topic_arn) == ("sqs", None)
    created = parse(**SNS)
    assert (created.bucket_notification, created.bucket_sns_topic_arn) == ("sns", None)
    assert created.bucket_topic_name == TOPIC_NAME
    assert created.manages_bucket_notification
    assert parse(**SNS_EXISTING_BUCKET).manages_bucket_notification
    existing = parse(**SNS_EXISTING_TOPIC)
    assert existing.bucket_sns_topic_arn == EXISTING_TOPIC
    assert not existing.manages_bucket_notification


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"bucketNotification": "SNS"},
            r"bucketNotification = 'SNS' is invalid: expected one of sqs, sns",
        ),
        (
            {**SNS_EXISTING_TOPIC, "bucketSnsTopicArn": "arn:aws:sqs:us-east-2:111122223333:q"},
            r"bucketSnsTopicArn = 'arn:aws:sqs:.*' is invalid: expected the ARN of a standard SNS",
        ),
        (
            {**SNS_EXISTING_TOPIC, "bucketSnsTopicArn": "org-trail-object-created"},
            r"bucketSnsTopicArn = 'org-trail-object-created' is invalid: expected the ARN",
        ),
        (
            {**SNS_EXISTING_TOPIC, "bucketSnsTopicArn": f"{EXISTING_TOPIC}.fifo"},
            r"bucketSnsTopicArn = '.*\.fifo' is invalid: it is a FIFO topic",
        ),
        (
            {**SNS_EXISTING_TOPIC, "bucketNotification": "sqs"},
            r"bucketSnsTopicArn = .* is invalid: it is only used with bucketNotification=sns",
        ),
        (
            {**SNS, "bucketSnsTopicArn": EXISTING_TOPIC},
            r"bucketSnsTopicArn = .* is invalid: it names the topic an existing bucket",
        ),
        (
            {**SNS_EXISTING_TOPIC, "manageExistingBucketNotification": "true"},
            r"manageExistingBucketNotification = 'true' is invalid: with bucketSnsTopicArn",
        ),
        (
            {**EXISTING, **SNS},
            r"bucketSnsTopicArn = '' is invalid: .* or set manageExistingBucketNotification",
        ),
    ],
    ids=[
        "unknown-mode",
        "queue-arn",
        "not-an-arn",
        "fifo",
        "topic-in-sqs-mode",
        "topic-for-a-created-bucket",
        "topic-and-stack-written-notification",
        "sns-with-nothing-to-notify-the-topic",
    ],
)
def test_bad_fanout_settings_stop_the_run_before_any_resource(
    deploy: Deploy, settings: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        deploy(settings)
    assert "pulumi config set cloudtrail-snowflake:" in str(raised.value)
    assert declared_resources() == []


# --- The policy documents, rule by rule -------------------------------------------------------

USER = "arn:aws:iam::210987654321:user/k7m2-s-euss0123"
OTHER_ACCOUNTS_USER = "arn:aws:iam::210987654321:user/p9q8-s-usw20456"
A_TOPIC = "arn:aws:sns:eu-west-1:123456789012:logs"


def topic_policy(**overrides: str) -> dict[str, Any]:
    args = {
        "partition": "aws",
        "bucket": "logs",
        "account_id": "123456789012",
        "topic_arn": A_TOPIC,
        "iam_user_arn": USER,
    }
    return iam.bucket_topic_policy(**{**args, **overrides})


def test_snowflake_may_only_subscribe_to_the_topic() -> None:
    statement = iam.snowflake_subscribe_statement(A_TOPIC, USER)
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": USER}
    assert statement["Action"] == "sns:Subscribe"
    assert statement["Resource"] == A_TOPIC
    assert "Condition" not in statement


def test_subscribe_statements_of_two_snowflake_accounts_do_not_share_a_sid() -> None:
    """A topic policy refuses two statements with one Sid; the same account's is the same."""
    first = iam.snowflake_subscribe_statement(A_TOPIC, USER)
    assert first["Sid"].isalnum()
    assert first["Sid"] != iam.snowflake_subscribe_statement(A_TOPIC, OTHER_ACCOUNTS_USER)["Sid"]
    assert first == iam.snowflake_subscribe_statement(A_TOPIC, USER)


def test_the_subscribe_sid_is_the_users_name_whatever_its_path() -> None:
    """IAM user names are unique in an account whatever their path, so the name alone is the
    Sid's key; a path (user/PATH/NAME) must not leak into it."""
    with_path = USER.replace(":user/", ":user/snowflake/accounts/")
    assert iam.snowflake_subscribe_statement(A_TOPIC, with_path)["Sid"] == (
        "SnowflakeSubscribek7m2seuss0123"
    )
    assert iam.snowflake_subscribe_statement(A_TOPIC, USER)["Sid"] == (
        "SnowflakeSubscribek7m2seuss0123"
    )


def test_s3_may_only_publish_for_this_bucket_of_this_account() -> None:
    publish = statements(topic_policy())["S3PublishNewLogFiles"]
    assert publish["Principal"] == {"Service": "s3.amazonaws.com"}
    assert (publish["Action"], publish["Resource"]) == ("sns:Publish", A_TOPIC)
    assert publish["Condition"] == {
        "ArnEquals": {"aws:SourceArn": "arn:aws:s3:::logs"},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    gov = statements(topic_policy(partition="aws-us-gov"))["S3PublishNewLogFiles"]
    assert gov["Condition"]["ArnEquals"] == {"aws:SourceArn": "arn:aws-us-gov:s3:::logs"}


def test_topic_policy_grants_nothing_else() -> None:
    document = topic_policy()
    granted = {(str(s["Principal"]), s["Action"], s["Resource"]) for s in document["Statement"]}
    assert granted == {
        ("{'Service': 's3.amazonaws.com'}", "sns:Publish", A_TOPIC),
        (f"{{'AWS': '{USER}'}}", "sns:Subscribe", A_TOPIC),
    }
    assert all(s["Effect"] == "Allow" for s in document["Statement"])


@pytest.mark.parametrize(
    "document",
    [
        topic_policy(),
        {"Version": "2012-10-17", "Statement": [iam.snowflake_subscribe_statement(A_TOPIC, USER)]},
    ],
    ids=["topic-policy", "subscribe-statement"],
)
def test_topic_documents_pass_the_linter(document: dict[str, Any]) -> None:
    assert lint(document) == []


def test_the_linter_checks_sns_resources() -> None:
    """Publishing rights on the bucket instead of the topic: the lint must say so."""
    broken = topic_policy(topic_arn="arn:aws:s3:::logs")
    assert any("RESOURCE_MISMATCH" in finding for finding in lint(broken))


@pytest.mark.parametrize("config", SNS_CONFIGS.values(), ids=SNS_CONFIGS.keys())
def test_the_topics_resources_belong_to_their_component(
    deploy: Callable[..., Deployment], config: dict[str, str]
) -> None:
    assert deploy(config).orphans() == []
