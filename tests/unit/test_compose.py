"""docker-compose.yml stays true: every Handoff command it runs parses, and
every setting it passes is one Handoff knows and accepts.

No Docker engine runs here; the integration tests run the same commands
(`handoff ingress`, `handoff worker`, `handoff sandbox`) as real processes.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from handoff.ops.cli import main
from handoff.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
HANDOFF_SERVICES = {
    name: service
    for name, service in COMPOSE["services"].items()
    if service.get("image") == "handoff:latest"
}


def handoff_arguments(service: dict[str, Any]) -> list[str]:
    """The `handoff` arguments a service runs, from its command or its shell loop."""
    if "command" in service:
        return list(service["command"])
    script = service["entrypoint"][-1]
    match = re.search(r"\bhandoff ([^;&|]+)", script)
    assert match, f"no handoff command in {script!r}"
    return shlex.split(match.group(1))


def test_the_compose_file_runs_every_role() -> None:
    assert set(HANDOFF_SERVICES) == {
        "sandboxes",
        "migrate",
        "ingress",
        "worker",
        "reconcile",
    }
    assert {"redis", "postgres", "jaeger"} <= set(COMPOSE["services"])
    assert (
        COMPOSE["services"]["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    )


@pytest.mark.parametrize("name", sorted(HANDOFF_SERVICES))
def test_each_handoff_command_parses(name: str) -> None:
    args = handoff_arguments(HANDOFF_SERVICES[name])

    with main.make_context("handoff", args) as context:
        command = main.get_command(context, args[0])
        assert command is not None, f"{name}: unknown command {args[0]!r}"
        command.make_context(args[0], args[1:], parent=context)


@pytest.mark.parametrize("name", sorted(HANDOFF_SERVICES))
def test_each_service_environment_is_valid(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment: dict[str, Any] = HANDOFF_SERVICES[name]["environment"]
    for variable, value in environment.items():
        monkeypatch.setenv(variable, str(value))
    unknown = {
        variable.removeprefix("HANDOFF_").lower()
        for variable in environment
        if variable.startswith("HANDOFF_")
    } - set(Settings.model_fields)

    settings = load_settings()

    assert unknown == set()
    settings.require_remote_systems()
    assert settings.broker_url and settings.database_url.startswith("postgresql")


def test_the_dockerfile_copies_what_exists() -> None:
    dockerfile = (ROOT / "ops" / "Dockerfile").read_text().splitlines()
    copied = [
        line.split()[1]
        for line in dockerfile
        if line.startswith("COPY ") and "--from" not in line
    ]

    for source in copied:
        assert (ROOT / source).exists(), source
    assert 'ENTRYPOINT ["handoff"]' in dockerfile


def test_an_unknown_option_would_be_caught() -> None:
    with (
        main.make_context("handoff", ["worker", "--proceses=2"]) as context,
        pytest.raises(click.UsageError),
    ):
        main.get_command(context, "worker").make_context(
            "worker", ["--proceses=2"], parent=context
        )  # type: ignore[union-attr]
