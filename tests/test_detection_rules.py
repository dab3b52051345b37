"""The rules a detection file must follow, enforced as the pack loads: a broken file is refused
with its name, the field and what is wrong, by the loader and by `python -m detect`."""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from detect import cli
from detect.engine import VIEW, Engine
from lib import detections
from lib.detections import DETECTIONS_DIR, DetectionError, catalogue, load_detections, load_pack

SOURCE = DETECTIONS_DIR / "cis_root_usage"
DELETE = object()


def write_detection(folder: Path, name: str = "cis_root_usage", **changes: Any) -> Path:
    """cis_root_usage, as `name` in `folder`, with the metadata fields in `changes` replaced
    (DELETE removes one); returns the .yml."""
    meta = yaml.safe_load(SOURCE.with_suffix(".yml").read_text())
    meta["id"] = name
    for key, value in changes.items():
        if value is DELETE:
            del meta[key]
        else:
            meta[key] = value
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(meta, sort_keys=False))
    shutil.copy(SOURCE.with_suffix(".sql"), path.with_suffix(".sql"))
    return path


TESTS = yaml.safe_load(SOURCE.with_suffix(".yml").read_text())["tests"]
POSITIVES = [case for case in TESTS if case["match"]]
NEGATIVES = [case for case in TESTS if not case["match"]]
# The first test event without the field every CloudTrail event carries.
UNREALISTIC = [
    {**TESTS[0], "event": {k: v for k, v in TESTS[0]["event"].items() if k != "eventVersion"}},
    *TESTS[1:],
]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"severity": "hihg"}, r"severity: 'hihg' is not one of \['informational', 'low'"),
        ({"status": "beta"}, r"status: 'beta' is not one of"),
        ({"version": "2"}, r"version: '2' is not of type 'integer'"),
        ({"updated": "2026-13-40"}, r"updated: '2026-13-40' is not a 'date'"),
        ({"references": ["docs.example.com"]}, r"references\[0\]: 'docs.example.com' does not"),
        ({"colour": "red"}, r"Additional properties are not allowed \('colour' was unexpected\)"),
        ({"triage": DELETE}, r"'triage' is a required property"),
        ({"cis": DELETE}, r"'cis' is a dependency of 'cloudwatch_filter'"),
        ({"cis": {"v1.4-v5.0": "5.3"}}, r"cis: 'v6.0\+' is a required property"),
        (
            {"mitre_attack": [{"technique": "T1999", "name": "Made Up", "tactic": "Impact"}]},
            r"mitre_attack\[0\]\.technique: 'T1999' is not an ATT&CK Enterprise technique",
        ),
        (
            {
                "mitre_attack": [
                    {"technique": "T1078.004", "name": "Cloud Accounts", "tactic": "Persistence"}
                ]
            },
            r"mitre_attack\[0\]\.name: T1078\.004 is 'Valid Accounts: Cloud Accounts', not "
            r"'Cloud Accounts'",
        ),
        (
            {
                "mitre_attack": [
                    {"technique": "T1580", "name": "Cloud Infrastructure Discovery", "tactic": "x"}
                ]
            },
            r"mitre_attack\[0\]\.tactic: 'x' is not a tactic of T1580 \(one of \['Discovery'\]\)",
        ),
        ({"id": "cis_root_use"}, r"id: 'cis_root_use' must be the file's name, 'cis_root_usage'"),
        ({"pack": "threat"}, r"id: 'cis_root_usage' must start with its pack, threat_"),
        ({"pack": "aws"}, r"pack: 'aws' is not one of \['cis', 'threat'\]"),
        ({"tests": POSITIVES}, r"tests: needs at least 2 test cases with match: false"),
        (
            {"tests": [*POSITIVES[:1], *NEGATIVES]},
            r"tests: needs at least 2 test cases with match: true",
        ),
        ({"tests": UNREALISTIC}, r"tests\[0\]\.event: 'eventVersion' is a required property"),
    ],
    ids=[
        "severity",
        "status",
        "version",
        "updated",
        "reference",
        "unknown-key",
        "missing-field",
        "filter-without-cis",
        "cis-incomplete",
        "unknown-technique",
        "technique-name",
        "technique-tactic",
        "id-not-file-name",
        "id-not-of-its-pack",
        "unknown-pack",
        "no-negative-event",
        "one-positive-event",
        "unrealistic-event",
    ],
)
def test_a_broken_detection_is_refused_with_its_file_and_field(
    tmp_path: Path, changes: dict[str, Any], problem: str
) -> None:
    path = write_detection(tmp_path, **changes)
    with pytest.raises(DetectionError, match=f"^{re.escape(str(path))}: {problem}"):
        load_detections(tmp_path)


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = write_detection(tmp_path)
    path.write_text("id: [unclosed\n")
    with pytest.raises(DetectionError, match=f"^{re.escape(str(path))}: not valid YAML: "):
        load_detections(tmp_path)


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        # Inside the framework's WHERE (...), this would match every event.
        ("eventName = 'a') OR (1 = 1", "Invalid expression / Unexpected token"),
        ("eventName IN ('a', 'b'", r"Expecting \)"),
        ("-- only a comment\n", "No expression was parsed"),
        ("SELECT * FROM cloudtrail WHERE eventName = 'a'", "it is a SELECT"),
        ("eventName = 'a'; DROP TABLE findings", "it is a BLOCK"),
    ],
    ids=["escapes-its-parentheses", "unbalanced", "empty", "a-select", "two-statements"],
)
def test_a_logic_that_is_not_one_condition_is_refused(
    tmp_path: Path, condition: str, problem: str
) -> None:
    logic = write_detection(tmp_path).with_suffix(".sql")
    logic.write_text(condition)
    with pytest.raises(
        DetectionError, match=f"^{re.escape(str(logic))}: not one SQL condition: .*{problem}"
    ):
        load_detections(tmp_path)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = write_detection(tmp_path)
    path.write_bytes(b"id: cis_root_usage\ntitle: \xff\n")
    with pytest.raises(DetectionError, match=f"^{re.escape(str(path))}: cannot be read: .*utf-8"):
        load_detections(tmp_path)


