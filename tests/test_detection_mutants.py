"""Mutation testing of the detection pack by its own test events: every alternative a condition
lists, and every exclusion it makes, must decide at least one of its detection's test events.

A condition's mutants (`mutants`) each leave one thing out:
- a value of an IN list (the IN of a single value becomes FALSE), or a pattern of a LIKE/ILIKE
  ANY list: a misspelled event name is such a value, which no real event ever meets (under a
  NOT, as in NOT IN, leaving a value out lets events through: a negative event kills it);
- a branch of an OR (a LIKE among branches is one of them), replaced by FALSE;
- an exclusion that is one of the conjuncts of an AND (NOT ..., NOT IN, NOT LIKE, IS NOT NULL,
  <> or !=, IS DISTINCT FROM, and IS NULL: CloudWatch's `NOT EXISTS`), replaced by TRUE.
Each mutant is evaluated on every test event of its detection (for a threshold detection, every
event of every case, one at a time: the condition only), and must meet a different set of them
than the condition does. One that meets the same set survives: the test events never needed
what it left out, so a typo there, or its removal, would pass every other test. The fix is a test
event: a positive one that only the left-out alternative lets through, or a negative one that
only the dropped exclusion keeps out. The few survivors no realistic event can kill are listed,
each with its reason, in ACCEPTED.

All test events are landed once in one embedded engine, and each detection's condition and
mutants are evaluated in one query over the `cloudtrail` view, so fakesnow's Snowflake semantics
decide, as they do in tests/test_detections.py.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import sqlglot
from sqlglot import exp
from support import log_file

from detect.engine import VIEW, Engine
from lib.detections import Detection, load_pack

PACK = load_pack()
# Deprecated detections still run their test events (tests/test_detections.py): theirs too.
TESTED = PACK.active + PACK.deprecated
BY_ID = {d.id: d for d in TESTED}


@dataclass(frozen=True)
class Mutant:
    removed: str
    """What the mutant leaves out, in words and SQL."""
    narrower: bool
    """True when leaving it out can only lose events (an alternative): a positive test event
    kills the mutant. False when it can only gain events (an exclusion): a negative one does."""
    condition: str


def _sql(node: exp.Expr) -> str:
    return node.sql(dialect="snowflake", comments=False)


def _negated(node: exp.Expr) -> bool:
    """Whether `node` lies under an odd number of NOTs: then removing an alternative in it
    widens the condition, and dropping an exclusion narrows it."""
    count, parent = 0, node.parent
    while parent is not None:
        count += isinstance(parent, exp.Not)
        parent = parent.parent
    return count % 2 == 1


def _operands(node: exp.Expr, kind: type[exp.Connector]) -> list[exp.Expr]:
    """The operands of the chain of `kind` (AND or OR) that `node` heads, through parentheses:
    `a OR (b OR c)` has three."""
    inner = node.unnest()
    if not isinstance(inner, kind):
        return [inner]
    return [*_operands(inner.this, kind), *_operands(inner.expression, kind)]


def _heads_chain(node: exp.Expr) -> bool:
    """Whether `node`, an AND or OR, is not itself an operand of a chain of its kind."""
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    return type(parent) is not type(node)


def _is_exclusion(node: exp.Expr) -> bool:
    """A conjunct that keeps events out: a negation, an inequality, or a field's absence."""
    return isinstance(node, exp.Not | exp.NEQ | exp.NullSafeNEQ) or (
        isinstance(node, exp.Is) and isinstance(node.expression, exp.Null)
    )


def _listed(node: exp.Expr) -> list[exp.Expr] | None:
    """The patterns of a LIKE/ILIKE ANY (...), or None for another node."""
    if not isinstance(node, exp.Like | exp.ILike) or not isinstance(node.expression, exp.Any):
        return None
    values = node.expression.this
    return list(values.expressions) if isinstance(values, exp.Tuple) else [values.unnest()]


def _without_value(node: exp.Expr, index: int) -> exp.Expr:
    """`node` (an IN or a LIKE/ILIKE ANY) without its `index`th value; FALSE without any."""
    if isinstance(node, exp.In):
        values = [v.copy() for i, v in enumerate(node.expressions) if i != index]
        if not values:
            return exp.false()
        smaller = node.copy()
        smaller.set("expressions", values)
        return smaller
    patterns = [p.copy() for i, p in enumerate(_listed(node) or []) if i != index]
    if not patterns:
        return exp.false()
    listed = exp.Tuple(expressions=patterns) if len(patterns) > 1 else exp.Paren(this=patterns[0])
    fewer = node.copy()
    fewer.set("expression", exp.Any(this=listed))
    return fewer


