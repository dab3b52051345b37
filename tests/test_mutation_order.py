"""The order conftest gives a mutant's tests under `make mutation`: cheapest file first, quickest
test first in a file, each file's tests together; untouched otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import pytest_collection_modifyitems

DURATIONS = {
    "tests/test_rehearsal.py::test_deploys": 9.0,
    "tests/test_config.py::test_slow": 0.5,
    "tests/test_config.py::test_quick": 0.01,
    "tests/test_stack.py::test_one": 0.2,
    "tests/test_stack.py::test_two": 0.4,
}


def items() -> list[Any]:
    return [
        SimpleNamespace(nodeid=nodeid, path=Path(nodeid.split("::")[0])) for nodeid in DURATIONS
    ]


def ordered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mutant: str) -> list[str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MUTANT_UNDER_TEST", mutant)
    collected = items()
    pytest_collection_modifyitems(collected)
    return [item.nodeid for item in collected]


def test_a_mutants_tests_run_cheapest_file_and_quickest_test_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "mutmut-stats.json").write_text(json.dumps({"duration_by_test": DURATIONS}))
    assert ordered(monkeypatch, tmp_path, "lib.config.x_parse_config__mutmut_1") == [
        "tests/test_config.py::test_quick",
        "tests/test_config.py::test_slow",
        "tests/test_stack.py::test_one",
        "tests/test_stack.py::test_two",
        "tests/test_rehearsal.py::test_deploys",
    ]


@pytest.mark.parametrize(
    ("mutant", "measured"),
    [("", True), ("stats", True), ("lib.config.x_parse_config__mutmut_1", False)],
    ids=["clean-run", "stats-run", "no-durations"],
)
def test_the_order_is_left_alone_outside_a_mutants_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mutant: str, measured: bool
) -> None:
    if measured:
        (tmp_path / "mutmut-stats.json").write_text(json.dumps({"duration_by_test": DURATIONS}))
    assert ordered(monkeypatch, tmp_path, mutant) == list(DURATIONS)