def test_a_logic_without_its_metadata_is_refused(tmp_path: Path) -> None:
    write_detection(tmp_path)
    (tmp_path / "cis_orphan.sql").write_text("eventName = 'a'")
    with pytest.raises(DetectionError, match=r"cis_orphan\.sql: a detection's logic without its"):
        load_detections(tmp_path)


def test_a_detection_without_its_sql_is_refused(tmp_path: Path) -> None:
    path = write_detection(tmp_path)
    path.with_suffix(".sql").unlink()
    with pytest.raises(DetectionError, match=r"cis_root_usage\.sql, is missing"):
        load_detections(tmp_path)


def test_a_detection_needs_no_cis_control(tmp_path: Path) -> None:
    """Threat detections map to ATT&CK only; their view comment still says what they are."""
    write_detection(
        tmp_path, "threat_root_activity", pack="threat", cis=DELETE, cloudwatch_filter=DELETE
    )
    (detection,) = load_detections(tmp_path)
    assert detection.cis is None and detection.cis_control is None
    assert detection.summary == "Usage of the root user (high, stable)"


def test_detections_are_ordered_by_id_not_by_cis_control(tmp_path: Path) -> None:
    write_detection(tmp_path, "cis_b", cis={**_cis(), "v1.4-v5.0": "4.1"})
    write_detection(tmp_path, "threat_a", pack="threat", cis=DELETE, cloudwatch_filter=DELETE)
    write_detection(tmp_path, "cis_a", cis={**_cis(), "v1.4-v5.0": "4.9"})
    assert [d.id for d in load_detections(tmp_path)] == ["cis_a", "cis_b", "threat_a"]


def _cis() -> dict[str, Any]:
    cis: dict[str, Any] = yaml.safe_load(SOURCE.with_suffix(".yml").read_text())["cis"]
    return cis


# --- Deprecated detections ------------------------------------------------------------------


def test_deprecated_detections_are_loaded_apart(tmp_path: Path) -> None:
    write_detection(tmp_path, "cis_new")
    write_detection(tmp_path / "deprecated", "cis_old", status="deprecated")
    pack = load_pack(tmp_path)
    assert [d.id for d in pack.active] == ["cis_new"]
    assert [(d.id, d.status) for d in pack.deprecated] == [("cis_old", "deprecated")]
    assert [d.id for d in load_detections(tmp_path)] == ["cis_new"]


def test_a_deprecated_detection_is_checked_like_the_others(tmp_path: Path) -> None:
    path = write_detection(tmp_path / "deprecated", status="deprecated", severity="hihg")
    with pytest.raises(DetectionError, match=f"^{re.escape(str(path))}: severity"):
        load_pack(tmp_path)


@pytest.mark.parametrize(
    ("folder", "status"), [("deprecated", "stable"), ("", "deprecated")], ids=["in", "outside"]
)
def test_deprecated_exactly_in_the_deprecated_folder(
    tmp_path: Path, folder: str, status: str
) -> None:
    path = write_detection(tmp_path / folder, status=status)
    with pytest.raises(DetectionError, match=f"^{re.escape(str(path))}: status: '{status}'"):
        load_pack(tmp_path)


