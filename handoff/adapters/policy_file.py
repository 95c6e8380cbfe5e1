"""Reading the policy from its YAML file.

The file holds only what differs from the defaults; every section and key is
checked, and a mistake is reported with its place in the file, e.g.
``policy.yaml: forecast.reserve_probability: Input should be a valid decimal``.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from handoff.domain.errors import PolicyInvalid
from handoff.domain.policy import DEFAULT_POLICY, Policy

__all__ = ["load_policy"]


def load_policy(path: Path | None) -> Policy:
    """The policy in ``path``, or the defaults when there is no file.

    Raises PolicyInvalid naming the file and the offending setting.
    """
    if path is None:
        return DEFAULT_POLICY
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyInvalid(f"{path}: cannot be read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise PolicyInvalid(f"{path}: is not valid YAML: {error}") from error
    if raw is None:
        return DEFAULT_POLICY
    if not isinstance(raw, dict):
        raise PolicyInvalid(f"{path}: the policy must be a mapping of sections")
    try:
        return Policy.model_validate(raw)
    except ValidationError as error:
        raise PolicyInvalid(f"{path}: {_problems(error)}") from error


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in error.errors()
    )
