"""Runs the real program (`__main__.main`) against Pulumi's in-process mocks and records every
resource it registers, with its resolved inputs and its options, as plain data.

Tests assert on that record after the run has finished, never inside an `apply`, and the mocks
run with preview=False: no assertion can be skipped by an unknown value.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.stack import Stack
from support import (
    BUCKET,
    NOTIFICATION_INTEGRATION,
    PIPE,
    RANDOM_PASSWORD,
    ROLE,
    SNOWFLAKE_PROVIDER,
    STORAGE_INTEGRATION,
    TRAIL,
)

ROOT = Path(__file__).resolve().parent.parent

PROJECT = "cloudtrail-snowflake"
STACK = "dev"
ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
SNOWFLAKE_IAM_USER = "arn:aws:iam::210987654321:user/k7m2-s-euss0123"
SNOWPIPE_QUEUE = "arn:aws:sqs:eu-west-1:210987654321:sf-snowpipe-AIDAEXAMPLE-q1w2e3r4"
EXTERNAL_ID = "Zq4XkP0c9LmN2bV7sT1uR8yW3eA6dF5g"
SNS_IAM_USER = "arn:aws:iam::210987654321:user/k7m2-s-sns-euss0123"
SNS_EXTERNAL_ID = "ABC12345_SFCRole=2_a1b2c3d4e5f6g7h8i9j0k1l2m3n="

# Stack settings that, between them, take every branch of the Snowflake side: alerts on (both
# destinations), an existing database, an existing schema, one role owning everything.
CONFIGS = {
    "default": {},
    "alerts": {"alertEmails": "secops@example.com", "alertSns": "true"},
    "existing-database": {"createDatabase": "false"},
    "existing-schema": {
        "createDatabase": "false",
        "createSchema": "false",
        "snowflakeDatabase": "SECURITY",
        "snowflakeSchema": "CLOUDTRAIL",
    },
    "one-role": {"snowflakeOwnerRole": "ACCOUNTADMIN", "alertSns": "true"},
}


@dataclass
class Registered:
    """One resource as the program declared it."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    secret_inputs: set[str]
    """The inputs sent marked secret: encrypted in the state, masked in the CLI's output."""
    parent: str
    dependencies: list[str]
    provider: str
    retain_on_delete: bool
    delete_before_replace: bool
    delete_before_replace_defined: bool
    """False: left to the provider (which deletes a named object before creating its successor)."""
    replace_with: list[str]
    aliases: list[str]
    """The URNs this resource was declared under before, resolved as the engine resolves its
    aliases: an old state at one of them is updated in place, not replaced."""
    outputs: dict[str, Any]
    """What the mock provider returned: the resource's state after `up`."""

    def policy(self, key: str) -> dict[str, Any]:
        """An input holding a JSON policy document, parsed."""
        document = json.loads(self.inputs[key])
        assert isinstance(document, dict)
        return document


