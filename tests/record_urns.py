"""Records the URNs the program declares under each of `conftest.CONFIGS`, as the engine forms
them, to a JSON file:

    PYTHONPATH=.:tests venv/bin/python tests/record_urns.py tests/data/urns-<change>.json "<commit>"

Recorded before a change that renames or re-parents resources, the file is what test_urns.py
holds the program to from then on: every URN an existing stack holds is still declared, or is
an alias of exactly one declared resource, so `pulumi up` updates it in place.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pulumi
from conftest import CONFIGS, run_program


def main(path: str, commit: str) -> None:
    recorded = {}
    for name, config in CONFIGS.items():
        recorded[name] = sorted(r.urn for r in run_program(config).resources)
        pulumi.runtime.set_all_config({})
    document = {
        "produced_by": f"tests/record_urns.py at {commit}",
        "configs": recorded,
    }
    Path(path).write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
