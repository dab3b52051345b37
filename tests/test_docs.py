"""The documentation stays true to the code: the README stays a front door, every relative link
leads somewhere, the component table names the components that exist, and the configuration
reference is what Pulumi.yaml and lib/config.py say."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from config_doc import DOC, SNOWFLAKE_NOTES, rendered
from conftest import ROOT

from lib.config import SNOWFLAKE_CONNECTION_KEYS, SNOWFLAKE_SECRET_KEYS

README_MAX_LINES = 200
DOCS = sorted(
    [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        ROOT / "bench" / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)
# [text](target): the target up to the first space or closing parenthesis.
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")


def links(path: Path) -> list[str]:
    """The link targets of a Markdown file, leaving out code blocks and code spans."""
    text = _CODE_SPAN.sub("", _FENCE.sub("", path.read_text()))
    return _LINK.findall(text)


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    text = _FENCE.sub("", path.read_text())
    headings = re.findall(r"^#+\s+(.+?)\s*$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_readme_is_a_front_door() -> None:
    lines = (ROOT / "README.md").read_text().count("\n")
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines (at most {README_MAX_LINES}): move detail to docs/"
    )


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_files_and_headings_that_exist(doc: Path) -> None:
    assert doc.exists(), f"{doc.relative_to(ROOT)} is missing"
    broken = []
    for target in links(doc):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        destination = (doc.parent / file_part).resolve() if file_part else doc
        if not destination.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{doc.relative_to(ROOT)}: broken links: {broken}"


def test_link_check_sees_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n[ok](#title) [gone](missing.md) `[code](x.md)` [web](https://x.y)\n")
    assert links(page) == ["#title", "missing.md", "https://x.y"]
    assert anchors(page) == {"title"}


def component_classes() -> set[tuple[str, str]]:
    """(class, file) of every ComponentResource subclass defined in components/."""
    found = set()
    for path in sorted((ROOT / "components").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base) in ("pulumi.ComponentResource", "ComponentResource")
                for base in node.bases
            ):
                found.add((node.name, str(path.relative_to(ROOT))))
    return found


def test_architecture_lists_exactly_the_components() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    listed = set(re.findall(r"^\| `(\w+)` \| `(components/\w+\.py)` \|", text, re.MULTILINE))
    defined = component_classes()
    assert defined, "no ComponentResource found in components/"
    assert listed == defined, (
        "docs/architecture.md's component table is out of date: "
        f"missing {sorted(defined - listed)}, extra {sorted(listed - defined)}"
    )


def test_configuration_reference_is_generated_from_the_sources() -> None:
    assert DOC.read_text() == rendered(DOC.read_text()), (
        f"{DOC.relative_to(ROOT)} is stale: run `make docs` and commit the result"
    )


def test_every_snowflake_setting_the_program_reads_has_a_note() -> None:
    read = {*SNOWFLAKE_CONNECTION_KEYS, *SNOWFLAKE_SECRET_KEYS, "previewFeaturesEnabled"}
    assert set(SNOWFLAKE_NOTES) == read, (
        f"tests/config_doc.py: notes missing for {sorted(read - set(SNOWFLAKE_NOTES))}, "
        f"notes for keys the program does not read: {sorted(set(SNOWFLAKE_NOTES) - read)}"
    )
