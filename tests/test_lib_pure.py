"""lib/ holds pure functions of plain values: no resource, provider or config reader. Every lib
module must import, and so be usable and testable, without any Pulumi package."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

# Refuses every Pulumi package (pulumi, pulumi_aws, pulumi_snowflake, pulumiverse_time, ...).
BLOCK_PULUMI = """
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0].startswith("pulumi"):
            raise ImportError(f"lib imported {name}")
sys.meta_path.insert(0, Blocked())
"""


def test_every_lib_module_imports_without_pulumi() -> None:
    modules = sorted(f"lib.{p.stem}" for p in (ROOT / "lib").glob("*.py"))
    assert "lib.config" in modules
    program = BLOCK_PULUMI + "".join(f"import {module}\n" for module in modules)
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_guard_refuses_pulumi() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_PULUMI + "import pulumi_snowflake\n"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "ImportError: lib imported pulumi_snowflake" in result.stderr
