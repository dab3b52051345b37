"""Where the log files come from: files, folders (the `AWSLogs/...` layout) or `s3://` prefixes."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detect.engine import FileProblem, os_reason

LOG_SUFFIXES = (".json.gz", ".json")
# Digest files (log file validation) have no Records; Insights events are another format. Both
# live beside the log files, in CloudTrail's own folders and under its own file names:
# `AWSLogs/<account>/CloudTrail-Digest/<region>/.../<account>_CloudTrail-Digest_<region>_...`.
_NOT_EVENT_FOLDERS = {"CloudTrail-Digest", "CloudTrail-Insight"}
_NOT_EVENT_NAME = re.compile(r"[0-9]{12}_CloudTrail-(Digest|Insight)_")
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


def is_event_file(path: str) -> bool:
    """False for digest and Insight files: by CloudTrail's folder or file name, not by a
    substring anywhere (a folder `CloudTrail-Insights-review` may hold ordinary logs)."""
    *folders, name = path.split("/")
    return not (_NOT_EVENT_FOLDERS & set(folders) or _NOT_EVENT_NAME.match(name))


def collect(paths: Sequence[str], workdir: Path, endpoint_url: str | None = None) -> Inputs:
    """Expands `paths` into the log files to load; `workdir` receives downloaded objects."""
    inputs = Inputs()
    # (device, inode) of the folders walked and the files taken: a folder or file reached again
    # through a link (a loop included) or named twice is read once.
    seen: set[tuple[int, int]] = set()
    for path in paths:
        if path.startswith("s3://"):
            _collect_s3(path, workdir, endpoint_url, inputs)
            continue
        try:
            status = os.stat(path)
        except OSError as error:
            inputs.errors.append(FileProblem(path, os_reason(error)))
            continue
        if stat.S_ISDIR(status.st_mode):
            candidates = sorted(_walk(path, status, seen, inputs))
        elif stat.S_ISREG(status.st_mode):
            candidates = [path] if _first_time(status, seen) else []
        else:
            inputs.errors.append(FileProblem(path, _not_regular(status)))
            continue
        for candidate in candidates:
            (inputs.files if is_event_file(candidate) else inputs.skipped).append(candidate)
    return inputs


def _walk(
    folder: str, status: os.stat_result, seen: set[tuple[int, int]], inputs: Inputs
) -> Iterator[str]:
    """The log files under `folder`, links followed. What cannot be listed or is not a regular
    file is named in `inputs.errors` and never opened: opening a FIFO blocks forever. Links are
    followed last, so that a file or folder reachable both ways is named by its own path."""
    if not _first_time(status, seen):
        return
    folders = [folder]
    linked_folders: list[tuple[str, os.stat_result]] = []
    linked_files: list[tuple[str, os.stat_result]] = []
    while folders or linked_folders:
        if folders:
            current = folders.pop()
        else:
            current, linked = linked_folders.pop()
            if not _first_time(linked, seen):
                continue
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            inputs.errors.append(FileProblem(current, os_reason(error)))
            continue
        subfolders = []
        for entry in entries:
            try:
                found = entry.stat()
            except OSError as error:
                if is_log_file(entry.name):
                    broken = entry.is_symlink() and isinstance(error, FileNotFoundError)
                    reason = "broken symbolic link" if broken else os_reason(error)
                    inputs.errors.append(FileProblem(entry.path, reason))
                continue
            if stat.S_ISDIR(found.st_mode):
                if entry.is_symlink():
                    linked_folders.append((entry.path, found))
                elif _first_time(found, seen):
                    subfolders.append(entry.path)
            elif not is_log_file(entry.name):
                continue
            elif not is_event_file(entry.path):
                yield entry.path  # to be skipped, by its name: never opened
            elif not stat.S_ISREG(found.st_mode):
                inputs.errors.append(FileProblem(entry.path, _not_regular(found)))
            elif entry.is_symlink():
                linked_files.append((entry.path, found))
            elif _first_time(found, seen):
                yield entry.path
        # Walked next, in name order: which of two names for one file is kept does not vary.
        folders.extend(reversed(subfolders))
    for path, linked in linked_files:
        if _first_time(linked, seen):
            yield path


def _first_time(status: os.stat_result, seen: set[tuple[int, int]]) -> bool:
    key = (status.st_dev, status.st_ino)
    if key in seen:
        return False
    seen.add(key)
    return True


def _not_regular(status: os.stat_result) -> str:
    kinds = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket"}
    return f"not a regular file ({kinds.get(stat.S_IFMT(status.st_mode), 'a device')})"


def _collect_s3(url: str, workdir: Path, endpoint_url: str | None, inputs: Inputs) -> None:
    import boto3
    from boto3.exceptions import RetriesExceededError
    from botocore.exceptions import BotoCoreError, ClientError
    from s3transfer.exceptions import S3DownloadFailedError, S3ValidationError

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

    def download(numbered: tuple[int, str]) -> tuple[str, str, str | None]:
        # A key is not a safe local path (`../`, a leading `/`, glob characters): number them.
        number, key = numbered
        suffix = next(s for s in LOG_SUFFIXES if key.lower().endswith(s))
        local = str(target / f"{number}{suffix}")
        try:
            s3.download_file(bucket, key, local)
        except RetriesExceededError as error:
            # The body broke off at every attempt (s3transfer reads it up to 5 times): botocore
            # retries a request, not the reading of its body. What broke it says more than
            # boto3's own message, "Max Retries Exceeded".
            return key, local, f"cannot download: {error.last_exception}"
        # Not only botocore's errors: s3transfer's own, in a download in ranges (objects over its
        # 8 MiB threshold), when the object changed since the first range or a range came back
        # other than asked.
        except (BotoCoreError, ClientError, S3DownloadFailedError, S3ValidationError) as error:
            return key, local, f"cannot download: {error}"
        except OSError as error:
            # Writing the local copy: a full disk, the temporary folder gone.
            return key, local, f"cannot download: {os_reason(error)}"
        return key, local, None

    with ThreadPoolExecutor(_DOWNLOAD_THREADS) as pool:
        for key, local, problem in pool.map(download, enumerate(wanted)):
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
