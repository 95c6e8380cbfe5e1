"""Violations of Handoff's own rules, raised by the pure domain layer::

    RuleViolation
    ├── ValidationFailed     the data is not complete enough to act on
    ├── IllegalTransition    a forecast state change the state machine forbids
    └── PolicyInvalid        the policy file says something impossible

None of them is ever retried: the same input gives the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["IllegalTransition", "PolicyInvalid", "RuleViolation", "ValidationFailed"]


class RuleViolation(Exception):
    """A domain rule was broken."""


class ValidationFailed(RuleViolation):
    """The record cannot be acted on until the listed problems are fixed."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class IllegalTransition(RuleViolation):
    """The forecast state machine forbids moving from ``current`` to ``target``."""

    def __init__(self, current: str, target: str, reason: str = "") -> None:
        self.current = current
        self.target = target
        text = f"cannot move a project from {current} to {target}"
        super().__init__(f"{text}: {reason}" if reason else text)


class PolicyInvalid(RuleViolation):
    """The policy is malformed; the message names the offending setting."""
