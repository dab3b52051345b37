"""Helpers several test modules share: CloudTrail log files on disk, and the SQL parser check."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import sqlfluff
from sqlfluff.api.simple import APIParsingError


def write_file(path: Path, data: bytes) -> str:
    """`data` at `path` (its folders created), gzip'd when the name says so, as CloudTrail's are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=1) if ".gz" in path.name.lower() else data)
    return str(path)


def log_file(path: Path, records: list[Any]) -> str:
    """A log file as CloudTrail writes it, {"Records": [...]}; its path, as the runner takes it."""
    return write_file(path, json.dumps({"Records": records}).encode())


def parses(statement: str) -> bool:
    """Whether sqlfluff's Snowflake dialect parses `statement` (a second parser beside the
    embedded engine's: fakesnow translates through sqlglot and accepts some invalid SQL)."""
    try:
        sqlfluff.parse(statement, dialect="snowflake")
    except APIParsingError:
        return False
    return True


# What the pipe's COPY must fill each column of the raw table with: the file's single JSON
# value, its path under the stage, and when the load began. METADATA$START_SCAN_TIME, not
# CURRENT_TIMESTAMP, which Snowflake documents can lag the real load by hours in a pipe: the
# PIPELINE_HEALTH view's silence and backlog checks read LOADED_AT.
RAW_VALUES = {
    "RECORD": "$1",
    "FILENAME": "METADATA$FILENAME",
    "LOADED_AT": "METADATA$START_SCAN_TIME",
}

# The type tokens of the resources the tests look up in a deployment.
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
TRAIL = "aws:cloudtrail/trail:Trail"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SLEEP = "time:index/sleep:Sleep"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
SNOWFLAKE_PROVIDER = "pulumi:providers:snowflake"
DATABASE = "snowflake:index/database:Database"
SCHEMA = "snowflake:index/schema:Schema"
TABLE = "snowflake:index/table:Table"
VIEW = "snowflake:index/view:View"
EXECUTE = "snowflake:index/execute:Execute"
FILE_FORMAT = "snowflake:index/fileFormatJson:FileFormatJson"
STAGE = "snowflake:index/stageExternalS3:StageExternalS3"
PIPE = "snowflake:index/pipe:Pipe"
STREAM = "snowflake:index/streamOnTable:StreamOnTable"
TASK = "snowflake:index/task:Task"
ALERT = "snowflake:index/alert:Alert"
STORAGE_INTEGRATION = "snowflake:index/storageIntegrationAws:StorageIntegrationAws"
EMAIL_INTEGRATION = "snowflake:index/emailNotificationIntegration:EmailNotificationIntegration"
NOTIFICATION_INTEGRATION = "snowflake:index/notificationIntegration:NotificationIntegration"
INTEGRATIONS = (STORAGE_INTEGRATION, EMAIL_INTEGRATION, NOTIFICATION_INTEGRATION)
GRANT = "snowflake:index/grantPrivilegesToAccountRole:GrantPrivilegesToAccountRole"
DATABASE_ROLE_GRANT = "snowflake:index/grantDatabaseRole:GrantDatabaseRole"
GRANTS = (GRANT, DATABASE_ROLE_GRANT)
