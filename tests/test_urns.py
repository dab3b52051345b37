"""Renamed and re-parented resources are updated in place, never replaced.

A resource's URN is its identity in the stack's state: declared under another name or parent
without an alias, it is a new resource to the engine, which creates it (CREATE DATABASE on a name
that exists fails, or worse) and deletes (or, retained, forgets) the old one. So the URNs the
program declared before a change are recorded (tests/record_urns.py) and each must still be
declared, or be the alias of exactly one resource declared now.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CONFIGS, Deployment

Deploy = Callable[..., Deployment]

RECORDED = [
    json.loads(path.read_text())["configs"]
    for path in sorted((Path(__file__).parent / "data").glob("urns-*.json"))
]


def urn_problems(deployment: Deployment, before: list[str]) -> list[str]:
    declared = {r.urn for r in deployment.resources}
    claims: dict[str, list[str]] = {}
    for resource in deployment.resources:
        # A set: provider SDKs add their own aliases (the Bucket, BucketV2's), some twice.
        for old in set(resource.aliases):
            claims.setdefault(old, []).append(resource.name)
    problems = [
        f"{old} is aliased by {' and '.join(names)}"
        for old, names in claims.items()
        if len(names) > 1 or old in declared
    ]
    problems += [
        f"{old} is neither declared nor aliased: `pulumi up` would replace it"
        for old in before
        if old not in declared and old not in claims
    ]
    return problems


@pytest.mark.parametrize("before", RECORDED)
@pytest.mark.parametrize("config", CONFIGS)
def test_every_urn_a_stack_holds_is_declared_or_aliased(
    deploy: Deploy, config: str, before: dict[str, list[str]]
) -> None:
    assert urn_problems(deploy(CONFIGS[config]), before[config]) == []
