"""``handoff sandbox``: both sandboxes as real HTTP servers, from flags."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import rocketlane, salesforce

__all__ = ["parse_fault", "serve_sandboxes"]


def parse_fault(text: str) -> dict[str, Any]:
    """``k=v,k=v`` into a dict, numbers as numbers; raises ValueError."""
    fault: dict[str, Any] = {}
    for part in filter(None, (item.strip() for item in text.split(","))):
        name, separator, value = part.partition("=")
        if not separator or not name:
            raise ValueError(f"fault {text!r}: {part!r} is not key=value")
        fault[name.strip()] = _number(value.strip())
    if "kind" not in fault:
        raise ValueError(
            f"fault {text!r}: kind= is required (error, latency, timeout, drop)"
        )
    return fault


def _number(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


def salesforce_config(options: dict[str, Any]) -> salesforce.SandboxConfig:
    """The Salesforce sandbox's configuration from the command's flags."""
    key = options.get("jwt_public_key")
    return salesforce.SandboxConfig(
        client_id=options["client_id"],
        client_secret=options["client_secret"],
        jwt_public_key_pem=Path(key).read_text() if key else None,
        daily_api_limit=options["daily_api_limit"],
        subscriber_urls=tuple(options["cdc_subscriber"]),
        faults=tuple(_faults(salesforce.Fault.from_dict, options["salesforce_fault"])),
    )


def rocketlane_config(options: dict[str, Any]) -> rocketlane.SandboxConfig:
    """The Rocketlane sandbox's configuration from the command's flags."""
    defaults = rocketlane.SandboxConfig()
    keys = options["api_key"]
    webhooks = [
        rocketlane.WebhookConfig(
            url=url,
            username=options["webhook_username"],
            password=options["webhook_password"],
        )
        for url in options["webhook"]
    ]
    return rocketlane.SandboxConfig(
        api_keys={key: "Handoff integration" for key in keys}
        if keys
        else defaults.api_keys,
        template_create_delay_s=options["template_create_delay"],
        webhooks=webhooks,
        faults=_faults(
            lambda data: rocketlane.FaultRule(**data), options["rocketlane_fault"]
        ),
    )


def _faults(build: Callable[[dict[str, Any]], Any], texts: Sequence[str]) -> list[Any]:
    faults = []
    for text in texts:
        try:
            faults.append(build(parse_fault(text)))
        except (TypeError, ValueError) as error:
            raise ValueError(f"bad fault {text!r}: {error}") from error
    return faults


def serve_sandboxes(*, echo: Callable[[str], None], **options: Any) -> None:
    """Serve both sandboxes until interrupted."""
    from handoff.ops.stack import start_sandboxes  # noqa: PLC0415

    sandboxes = start_sandboxes(
        host=options["host"],
        salesforce_port=options["salesforce_port"],
        rocketlane_port=options["rocketlane_port"],
        salesforce_config=salesforce_config(options),
        rocketlane_config=rocketlane_config(options),
    )
    echo(
        f"Salesforce sandbox on {sandboxes.salesforce_url} (client {options['client_id']})"
    )
    echo(f"Rocketlane sandbox on {sandboxes.rocketlane_api_url}")
    echo("Admin endpoints under /__sandbox/ on both. Ctrl-C stops.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        echo("Stopping the sandboxes.")
    finally:
        sandboxes.stop()
