"""Moved and renamed resources are updated in place, never replaced (why: components/aliases.py).

The URNs the program declared before such a change are recorded (tests/record_urns.py); each
must still be declared, or be the alias of exactly one resource declared now. Aliases are
resolved as the engine resolves them (conftest), except the ones a child inherits from an alias
of its parent: a renamed component would fail here until that is modelled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CONFIGS, ROOT_STACK_TYPE, Deployment, engine_urn

Deploy = Callable[..., Deployment]

RECORDED = {
    path.name: json.loads(path.read_text())["configs"]
    for path in sorted((Path(__file__).parent / "data").glob("urns-*.json"))
}


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


@pytest.mark.parametrize("before", RECORDED.values(), ids=RECORDED.keys())
@pytest.mark.parametrize("config", CONFIGS)
def test_every_urn_a_stack_holds_is_declared_or_aliased(
    deploy: Deploy, config: str, before: dict[str, list[str]]
) -> None:
    assert urn_problems(deploy(CONFIGS[config]), before[config]) == []


def test_urns_are_formed_as_the_engine_forms_them() -> None:
    """https://www.pulumi.com/docs/iac/concepts/resources/names/#urns: the qualified type chains
    the parents' types with `$`, the root stack's left out."""
    stack = engine_urn("", ROOT_STACK_TYPE, "cloudtrail-snowflake-dev")
    component = engine_urn(stack, "pkg:m:Component", "c")
    assert component == "urn:pulumi:dev::cloudtrail-snowflake::pkg:m:Component::c"
    child = engine_urn(component, "pkg:m:Child", "c-child")
    assert child == "urn:pulumi:dev::cloudtrail-snowflake::pkg:m:Component$pkg:m:Child::c-child"
    assert engine_urn(child, "pkg:m:Leaf", "leaf").endswith(
        "::pkg:m:Component$pkg:m:Child$pkg:m:Leaf::leaf"
    )


def test_a_moved_resource_without_its_alias_or_with_anothers_is_named(deploy: Deploy) -> None:
    deployment = deploy(CONFIGS["alerts"])
    before = RECORDED["urns-before-issue-8.json"]["alerts"]
    (database,) = [urn for urn in before if urn.endswith("Database::ingest-database")]
    (root_usage,) = [urn for urn in before if urn.endswith("View::view-cis-root-usage")]
    deployment.named("snowflake-database").aliases = []
    deployment.named("detections-all").aliases.append(root_usage)
    assert set(urn_problems(deployment, before)) == {
        f"{database} is neither declared nor aliased: `pulumi up` would replace it",
        f"{root_usage} is aliased by detections-cis-root-usage and detections-all",
    }