def mutants(condition: str) -> list[Mutant]:
    """Every mutant of `condition` (Snowflake SQL), in the order its parts appear."""
    tree = sqlglot.parse_one(condition, read="snowflake")
    # Depth first: the order the parts are written in.
    nodes = list(tree.walk(bfs=False))
    position = {id(node): i for i, node in enumerate(nodes)}

    def mutated(node: exp.Expr, edit: Callable[[exp.Expr], exp.Expr]) -> str:
        """The condition with `node` replaced by `edit` of its copy: on a copy of the tree,
        found by its position in the walk, so the tree itself is never changed."""
        copy = tree.copy()
        target = list(copy.walk(bfs=False))[position[id(node)]]
        replacement = edit(target)
        if target is copy:
            return _sql(replacement)
        target.replace(replacement)
        return _sql(copy)

    # Each mutant under the position of what it leaves out (and the value's), to list them in
    # the order the parts are written in.
    found: dict[tuple[int, int], Mutant] = {}
    for node in nodes:
        negated = _negated(node)
        values = node.expressions if isinstance(node, exp.In) else _listed(node)
        if values and not node.args.get("query"):
            kind = "IN list" if isinstance(node, exp.In) else "pattern list"
            for i, value in enumerate(values):
                found[position[id(node)], i] = Mutant(
                    f"the value {_sql(value)} of the {kind} `{_sql(node)}`",
                    not negated,
                    mutated(node, functools.partial(_without_value, index=i)),
                )
        elif isinstance(node, exp.Or) and _heads_chain(node):
            for branch in _operands(node, exp.Or):
                found[position[id(branch)], -1] = Mutant(
                    f"the OR branch `{_sql(branch)}`",
                    not negated,
                    mutated(branch, lambda _: exp.false()),
                )
        elif isinstance(node, exp.And) and _heads_chain(node):
            for conjunct in _operands(node, exp.And):
                if _is_exclusion(conjunct):
                    found[position[id(conjunct)], -1] = Mutant(
                        f"the exclusion `{_sql(conjunct)}`",
                        negated,
                        mutated(conjunct, lambda _: exp.true()),
                    )
    return [found[key] for key in sorted(found)]


def events_of(detection: Detection) -> list[str]:
    """The eventIDs of every test event of `detection` (every event of every case)."""
    return [event["eventID"] for case in detection.tests for event in case.events]


def meeting(engine: Engine, detection: Detection, conditions: list[str]) -> list[set[str]]:
    """For each of `conditions`, the test events of `detection` that meet it: all in one query
    over the `cloudtrail` view. Each condition on lines of its own, in parentheses, as
    Detection.render puts it."""
    ids = events_of(detection)
    quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in ids)
    columns = "".join(
        f",\nCASE WHEN (\n{condition}\n) THEN 1 ELSE 0 END AS m{n}"
        for n, condition in enumerate(conditions)
    )
    _, rows = engine.query(f"SELECT eventID{columns}\nFROM {VIEW}\nWHERE eventID IN ({quoted})")
    assert sorted(row[0] for row in rows) == sorted(ids), "a test event did not land"
    return [{row[0] for row in rows if row[n + 1]} for n in range(len(conditions))]


def survivors(engine: Engine, detection: Detection) -> list[Mutant]:
    """The mutants of `detection` that meet the same test events as its condition."""
    found = mutants(detection.condition)
    original, rendered, *outcomes = meeting(
        engine,
        detection,
        [
            detection.condition,
            _sql(sqlglot.parse_one(detection.condition, read="snowflake")),
            *(m.condition for m in found),
        ],
    )
    # The mutants are sqlglot's rendering of the condition: it must mean what the file says.
    assert rendered == original, f"{detection.id}: sqlglot's rendering changes what it meets"
    return [m for m, outcome in zip(found, outcomes, strict=True) if outcome == original]