def test_the_id_of_a_deprecated_detection_stays_taken(tmp_path: Path) -> None:
    write_detection(tmp_path / "deprecated", status="deprecated")
    write_detection(tmp_path)
    with pytest.raises(DetectionError, match=r"\['cis_root_usage'\] reuse the id of a deprecated"):
        load_pack(tmp_path)


# --- The framework around the logic ---------------------------------------------------------


def test_an_or_in_a_condition_cannot_escape_it(tmp_path: Path) -> None:
    """The rendered SELECT may be narrowed further (AND ...): the whole condition stays one
    operand, or `a OR b AND x` would keep every `a`."""
    (detection,) = [d for d in load_detections() if d.id == "cis_unauthorized_api_calls"]
    assert re.search(r"\bOR\b", detection.condition)
    engine = Engine([detection])
    log = tmp_path / "a.json.gz"
    with gzip.open(log, "wt") as out:
        json.dump({"Records": [case.event for case in detection.tests]}, out)
    assert engine.load([str(log)]) == []
    engine.land()
    assert engine.query(detection.render(VIEW))[1]
    assert engine.query(f"{detection.render(VIEW)} AND FALSE")[1] == []


def test_the_runner_reports_a_broken_pack_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_detection(tmp_path, severity="hihg")
    monkeypatch.setattr(cli, "load_detections", lambda: load_detections(tmp_path))
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["list"], out, err) == cli.EXIT_UNFINISHED
    assert out.getvalue() == ""
    (line,) = err.getvalue().splitlines()
    assert line.startswith(f"detect: invalid detection pack: {path}: severity: 'hihg'")


# --- The catalogue and the pack's command -----------------------------------------------------


def test_the_catalogue_lists_the_deprecated_when_none_is_active(tmp_path: Path) -> None:
    write_detection(tmp_path / "deprecated", "cis_old", status="deprecated")
    text = catalogue(load_pack(tmp_path))
    assert "## Active (0)\n\nNone.\n\n## Deprecated (1)" in text
    assert "| `cis_old` |" in text


def test_a_pipe_in_a_title_stays_in_its_cell(tmp_path: Path) -> None:
    write_detection(tmp_path, title="Root | break-glass use")
    lines = catalogue(load_pack(tmp_path)).splitlines()
    header = next(line for line in lines if line.startswith("| id"))
    (row,) = [line for line in lines if line.startswith("| `cis_root_usage`")]
    assert "| Root \\| break-glass use |" in row
    assert len(re.findall(r"(?<!\\)\|", row)) == header.count("|")


def test_python_m_lib_detections(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert detections.main([]) == 0
    assert capsys.readouterr() == ("", "")
    assert detections.main(["--catalogue"]) == 0
    assert capsys.readouterr() == (catalogue(load_pack()), "")
    path = write_detection(tmp_path, severity="hihg")
    monkeypatch.setattr(detections, "load_pack", lambda: load_pack(tmp_path))
    assert detections.main(["--catalogue"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: {path}: severity: 'hihg'")


def test_python_m_lib_detections_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        detections.main(["--help"])
    assert ended.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert shown.startswith("usage: python -m lib.detections [-h] [--catalogue] ")
    assert " Check the detection pack. " in shown
    assert " --catalogue print docs/detection-catalogue.md" in shown


def test_attack_names_a_sub_technique_after_its_parent() -> None:
    attack = detections._attack()
    tactics = ["Defense Evasion", "Persistence", "Privilege Escalation", "Initial Access"]
    assert attack["T1078"] == ("Valid Accounts", tactics)
    assert attack["T1078.004"] == ("Valid Accounts: Cloud Accounts", tactics)
    assert attack["T1530"] == ("Data from Cloud Storage", ["Collection"])
    assert len(attack) == 665
    assert not any(technique.startswith("#") for technique in attack)


@pytest.mark.parametrize(
    ("path", "text"),
    [([], ""), (["tests", 0, "event"], "tests[0].event"), (["X-ray", 2], "X-ray[2]"), ([3], "[3]")],
)
def test_a_field_is_named_as_written(path: list[Any], text: str) -> None:
    assert detections.field(path) == text


@pytest.mark.parametrize(("length", "short"), [(80, False), (81, True)])
def test_a_long_value_of_the_wrong_type_is_named_not_repeated(length: int, short: bool) -> None:
    value = "x" * (length - 2)  # its repr adds the quotes
    (error,) = jsonschema.Draft202012Validator({"type": "object"}).iter_errors(value)
    problem = detections._problem(error)
    assert (problem == "must be of JSON type 'object', not a str") is short
    assert (repr(value) in problem) is not short
