"""Deploy order, derived instead of listed: every Snowflake object the stack declares waits for
every object it needs that the stack itself creates.

Pulumi creates every resource whose dependencies are met in parallel; only `depends_on` and the
Outputs a resource consumes order them. So what a resource needs is read from its inputs (the
database and schema it lives in, the table a stream follows, the objects its statements name,
the integrations it uses) and must be among its transitive dependencies: a missing `depends_on`
fails here, whichever component it is in, including the ones added later.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
import sqlglot
from conftest import CONFIGS, Deployment, Registered, strings
from sqlglot import exp
from support import DATABASE, INTEGRATIONS, SCHEMA

Deploy = Callable[..., Deployment]

# Inputs holding SQL that Snowflake compiles against the objects it names.
STATEMENTS = ("statement", "sqlStatement", "when", "condition", "action", "copyStatement")

_ID = r"[A-Za-z_][A-Za-z0-9_$]*"
_QUALIFIED = re.compile(rf"(?<![\w$.])({_ID})\.({_ID})\.({_ID})(?![\w$])")
_WORD = re.compile(_ID)


class Objects:
    """The Snowflake objects a deployment creates, by the name a statement or input uses."""

    def __init__(self, deployment: Deployment) -> None:
        self.by_name: dict[str, Registered] = {}
        self.schemas: set[str] = set()
        for resource in deployment.resources:
            if not resource.type.startswith("snowflake:index/"):
                continue
            name = str(resource.inputs.get("name", "")).upper()
            if resource.type == DATABASE:
                self.by_name[f"DATABASE {name}"] = resource
            elif resource.type == SCHEMA:
                self.by_name[f"SCHEMA {resource.inputs['database']}.{name}".upper()] = resource
            elif resource.type in INTEGRATIONS:
                self.by_name[name] = resource
            elif "schema" in resource.inputs:
                location = f"{resource.inputs['database']}.{resource.inputs['schema']}".upper()
                self.schemas.add(location)
                self.by_name[f"{location}.{name}"] = resource

    def named_in(self, text: str) -> Iterator[str]:
        """The objects `text` names: qualified names (`DB.SCHEMA.OBJECT`, `@DB.SCHEMA.STAGE`,
        'DB.SCHEMA.STREAM' in a string) and integrations (bare names)."""
        for match in _QUALIFIED.finditer(text):
            name = ".".join(match.groups()).upper()
            if name.rsplit(".", 1)[0] in self.schemas:
                # The stack's own schema holds only what the stack creates: a name there that
                # resolves to nothing is a typo or an object the program forgot.
                assert name in self.by_name, f"names {name}, which the stack does not create"
                yield name
        for word in _WORD.findall(text):
            if word.upper() in self.by_name and self.by_name[word.upper()].type in INTEGRATIONS:
                yield word.upper()


def prerequisites(resource: Registered, objects: Objects) -> dict[str, Registered]:
    """What `resource` needs to exist first, of what the stack creates, read from its inputs."""
    inputs = resource.inputs
    names: set[str] = set()
    if "database" in inputs:
        names.add(f"DATABASE {inputs['database']}".upper())
        if "schema" in inputs:
            names.add(f"SCHEMA {inputs['database']}.{inputs['schema']}".upper())
    for key, value in inputs.items():
        # A comment may mention an object without needing it.
        if key != "comment":
            names.update(name for text in strings(value) for name in objects.named_in(text))
    return {
        name: objects.by_name[name]
        for name in names
        if name in objects.by_name and objects.by_name[name].urn != resource.urn
    }


def unmet(deployment: Deployment) -> list[str]:
    """Each Snowflake object that does not wait for an object it names."""
    objects = Objects(deployment)
    return [
        f"{resource.name} does not wait for {name}"
        for resource in deployment.resources
        if resource.type.startswith("snowflake:index/")
        for name, needed in prerequisites(resource, objects).items()
        if not deployment.depends_on(resource, needed)
    ]


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_every_object_waits_for_what_it_needs(deploy: Deploy, config: dict[str, str]) -> None:
    assert unmet(deploy(config)) == []


def test_the_rule_sees_what_each_kind_of_object_needs(deploy: Deploy) -> None:
    """The derivation itself: one example of each way an object names another."""
    deployment = deploy(CONFIGS["alerts"])
    objects = Objects(deployment)

    def needs(name: str) -> set[str]:
        return set(prerequisites(deployment.named(name), objects))

    in_schema = {"DATABASE CLOUDTRAIL_DEV", "SCHEMA CLOUDTRAIL_DEV.AUDIT"}
    assert needs("events-events") == in_schema
    assert needs("events-raw-stream") == in_schema | {"CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_RAW"}
    # Its ERROR_INTEGRATION, as the pipe's.
    assert needs("events-raw-task") == in_schema | {
        "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_EVENTS",
        "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_RAW_STREAM",
        "CLOUDTRAIL_DEV_FINDINGS_SNS",
    }
    assert needs("ingest-stage") == in_schema | {
        "CLOUDTRAIL_DEV_S3",
        "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_JSON",
    }
    assert needs("ingest-pipe") == in_schema | {
        "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_RAW",
        "CLOUDTRAIL_DEV.AUDIT.CLOUDTRAIL_STAGE",
        "CLOUDTRAIL_DEV_FINDINGS_SNS",
    }
    assert needs("alerts-alert") == in_schema | {
        "CLOUDTRAIL_DEV.AUDIT.FINDINGS",
        "CLOUDTRAIL_DEV.AUDIT.FINDINGS_ALERT_STREAM",
        "CLOUDTRAIL_DEV.AUDIT.FINDINGS_NOTIFIED",
        "CLOUDTRAIL_DEV_FINDINGS_EMAIL",
        "CLOUDTRAIL_DEV_FINDINGS_SNS",
    }
    assert needs("trust-usage") == {"CLOUDTRAIL_DEV_S3"}
    assert needs("snowflake-schema") == {"DATABASE CLOUDTRAIL_DEV"}


def test_a_name_the_stack_does_not_create_is_refused() -> None:
    objects = Objects(Deployment())
    objects.schemas.add("DB.S")
    with pytest.raises(AssertionError, match=r"names DB\.S\.CLOUDTRAIL_EVENT,"):
        list(objects.named_in("SELECT * FROM DB.S.CLOUDTRAIL_EVENT"))
    assert list(objects.named_in("SNOWFLAKE.ALERT.SCHEDULED_TIME()")) == []


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_statements_name_every_object_fully_qualified(
    deploy: Deploy, config: dict[str, str]
) -> None:
    """The rule above finds the objects a statement names by their qualified names; an unqualified
    one would escape it (and resolve against whatever schema the session happens to use)."""
    for resource in deploy(config).resources:
        for key in STATEMENTS:
            if key not in resource.inputs or key == "action":
                # The alert's action is a Snowflake Scripting block, which sqlglot does not
                # parse; it reads only RESULT_SCAN and names integrations in string literals.
                continue
            tree = sqlglot.parse_one(resource.inputs[key], read="snowflake")
            # A common table expression is named by the statement itself, not an object.
            ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
            for table in tree.find_all(exp.Table):
                if not table.db and table.name in ctes:
                    continue
                name = table.sql(dialect="snowflake").split(" AS ")[0]
                if table.name.startswith("@"):
                    # A stage (`FROM @DB.SCHEMA.STAGE`) comes through as one name.
                    name = table.name.removeprefix("@")
                if name and not name.upper().startswith("TABLE("):
                    assert _QUALIFIED.fullmatch(name), f"{resource.name}.{key}: {name}"