def needed(detection: Detection, mutant: Mutant) -> str:
    """The failure line of a survivor: the detection, what was left out, the event to add."""
    event = (
        "a positive test event (match: true) that only it lets through"
        if mutant.narrower
        else "a negative test event (match: false) that meets the rest of the condition and "
        "that only it keeps out"
    )
    return f"{detection.id}: nothing changes without {mutant.removed}: add {event}"


# Survivors that no realistic test event can kill, each with the reason it is kept in the
# condition all the same. Each must still survive (test_every_accepted_survivor_survives): once
# an event kills it, or the condition changes, it leaves this list.
NULL_GUARD = (
    "equivalent: the NOT LIKEs beside it are NULL, never TRUE, on a missing value; the guard "
    "only says which form of the call the branch reads"
)
NO_USERNAME = (
    "only an event without userIdentity.type needs it (every other type but IAMUser meets the "
    "branch before it, and an IAMUser always has its userName): a NULL guard for an identity "
    "CloudTrail does not write for an IAM call"
)
ACCEPTED: dict[tuple[str, str], str] = {
    (
        "threat_cloudtrail_management_events_excluded",
        "the exclusion `NOT CAST(GET_PATH(requestParameters, 'eventSelectors') AS VARCHAR) IS "
        "NULL`",
    ): NULL_GUARD,
    (
        "threat_cloudtrail_management_events_excluded",
        "the exclusion `NOT CAST(GET_PATH(requestParameters, 'advancedEventSelectors') AS "
        "VARCHAR) IS NULL`",
    ): NULL_GUARD,
    (
        "threat_ec2_launch_unusual_instances",
        "the OR branch `CAST(GET_PATH(requestParameters, 'instanceType') AS VARCHAR) LIKE 'dl%'`",
    ): (
        "every DL type EC2 offers (dl1.24xlarge, dl2q.24xlarge) is a 24xlarge as well; the "
        "family is listed for the sizes to come"
    ),
    **{
        (detection, "the OR branch `GET_PATH(userIdentity, 'userName') IS NULL`"): NO_USERNAME
        for detection in (
            "threat_iam_access_key_created_for_another_user",
            "threat_iam_login_profile_created_for_another_user",
            "threat_iam_login_profile_updated_for_another_user",
        )
    },
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Every test event of the pack, landed once."""
    folder = tmp_path_factory.mktemp("logs")
    files = [
        log_file(folder / f"{d.id}.json.gz", [e for case in d.tests for e in case.events])
        for d in TESTED
    ]
    landed = Engine([], accelerate=False)
    assert landed.load(files) == []
    landed.land()
    yield landed


def by_id(detection: Detection) -> str:
    return detection.id


@pytest.mark.parametrize("detection", TESTED, ids=by_id)
def test_every_alternative_and_exclusion_decides_a_test_event(
    detection: Detection, engine: Engine
) -> None:
    missing = [
        needed(detection, m)
        for m in survivors(engine, detection)
        if (detection.id, m.removed) not in ACCEPTED
    ]
    assert not missing, "\n".join(
        [f"{len(missing)} of {len(mutants(detection.condition))} mutants survive:", *missing]
    )


def test_every_accepted_survivor_survives(engine: Engine) -> None:
    for detection in sorted({detection for detection, _ in ACCEPTED}):
        assert detection in BY_ID, f"ACCEPTED names {detection}, which is not in the pack"
        left = {m.removed for m in survivors(engine, BY_ID[detection])}
        for (named, removed), reason in ACCEPTED.items():
            assert named != detection or removed in left, (
                f"{detection}: {removed} is killed now, or no longer a mutant; remove it from "
                f"ACCEPTED ({reason})"
            )


# --- The checker fails a detection whose test events miss a part ------------------------------


def test_the_mutants_of_a_condition() -> None:
    condition = (
        "eventName IN ('A', 'B') AND (x:y::string LIKE 'p%' OR errorCode LIKE ANY ('c%', 'd%'))"
        " AND NOT (eventType = 'E' AND z IN ('Z')) AND w <> 'W' AND v IS NULL AND u = 'U'"
    )
    assert [(m.removed, m.narrower) for m in mutants(condition)] == [
        ("the value 'A' of the IN list `eventName IN ('A', 'B')`", True),
        ("the value 'B' of the IN list `eventName IN ('A', 'B')`", True),
        ("the OR branch `CAST(GET_PATH(x, 'y') AS VARCHAR) LIKE 'p%'`", True),
        ("the OR branch `errorCode LIKE ANY ('c%', 'd%')`", True),
        ("the value 'c%' of the pattern list `errorCode LIKE ANY ('c%', 'd%')`", True),
        ("the value 'd%' of the pattern list `errorCode LIKE ANY ('c%', 'd%')`", True),
        ("the exclusion `NOT (eventType = 'E' AND z IN ('Z'))`", False),
        # Under the NOT: leaving out a value lets more events through.
        ("the value 'Z' of the IN list `z IN ('Z')`", False),
        ("the exclusion `w <> 'W'`", False),
        ("the exclusion `v IS NULL`", False),
    ]
    by_removed = {m.removed: m.condition for m in mutants(condition)}
    assert by_removed["the value 'Z' of the IN list `z IN ('Z')`"].endswith(
        "AND NOT (eventType = 'E' AND FALSE) AND w <> 'W' AND v IS NULL AND u = 'U'"
    )
    assert (
        "errorCode LIKE ANY('d%')"
        in by_removed["the value 'c%' of the pattern list `errorCode LIKE ANY ('c%', 'd%')`"]
    )
    assert by_removed["the exclusion `w <> 'W'`"].endswith("AND TRUE AND v IS NULL AND u = 'U'")


CMK = BY_ID["cis_cmk_disable_or_delete"]


def changed(detection: Detection, old: str, new: str) -> Detection:
    """`detection` with `old` replaced by `new` in its condition, and its own test events."""
    assert old in detection.condition
    return dataclasses.replace(detection, condition=detection.condition.replace(old, new))


@pytest.mark.parametrize(
    ("detection", "reported"),
    [
        (
            # A misspelled event name: no test event has it, so nothing needs it.
            changed(CMK, "'ScheduleKeyDeletion'", "'ScheduleKeyDeletion', 'SheduleKeyDeletion'"),
            "the value 'SheduleKeyDeletion' of the IN list `eventName IN ('DisableKey', "
            "'ScheduleKeyDeletion', 'SheduleKeyDeletion')`: add a positive test event",
        ),
        (
            changed(
                CMK,
                "eventName IN ('DisableKey', 'ScheduleKeyDeletion')",
                "(eventName IN ('DisableKey', 'ScheduleKeyDeletion') "
                "OR eventName LIKE 'DeleteImportedKeyMaterial%')",
            ),
            "the OR branch `eventName LIKE 'DeleteImportedKeyMaterial%'`: add a positive test "
            "event",
        ),
        (
            changed(
                CMK,
                "eventName IN ('DisableKey', 'ScheduleKeyDeletion')",
                "eventName IN ('DisableKey', 'ScheduleKeyDeletion') "
                "AND userIdentity:invokedBy IS NULL",
            ),
            "the exclusion `GET_PATH(userIdentity, 'invokedBy') IS NULL`: add a negative test "
            "event",
        ),
        (
            changed(
                CMK,
                "eventName IN ('DisableKey', 'ScheduleKeyDeletion')",
                "eventName IN ('DisableKey', 'ScheduleKeyDeletion') "
                "AND userAgent NOT LIKE '%terraform%'",
            ),
            "the exclusion `NOT userAgent LIKE '%terraform%'`: add a negative test event",
        ),
        (
            changed(
                CMK,
                "eventName IN ('DisableKey', 'ScheduleKeyDeletion')",
                "eventName IN ('DisableKey', 'ScheduleKeyDeletion') "
                "AND eventName LIKE ANY ('Disable%', 'Schedule%', 'Delete%')",
            ),
            "the value 'Delete%' of the pattern list `eventName LIKE ANY ('Disable%', "
            "'Schedule%', 'Delete%')`: add a positive test event",
        ),
    ],
    ids=["misspelled-in-value", "or-branch", "absence", "negated-like", "like-any-pattern"],
)
def test_a_part_no_test_event_needs_is_reported(
    detection: Detection, reported: str, engine: Engine
) -> None:
    assert survivors(engine, CMK) == [], "the unchanged detection must have no survivor"
    missing = [needed(detection, m) for m in survivors(engine, detection)]
    assert len(missing) == 1, missing
    assert missing[0].startswith(f"{CMK.id}: nothing changes without {reported}")
