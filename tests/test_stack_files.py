"""Pulumi.yaml declares every setting with the program's own defaults, and the example stack
files are valid: a user who copies one gets a stack that passes validation and deploys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, Deployment
from support import BUCKET_NOTIFICATION, PIPE, TRAIL

from lib.config import NAMESPACE, parse_config, parse_connection

STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    return document


def declared() -> dict[str, dict[str, Any]]:
    config = load(ROOT / "Pulumi.yaml")["config"]
    assert isinstance(config, dict)
    return config


def as_config_string(value: Any) -> str:
    """How Pulumi hands a YAML value to the program."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def keys_read_by_the_program() -> set[str]:
    read: set[str] = set()

    def get(key: str) -> None:
        read.add(key)

    parse_config(get, "dev")
    return read


def stack_settings(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The project and `snowflake:` settings of a stack file, project defaults applied."""
    values = {key: as_config_string(spec["default"]) for key, spec in declared().items()}
    snowflake: dict[str, str] = {}
    for key, value in load(path)["config"].items():
        namespace, _, name = key.partition(":")
        if namespace == NAMESPACE:
            values[name] = as_config_string(value)
        elif namespace == "snowflake":
            snowflake[name] = as_config_string(value)
    return values, snowflake


def test_every_setting_is_declared_with_type_description_and_default() -> None:
    assert set(declared()) == keys_read_by_the_program()
    for key, spec in declared().items():
        assert spec["type"] in ("string", "boolean", "integer"), key
        assert len(spec["description"]) > 40, key
        # Pulumi refuses a stack that lacks a declared key without a default.
        assert "default" in spec, key


def test_declared_defaults_are_the_programs_defaults() -> None:
    defaults = {key: as_config_string(spec["default"]) for key, spec in declared().items()}
    assert parse_config(defaults.get, "dev") == parse_config(lambda _: None, "dev")


def test_there_is_a_dev_stack_and_an_organization_stack() -> None:
    assert [p.name for p in STACK_FILES] == ["Pulumi.dev.yaml", "Pulumi.prod-org.yaml"]


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_example_stack_files_are_valid(path: Path) -> None:
    values, snowflake = stack_settings(path)
    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    cfg = parse_config(values.get, stack)
    connection = parse_connection(snowflake.get, snowflake.get)
    assert connection.settings["authenticator"] == "SNOWFLAKE_JWT"
    # Secrets are set with `pulumi config set --secret`, never written in clear.
    assert connection.secrets == {}
    assert cfg.stack == stack


def test_organization_stack_is_an_organization_trail_with_kms() -> None:
    values, _ = stack_settings(ROOT / "Pulumi.prod-org.yaml")
    cfg = parse_config(values.get, "prod-org")
    assert cfg.organization_trail and cfg.organization_id and cfg.kms_key_arn


def test_dev_stack_file_deploys(deploy: Any) -> None:
    values, snowflake = stack_settings(ROOT / "Pulumi.dev.yaml")
    deployment: Deployment = deploy(
        {**values, **{f"snowflake:{key}": value for key, value in snowflake.items()}}
    )
    # Its own trail writes to the bucket, which notifies the pipe of each log file.
    bucket = deployment.outputs["bucket"][0]
    assert deployment.one(TRAIL).inputs["s3BucketName"] == bucket
    notification = deployment.one(BUCKET_NOTIFICATION)
    assert notification.inputs["bucket"] == bucket
    (queue,) = notification.inputs["queues"]
    assert queue["queueArn"] == deployment.one(PIPE).outputs["notificationChannel"]
