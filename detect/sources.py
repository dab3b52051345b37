"""Where the log files come from: files, folders (the `AWSLogs/...` layout) or `s3://` prefixes."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detect.engine import FileProblem

LOG_SUFFIXES = (".json.gz", ".json")
# Digest files (log file validation) have no Records; Insights events are another format. Both
# live beside the log files: `.../CloudTrail-Digest/...`, `..._CloudTrail-Insight_...`.
_NOT_EVENTS = re.compile(r"CloudTrail-(Digest|Insight)")
_DOWNLOAD_THREADS = 8


@dataclass
class Inputs:
    files: list[str] = field(default_factory=list)
    """Local paths to load."""
    names: dict[str, str] = field(default_factory=dict)
    """Local path -> what to call it in messages (the s3:// URL of a downloaded file)."""
    skipped: list[str] = field(default_factory=list)
    """Digest and Insight files, left out on purpose."""
    errors: list[FileProblem] = field(default_factory=list)


def is_log_file(name: str) -> bool:
    return name.lower().endswith(LOG_SUFFIXES)


def is_event_file(name: str) -> bool:
    return _NOT_EVENTS.search(name) is None


def collect(paths: Sequence[str], workdir: Path, endpoint_url: str | None = None) -> Inputs:
    """Expands `paths` into the log files to load; `workdir` receives downloaded objects."""
    inputs = Inputs()
    for path in paths:
        if path.startswith("s3://"):
            _collect_s3(path, workdir, endpoint_url, inputs)
            continue
        local = Path(path)
        if local.is_dir():
            candidates = sorted(str(p) for p in local.rglob("*") if is_log_file(p.name))
        elif local.is_file():
            candidates = [path]
        else:
            inputs.errors.append(FileProblem(path, "no such file or directory"))
            continue
        for candidate in candidates:
            (inputs.files if is_event_file(candidate) else inputs.skipped).append(candidate)
    return inputs


def _collect_s3(url: str, workdir: Path, endpoint_url: str | None, inputs: Inputs) -> None:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    # The standard credential chain: environment, profile, SSO, instance role.
    s3 = boto3.client("s3", endpoint_url=endpoint_url)
    try:
        keys = [key for key in _list_keys(s3, bucket, prefix) if is_log_file(key)]
    except (BotoCoreError, ClientError) as error:
        inputs.errors.append(FileProblem(url, f"cannot list: {error}"))
        return
    wanted = []
    for key in keys:
        if is_event_file(key):
            wanted.append(key)
        else:
            inputs.skipped.append(f"s3://{bucket}/{key}")
    target = Path(tempfile.mkdtemp(prefix="s3-", dir=workdir))

    def download(key: str) -> tuple[str, str, str | None]:
        local = target / key
        local.parent.mkdir(parents=True, exist_ok=True)
        try:
            s3.download_file(bucket, key, str(local))
        except (BotoCoreError, ClientError) as error:
            return key, str(local), f"cannot download: {error}"
        return key, str(local), None

    with ThreadPoolExecutor(_DOWNLOAD_THREADS) as pool:
        for key, local, problem in pool.map(download, wanted):
            name = f"s3://{bucket}/{key}"
            if problem:
                inputs.errors.append(FileProblem(name, problem))
            else:
                inputs.files.append(local)
                inputs.names[local] = name


def _list_keys(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]
