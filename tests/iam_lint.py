"""IAM documents through the parliament linter: unknown actions, condition keys that do not apply
to an action, resources that do not fit an action, malformed statements."""

from __future__ import annotations

import json
from typing import Any

from parliament import analyze_policy_string

# A role trust policy names no Resource by definition (the role is the resource); parliament only
# knows identity policies, so that single finding is expected there and nowhere else.
_TRUST_POLICY_FINDING = "Statement contains neither Resource nor NotResource"


def lint(document: dict[str, Any], *, trust_policy: bool = False) -> list[str]:
    """The findings on `document`, as readable lines; empty when clean."""
    policy = analyze_policy_string(json.dumps(document), ignore_private_auditors=True)
    return [
        f"{finding.issue}: {finding.detail}"
        for finding in policy.findings
        if not (trust_policy and finding.detail == _TRUST_POLICY_FINDING)
    ]
