"""Synthetic CloudTrail log files for tests, the demo and the benchmark.

The real key layout and file names, a benign background of varied services, identities and
regions, and scenarios that trigger every detection: each detection's positive test events,
re-stamped with new IDs and times. One scenario event is delivered twice (CloudTrail may do
that), and every account and region gets a digest file, which the runner must skip.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import random
import string
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from lib.detections import Detection, load_detections

ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2")
START = datetime(2026, 11, 27, tzinfo=UTC)
SPAN = timedelta(hours=24)
SCENARIO_COPIES = 2

# Benign calls: (eventSource, eventName, readOnly). None of them is in a CIS filter.
_CALLS = (
    ("ec2.amazonaws.com", "DescribeInstances", True),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", True),
    ("ec2.amazonaws.com", "DescribeVpcs", True),
    ("ec2.amazonaws.com", "DescribeSubnets", True),
    ("ec2.amazonaws.com", "DescribeVolumes", True),
    ("ec2.amazonaws.com", "CreateTags", False),
    ("s3.amazonaws.com", "ListBuckets", True),
    ("s3.amazonaws.com", "GetBucketLocation", True),
    ("s3.amazonaws.com", "GetBucketPolicy", True),
    ("sts.amazonaws.com", "GetCallerIdentity", True),
    ("sts.amazonaws.com", "AssumeRole", True),
    ("kms.amazonaws.com", "Decrypt", True),
    ("kms.amazonaws.com", "GenerateDataKey", True),
    ("iam.amazonaws.com", "GetUser", True),
    ("iam.amazonaws.com", "ListRoles", True),
    ("iam.amazonaws.com", "GetRole", True),
    ("iam.amazonaws.com", "ListAttachedRolePolicies", True),
    ("lambda.amazonaws.com", "ListFunctions20150331", True),
    ("lambda.amazonaws.com", "GetFunction20150331v2", True),
    ("logs.amazonaws.com", "DescribeLogGroups", True),
    ("logs.amazonaws.com", "CreateLogStream", False),
    ("monitoring.amazonaws.com", "DescribeAlarms", True),
    ("monitoring.amazonaws.com", "GetMetricData", True),
    ("ssm.amazonaws.com", "GetParameter", True),
    ("ssm.amazonaws.com", "UpdateInstanceInformation", False),
    ("dynamodb.amazonaws.com", "DescribeTable", True),
    ("ecr.amazonaws.com", "GetAuthorizationToken", True),
    ("cloudtrail.amazonaws.com", "LookupEvents", True),
    ("cloudtrail.amazonaws.com", "DescribeTrails", True),
    ("config.amazonaws.com", "DescribeConfigRules", True),
    ("organizations.amazonaws.com", "DescribeOrganization", True),
)
_USER_AGENTS = (
    "aws-cli/2.15.30 md/Botocore#1.34.30 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8",
    "Boto3/1.34.30 md/Botocore#1.34.30 ua/2.0 os/linux#6.1.72 md/arch#x86_64 lang/python#3.11.8",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 terraform-provider-aws/5.40.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
)
_SERVICES = ("autoscaling.amazonaws.com", "cloudformation.amazonaws.com", "ec2.amazonaws.com")


@dataclass
class Summary:
    files: int = 0
    events: int = 0
    digest_files: int = 0
    scenario_cases: dict[str, list[set[str]]] = field(default_factory=lambda: defaultdict(list))
    """Detection id -> the eventIDs written for each copy of each of its positive test cases (a
    duplicate delivery is one ID). A case of one event must be found; a threshold detection's
    case must be found through at least one of its events (the ones that cross the count)."""

    @property
    def scenario_events(self) -> set[str]:
        """Every eventID written for a scenario: no other event may be found."""
        return {i for cases in self.scenario_cases.values() for case in cases for i in case}

    def missed(self, found: set[tuple[str, str]]) -> list[tuple[str, set[str]]]:
        """The cases none of whose events `found` (detection id, eventID) holds."""
        return [
            (detection, case)
            for detection, cases in self.scenario_cases.items()
            for case in cases
            if not {(detection, event_id) for event_id in case} & found
        ]


def _identity(rng: random.Random, account: str) -> tuple[dict[str, Any], str]:
    """A benign caller and its source IP: a developer, a workload role, or an AWS service."""
    kind = rng.random()
    if kind < 0.25:
        user = rng.choice(("alice", "bob", "carol"))
        return {
            "type": "IAMUser",
            "principalId": f"AIDA{user.upper():0<17}"[:21],
            "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account,
            "accessKeyId": f"AKIA{user.upper():0<16}"[:20],
            "userName": user,
        }, f"198.51.100.{rng.randint(2, 250)}"
    if kind < 0.85:
        role = rng.choice(("app-server", "ci-deploy", "data-pipeline", "AWSReservedSSO_ReadOnly"))
        session = f"i-0{rng.getrandbits(56):014x}" if role == "app-server" else "session"
        return {
            "type": "AssumedRole",
            "principalId": f"AROA{role.upper().replace('-', ''):0<17}"[:21] + f":{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
            "accountId": account,
            "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": f"AROA{role.upper().replace('-', ''):0<17}"[:21],
                    "arn": f"arn:aws:iam::{account}:role/{role}",
                    "accountId": account,
                    "userName": role,
                },
                "attributes": {"creationDate": "2026-11-27T00:00:00Z", "mfaAuthenticated": "false"},
            },
        }, f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    service = rng.choice(_SERVICES)
    return {"type": "AWSService", "invokedBy": service}, service


def _background_event(
    rng: random.Random, account: str, region: str, when: datetime
) -> dict[str, Any]:
    source, name, read_only = rng.choice(_CALLS)
    identity, ip = _identity(rng, account)
    event_region = (
        "us-east-1" if source in ("iam.amazonaws.com", "organizations.amazonaws.com") else region
    )
    return {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": event_region,
        "sourceIPAddress": ip,
        "userAgent": identity.get("invokedBy") or rng.choice(_USER_AGENTS),
        "requestParameters": None
        if read_only
        else {"resourcesSet": {"items": [{"resourceId": f"i-0{rng.getrandbits(56):014x}"}]}},
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"{source.split('.')[0]}.{event_region}.amazonaws.com",
        },
    }


def _scenario_cases(
    rng: random.Random, detections: list[Detection]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each detection's positive test cases, re-stamped: (detection id, the case's events). The
    events of a case move together, keeping their spacing, so that a burst still crosses its
    threshold."""
    scenarios = []
    for detection in detections:
        for case in detection.tests:
            if not case.match:
                continue
            times = [_parse_time(event["eventTime"]) for event in case.events]
            for _ in range(SCENARIO_COPIES):
                shift = START + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
                events = []
                for event, time in zip(case.events, times, strict=True):
                    event = copy.deepcopy(event)
                    event["eventID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    when = shift + (time - times[0])
                    event["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
                    events.append(event)
                scenarios.append((detection.id, events))
    return scenarios


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _file_key(
    account: str, region: str, when: datetime, rng: random.Random, org: str | None
) -> str:
    unique = "".join(rng.choices(string.ascii_letters + string.digits, k=16))
    root = f"AWSLogs/{org}/{account}" if org else f"AWSLogs/{account}"
    return (
        f"{root}/CloudTrail/{region}/{when:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{when:%Y%m%dT%H%MZ}_{unique}.json.gz"
    )


def _write(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Level 6: CloudTrail-like sizes at a fraction of level 9's time.
    with gzip.open(path, "wt", compresslevel=6) as out:
        json.dump(document, out, separators=(",", ":"))


def write(
    out_dir: Path,
    events: int,
    events_per_file: int = 1000,
    seed: int = 7,
    organization_id: str | None = None,
    with_scenarios: bool = True,
) -> Summary:
    """Writes about `events` background events plus the scenarios; returns what was written."""
    rng = random.Random(seed)
    summary = Summary()
    streams: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for _ in range(events):
        account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
        when = START + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        streams[(account, region)].append(_background_event(rng, account, region, when))
    duplicate: dict[str, Any] | None = None
    if with_scenarios:
        for detection_id, case in _scenario_cases(rng, load_detections()):
            for event in case:
                account = event.get("recipientAccountId") or ACCOUNTS[0]
                streams[(account, event["awsRegion"])].append(event)
                duplicate = duplicate or event
            summary.scenario_cases[detection_id].append({event["eventID"] for event in case})

    for (account, region), stream in sorted(streams.items()):
        stream.sort(key=lambda e: e["eventTime"])
        for start in range(0, len(stream), events_per_file):
            _write_log(
                out_dir,
                account,
                region,
                stream[start : start + events_per_file],
                rng,
                organization_id,
            )
            summary.files += 1
            summary.events += len(stream[start : start + events_per_file])
        _write_digest(out_dir, account, region, organization_id)
        summary.digest_files += 1
    if duplicate is not None:
        # Delivered once more in a later file of the same trail, as CloudTrail may do.
        account = duplicate.get("recipientAccountId") or ACCOUNTS[0]
        _write_log(out_dir, account, duplicate["awsRegion"], [duplicate], rng, organization_id)
        summary.files += 1
        summary.events += 1
    return summary


def _write_log(
    out_dir: Path,
    account: str,
    region: str,
    records: list[dict[str, Any]],
    rng: random.Random,
    org: str | None,
) -> None:
    """A log file named after its last event's time, as CloudTrail names them."""
    last = datetime.strptime(records[-1]["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    _write(out_dir / _file_key(account, region, last, rng, org), {"Records": records})


def _write_digest(out_dir: Path, account: str, region: str, org: str | None) -> None:
    """A digest file as log file validation writes it: no Records, must not be loaded."""
    root = f"AWSLogs/{org}/{account}" if org else f"AWSLogs/{account}"
    end = START + SPAN
    key = (
        f"{root}/CloudTrail-Digest/{region}/{end:%Y/%m/%d}/"
        f"{account}_CloudTrail-Digest_{region}_cloudtrail-snowflake-demo_{region}_{end:%Y%m%dT%H%M%SZ}.json.gz"
    )
    _write(
        out_dir / key,
        {
            "awsAccountId": account,
            "digestStartTime": START.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "digestEndTime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "digestS3Bucket": "cloudtrail-snowflake-demo",
            "digestPublicKeyFingerprint": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "digestSignatureAlgorithm": "SHA256withRSA",
            "logFiles": [],
        },
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path)
    parser.add_argument("--events", type=int, default=20_000, help="background events (20000)")
    parser.add_argument(
        "--events-per-file", type=int, default=1000, help="events per log file (1000)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed, for reproducible output")
    parser.add_argument(
        "--organization-id", help="write the organization trail layout AWSLogs/o-.../"
    )


def main(args: argparse.Namespace, err: TextIO) -> int:
    summary = write(
        args.out_dir, args.events, args.events_per_file, args.seed, args.organization_id
    )
    err.write(
        f"detect: wrote {summary.events} events in {summary.files} log files and "
        f"{summary.digest_files} digest files under {args.out_dir}\n"
    )
    return 0