@dataclass
class Deployment:
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, tuple[Any, bool]] = field(default_factory=dict)
    """The stack outputs: name -> (value, whether it is a secret)."""

    def all(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> Registered:
        found = self.all(type_)
        assert len(found) == 1, f"expected one {type_}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Registered:
        """The resource declared under this Pulumi name."""
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def orphans(self) -> list[str]:
        """The resources declared outside every component, other than the Snowflake providers
        the components share: one declared without `parent=self` is not in its component's tree
        (its URN differs, so `pulumi up` would replace it if the parent were added later)."""
        components = {r.urn for r in self.resources if r.type.startswith("cloudtrail-snowflake:")}
        return [
            r.name
            for r in self.resources
            if r.urn not in components
            and r.type != SNOWFLAKE_PROVIDER
            and r.parent not in components
        ]

    def depends_on(self, dependent: Registered, dependency: Registered) -> bool:
        """Whether `dependent` waits for `dependency`, directly or through other resources."""
        seen: set[str] = set()
        todo = list(dependent.dependencies)
        while todo:
            urn = todo.pop()
            if urn == dependency.urn:
                return True
            if urn not in seen:
                seen.add(urn)
                todo.extend(next((r.dependencies for r in self.resources if r.urn == urn), []))
        return False


class _Mocks(pulumi.runtime.Mocks):
    """Outputs shaped like the real providers' (camelCase, as the engine hands them over)."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        name = inputs.get("name", args.name)
        if args.typ == BUCKET:
            bucket = inputs["bucket"]
            return bucket, {**inputs, "arn": f"arn:aws:s3:::{bucket}"}
        if args.typ == ROLE:
            return name, {**inputs, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"}
        if args.typ == TRAIL:
            arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT_ID}:trail/{name}"
            return arn, {**inputs, "arn": arn}
        if args.typ == RANDOM_PASSWORD:
            return "none", {**inputs, "result": EXTERNAL_ID}
        if args.typ == STORAGE_INTEGRATION:
            described = {
                "iamUserArn": SNOWFLAKE_IAM_USER,
                "externalId": inputs.get("storageAwsExternalId"),
            }
            return name, {**inputs, "describeOutputs": [described]}
        if args.typ == NOTIFICATION_INTEGRATION:
            # Snowflake picks the IAM user and the external ID of a notification integration.
            return name, {
                **inputs,
                "awsSnsIamUserArn": SNS_IAM_USER,
                "awsSnsExternalId": SNS_EXTERNAL_ID,
            }
        if args.typ == PIPE:
            return name, {**inputs, "notificationChannel": SNOWPIPE_QUEUE}
        return f"{args.name}-id", inputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:aws:iam::{ACCOUNT_ID}:user/deployer"
            return {"accountId": ACCOUNT_ID, "arn": arn, "userId": "AIDADEPLOYER", "id": ""}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": REGION, "name": REGION, "id": REGION}, []
        raise AssertionError(f"unexpected call {args.token}")


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def engine_urn(
    parent: str, type_: str, name: str, stack: str = STACK, project: str = PROJECT
) -> str:
    """The URN the engine gives a resource: its type follows its parent's whole qualified type,
    except the root stack's. (MockMonitor keeps only the parent's last type, root stack included,
    so its URNs are not the ones a real stack holds.)"""
    parent_type = parent.split("::")[2] if parent else ROOT_STACK_TYPE
    qualified = type_ if parent_type == ROOT_STACK_TYPE else f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


class _RecordingMonitor(MockMonitor):
    """Sees the whole registration request: options as well as inputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.requests: dict[str, Any] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return engine_urn(parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self.requests[response.urn] = request
        return response


_MONITOR = _RecordingMonitor(_Mocks())
pulumi.runtime.set_mocks(_Mocks(), project=PROJECT, stack=STACK, preview=False, monitor=_MONITOR)


def _load_program() -> Any:
    spec = importlib.util.spec_from_file_location("stack_program", ROOT / "__main__.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PROGRAM = _load_program()


def run_program(
    config: dict[str, Any] | None = None, program: Callable[[], None] | None = None
) -> Deployment:
    """Runs `main()` (or `program`, e.g. one component on its own) with `cloudtrail-snowflake:`
    settings (and `snowflake:...` ones given with their namespace) and returns every registered
    resource."""
    values = {}
    for key, value in (config or {}).items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        values[full_key] = value if isinstance(value, str) else json.dumps(value)
    pulumi.runtime.set_all_config(values)
    _MONITOR.requests.clear()
    _MONITOR.resources.clear()

    stack = pulumi.runtime.get_root_resource()
    assert isinstance(stack, Stack)
    stack.outputs.clear()
    exported: dict[str, tuple[Any, bool]] = {}

    async def resolve(name: str, value: Any) -> None:
        output = pulumi.Output.from_input(value)
        exported[name] = (await output.future(), await output.is_secret())

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> Any:
        (program or _PROGRAM.main)()
        return pulumi.Output.from_input(
            asyncio.gather(*(resolve(k, v) for k, v in stack.outputs.items()))
        )

    run()
    # The root stack is registered by the first run of the process only: not the program's.
    return Deployment(
        [
            _registered(urn, request)
            for urn, request in _MONITOR.requests.items()
            if request.type != ROOT_STACK_TYPE
        ],
        exported,
    )


def declared_resources() -> list[str]:
    """The URNs the last run registered, even when it failed half-way."""
    return [urn for urn, request in _MONITOR.requests.items() if request.type != ROOT_STACK_TYPE]


def _registered(urn: str, request: Any) -> Registered:
    serialized = rpc.deserialize_properties(request.object)
    secret = {
        key
        for key, value in serialized.items()
        if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig
    }
    return Registered(
        type=request.type,
        name=request.name,
        urn=urn,
        # Unwrapped: the tests see the values the provider would get.
        inputs={
            key: value["value"] if key in secret else value for key, value in serialized.items()
        },
        secret_inputs=secret,
        parent=request.parent,
        dependencies=list(request.dependencies),
        provider=request.provider,
        retain_on_delete=request.retainOnDelete,
        delete_before_replace=request.deleteBeforeReplace,
        delete_before_replace_defined=request.deleteBeforeReplaceDefined,
        replace_with=list(request.replace_with),
        aliases=[_alias_urn(request, alias) for alias in request.aliases],
        outputs=dict(_MONITOR.resources[urn].state) if urn in _MONITOR.resources else {},
    )


def _alias_urn(request: Any, alias: Any) -> str:
    """An alias as the engine resolves it: a URN as is; a spec's unset fields (name, type,
    stack, project, parent) taken from the resource, `noParent` meaning the root stack."""
    if alias.WhichOneof("alias") == "urn":
        return str(alias.urn)
    spec = alias.spec
    parent = "" if spec.noParent else (spec.parentUrn or request.parent)
    return engine_urn(
        parent,
        spec.type or request.type,
        spec.name or request.name,
        spec.stack or STACK,
        spec.project or PROJECT,
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `make mutation`, a mutant's tests run cheapest file first and, in a file, quickest
    test first, by the durations mutmut measured (mutmut-stats.json, in mutants/ where the tests
    run). mutmut stops at the first failure, so a config mutant that a unit test kills costs that
    test (seconds), not the deploy rehearsals that reach the same function first (a minute). A
    file's tests stay together: its module fixtures are built once."""
    stats = Path("mutmut-stats.json")
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", "") or not stats.is_file():
        return
    durations = json.loads(stats.read_text())["duration_by_test"]
    by_file: dict[Path, float] = {}
    for item in items:
        by_file[item.path] = by_file.get(item.path, 0.0) + durations.get(item.nodeid, 0.0)
    items.sort(key=lambda item: (by_file[item.path], durations.get(item.nodeid, 0.0)))


@pytest.fixture
def deploy() -> Iterator[Callable[..., Deployment]]:
    yield run_program
    pulumi.runtime.set_all_config({})


def strings(value: Any) -> Iterator[str]:
    """Every string in a resource's inputs (or any nest of dicts and lists)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def _test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An S3 API on loopback, on a free port, stopped after the test."""
    _test_credentials(monkeypatch)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # The server keeps its buckets in moto's state, which it shares with this process: what an
    # earlier test left (through another server or mock_aws) would be listed too.
    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    ).close()
    yield endpoint
    server.stop()


@pytest.fixture
def s3_in_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """S3 in this process (moto's mock_aws) for every client made without an endpoint: for
    tests that make many objects, which the loopback server takes about 8 ms each to store."""
    _test_credentials(monkeypatch)
    with mock_aws():
        yield


@pytest.fixture(autouse=True, scope="session")
def _translations_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`python -m detect` keeps translations in the user's cache folder: the tests' runs keep
    theirs in one of the session's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield
