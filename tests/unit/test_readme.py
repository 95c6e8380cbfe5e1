"""The README stays true about settings and commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff.ops.cli import main
from handoff.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"`HANDOFF_{name.upper()}`" in README


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_documented(command: str) -> None:
    assert f"handoff {command}" in README


def test_the_two_commands_come_first() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]

    assert "make demo" in first_block
    assert "make test" in first_block
