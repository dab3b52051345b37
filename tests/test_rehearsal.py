"""Deploy rehearsal: the Snowflake objects the program declares, created on the embedded engine
(tests/rehearsal.py) in 10 of the orders Pulumi may create them in, then run on generated logs.

Pulumi creates a resource as soon as everything it waits for exists, so any topological order of
the dependency graph can happen. The graph is the deployment's own (explicit and implicit
dependencies, followed through every resource: a stage waits for an IAM role's propagation
delay, which waits for the integration), restricted to the Snowflake objects. The 10 orders:
the declaration order, the reverse one (always the ready resource declared last, so independent
branches run backwards), and 8 seeded random ones. Each runs on a fresh account, so an object
created before something it names fails there, whichever order exposes it. The declaration
order's account is then loaded with generated logs, and both tasks and the alert run in it.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pulumi
import pytest
from conftest import Deployment, Registered, run_program
from rehearsal import (
    REGISTERED,
    RehearsalError,
    object_name,
    pipeline,
    rehearse,
    target_table,
)
from support import PIPE, SCHEMA, TABLE, VIEW

from detect import generate

# The config that declares every kind of object, the alert and its integrations included.
ALERTS = {"alertEmails": "secops@example.com", "alertSns": "true"}
SNOWFLAKE = "snowflake:index/"

Pick = Callable[[list[Registered]], Registered]


def picks() -> dict[str, Pick]:
    """How each order chooses among the ready resources, given in declaration order. Made anew
    for each graph: a random pick consumes its generator."""

    def random_pick(seed: int) -> Pick:
        rng = random.Random(seed)
        # By URN: a seed gives the same order whatever order the mocks registered in.
        return lambda ready: rng.choice(sorted(ready, key=lambda r: r.urn))

    return {
        "reverse": lambda ready: ready[-1],
        "declared": lambda ready: ready[0],
        **{f"random-{seed}": random_pick(seed) for seed in range(8)},
    }


ORDERS = list(picks())


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    yield run_program(ALERTS)
    pulumi.runtime.set_all_config({})


def waits_for(deployment: Deployment) -> dict[str, set[str]]:
    """Snowflake resource URN -> the Snowflake resources it waits for, directly or through any
    other resource."""
    direct = {r.urn: r.dependencies for r in deployment.resources}
    reached: dict[str, set[str]] = {}

    def reach(urn: str) -> set[str]:
        if urn not in reached:
            reached[urn] = set()
            for dependency in direct.get(urn, []):
                reached[urn] |= {dependency} | reach(dependency)
        return reached[urn]

    snowflake = {r.urn for r in deployment.resources if r.type.startswith(SNOWFLAKE)}
    return {urn: reach(urn) & snowflake for urn in snowflake}


def topological(deployment: Deployment, pick: Pick) -> list[Registered]:
    """Kahn's algorithm over the Snowflake resources: `pick` chooses among the ready ones,
    given in declaration order."""
    graph = waits_for(deployment)
    pending = [r for r in deployment.resources if r.urn in graph]
    created: set[str] = set()
    order = []
    while pending:
        ready = [r for r in pending if graph[r.urn] <= created]
        assert ready, f"a dependency cycle among {[r.name for r in pending]}"
        chosen = pick(ready)
        order.append(chosen)
        created.add(chosen.urn)
        pending.remove(chosen)
    return order


def legal_orders(deployment: Deployment) -> dict[str, list[Registered]]:
    return {label: topological(deployment, pick) for label, pick in picks().items()}


@pytest.fixture(scope="module")
def orders(deployment: Deployment) -> dict[str, list[Registered]]:
    return legal_orders(deployment)


def failure(deployment: Deployment) -> str | None:
    """The first failure of the legal orders of `deployment`, or None."""
    for label, order in legal_orders(deployment).items():
        try:
            rehearse(order, label)
        except RehearsalError as error:
            return str(error)
    return None


def test_the_orders_are_distinct_and_legal(
    deployment: Deployment, orders: dict[str, list[Registered]]
) -> None:
    graph = waits_for(deployment)
    assert len({tuple(r.urn for r in order) for order in orders.values()}) == len(ORDERS)
    for order in orders.values():
        assert sorted(r.urn for r in order) == sorted(graph)
        position = {r.urn: i for i, r in enumerate(order)}
        assert all(position[d] < position[urn] for urn in graph for d in graph[urn])


# The declaration order is rehearsed by the test that then runs the objects it created.
@pytest.mark.parametrize("label", [label for label in ORDERS if label != "declared"])
def test_every_legal_order_deploys(orders: dict[str, list[Registered]], label: str) -> None:
    """A failed step raises RehearsalError; a full run holds every object fakesnow cannot."""
    account = rehearse(orders[label], label)
    kept = {object_name(r) for r in orders[label] if r.type in REGISTERED}
    assert kept and account.registry == kept


# --- The rehearsed objects at work --------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, generate.Summary]:
    """A stage's worth of log files: small ones, since fakesnow's FLATTEN is super-linear in the
    number of events in a file."""
    stage = tmp_path_factory.mktemp("stage")
    return stage, generate.write(stage, events=200, events_per_file=40, seed=11)


def test_the_declaration_order_deploys_and_runs_generated_logs(
    deployment: Deployment,
    orders: dict[str, list[Registered]],
    generated: tuple[Path, generate.Summary],
) -> None:
    stage, summary = generated
    account = rehearse(orders["declared"], "declared")
    started = datetime.now(UTC)

    # Snowpipe: every log file, one row each; the PATTERN leaves the digest files out.
    assert account.load_files(deployment.one(PIPE), stage, loaded_at=started) == summary.files
    for task in pipeline(deployment.resources):
        assert account.run_task(task), f"{task.name} found no data in its stream"

    delivered = [
        record["eventID"]
        for path in stage.rglob("*_CloudTrail_*.json.gz")
        for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]
    ]
    # The generator delivers one event twice: loaded twice, landed once.
    assert len(delivered) == summary.events == len(set(delivered)) + 1
    events_table = deployment.outputs["eventsTable"][0]
    landed = [event_id for (event_id,) in account.execute(f"SELECT eventID FROM {events_table}")]
    assert sorted(landed) == sorted(set(delivered))

    # Exactly the planted events are found, each by the detection it was planted for, each pair
    # once. Some fit another detection too: planted events made by the root user, or denied.
    findings_table = deployment.outputs["findingsTable"][0]
    found = account.execute(f"SELECT detection, severity, eventID FROM {findings_table}")
    assert {event_id for _, _, event_id in found} <= summary.scenario_events
    assert summary.missed({(d, event_id) for d, _, event_id in found}) == []
    assert len({(d, event_id) for d, _, event_id in found}) == len(found)

    # The alert's action hands on, from the stream, the findings that raise an alert: a
    # threshold detection's burst is deduplicated, so fewer than were found.
    alert = deployment.named("alerts-alert")
    alerted = account.execute(
        f"SELECT detection, severity, eventID FROM {findings_table} "
        "WHERE duplicate_of IS NULL AND suppressed_by IS NULL"
    )
    assert len(alerted) < len(found)
    assert account.notify(alert, "batch-1") == len(alerted)
    notified_table = deployment.outputs["notifiedTable"][0]
    notified = account.execute(
        f"SELECT batch_id, detection, severity, eventID FROM {notified_table}"
    )
    assert sorted(row[1:] for row in notified) == sorted(alerted)
    assert {row[0] for row in notified} == {"batch-1"}


# --- The rehearsal fails when it should ---------------------------------------------------------


def test_an_object_created_before_its_schema_fails(deployment: Deployment) -> None:
    mutilated = copy.deepcopy(deployment)
    events = table_named(mutilated, deployment.outputs["eventsTable"][0])
    schema = mutilated.one(SCHEMA)
    events.dependencies.remove(schema.urn)
    assert not mutilated.depends_on(events, schema)

    message = failure(mutilated)
    assert message is not None, "every legal order of the mutilated graph deployed"
    assert re.search(
        rf"step \d+/\d+: {events.name} \(.*Schema with name {schema.inputs['name']} does not exist",
        message,
    ), message


def test_a_view_naming_a_missing_column_fails(deployment: Deployment) -> None:
    broken = copy.deepcopy(deployment)
    view = table_named(broken, deployment.outputs["view"][0])
    view.inputs["statement"] = f"SELECT NO_SUCH_COLUMN, * FROM ({view.inputs['statement']})"
    with pytest.raises(
        RehearsalError,
        match=rf"declared, step \d+/\d+: {view.name} \(.*column \"NO_SUCH_COLUMN\" not found",
    ):
        rehearse(topological(broken, lambda ready: ready[0]), "declared")


def test_a_task_naming_a_table_never_created_fails(deployment: Deployment) -> None:
    broken = copy.deepcopy(deployment)
    (task, *_) = pipeline(broken.resources)
    target = target_table(task.inputs["sqlStatement"])
    never = target.rsplit(".", 1)[0] + ".NEVER_CREATED"
    task.inputs["sqlStatement"] = re.sub(
        rf"\b{re.escape(target)}\b", never, task.inputs["sqlStatement"], flags=re.I
    )
    with pytest.raises(
        RehearsalError,
        match=rf"declared, step \d+/\d+: {task.name} \(.*NEVER_CREATED does not exist",
    ):
        rehearse(topological(broken, lambda ready: ready[0]), "declared")


def table_named(deployment: Deployment, qualified: str) -> Registered:
    """The table or view the stack declares under this fully qualified name."""
    (found,) = (
        r
        for r in deployment.resources
        if r.type in (TABLE, VIEW) and object_name(r) == qualified.upper()
    )
    return found
