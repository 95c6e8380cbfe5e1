"""docs/policy.md stays true: its example loads, its defaults are the code's."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from handoff.adapters.policy_file import load_policy
from handoff.domain.policy import DEFAULT_POLICY

DOC = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text()
EXAMPLE, DEFAULTS = re.findall(r"```yaml\n(.*?)```", DOC, flags=re.DOTALL)


def test_the_example_policy_loads(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(EXAMPLE)

    policy = load_policy(path)

    assert policy.source == "quote"
    assert policy.rocketlane.upsell == "new_phase"
    assert policy.products.treatment("Consulting") == "ignore"


def test_the_documented_defaults_are_the_built_in_policy(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(DEFAULTS)

    assert load_policy(path) == DEFAULT_POLICY
    assert yaml.safe_load(DEFAULTS) == DEFAULT_POLICY.model_dump(mode="json")
