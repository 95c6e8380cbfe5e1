"""The ``handoff`` command line.

Every command reads its settings from HANDOFF_* variables (see the README);
a wrong one stops the command before it does anything, naming the variable.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from handoff.adapters.cdc import InvalidChangeEvent
from handoff.adapters.errors import IntegrationError
from handoff.domain.errors import RuleViolation
from handoff.settings import Settings, SettingsError, load_settings

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])
EXIT_USAGE = 2


@contextmanager
def _clear_errors() -> Iterator[None]:
    """Turn known errors into one readable line and a non-zero exit."""
    try:
        yield
    except (
        SettingsError,
        RuleViolation,
        InvalidChangeEvent,
        IntegrationError,
    ) as error:
        raise click.ClickException(str(error)) from error


def _settings() -> Settings:
    with _clear_errors():
        return load_settings()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="handoff")
def main() -> None:
    """Handoff: what sales sells in Salesforce becomes delivery in Rocketlane."""


@main.command()
@click.option("--keep", is_flag=True, help="Keep the sandboxes running afterwards.")
def demo(keep: bool) -> None:
    """Run the whole path on embedded defaults and say what happened."""
    from handoff.ops.demo import run_demo  # noqa: PLC0415

    with _clear_errors():
        run_demo(_settings(), keep=keep, echo=click.echo)


@main.command()
@click.option(
    "--processes", type=int, help="Worker processes [HANDOFF_WORKER_PROCESSES]."
)
@click.option(
    "--threads", type=int, help="Threads per process [HANDOFF_WORKER_THREADS]."
)
@click.option("--queues", multiple=True, help="Only these queues (repeatable).")
def worker(processes: int | None, threads: int | None, queues: tuple[str, ...]) -> None:
    """Run actor workers (Dramatiq) on the configured broker."""
    settings = _settings()
    if settings.embedded:
        raise click.ClickException(
            "handoff worker needs a shared broker: set HANDOFF_BROKER_URL "
            "(redis://host:6379/0). For a single-process run, try `handoff demo`."
        )
    with _clear_errors():
        settings.require_remote_systems()
        from handoff.actors.bootstrap import open_store  # noqa: PLC0415

        open_store(settings, migrate=True).close()
    argv = [
        "dramatiq",
        "handoff.actors.worker",
        "--processes",
        str(processes or settings.worker_processes),
        "--threads",
        str(threads or settings.worker_threads),
    ]
    if queues:
        argv += ["--queues", *queues]
    if settings.metrics_port is not None:
        from handoff.actors.bootstrap import prometheus_environment  # noqa: PLC0415

        os.environ.update(prometheus_environment(settings))
    os.execvp(sys.executable, [sys.executable, "-m", *argv])  # noqa: S606


@main.command()
@click.argument("source", type=click.File("rb"), default="-")
@click.option("--dry-run", is_flag=True, help="Validate and route, enqueue nothing.")
def publish(source: Any, dry_run: bool) -> None:
    """Enqueue Salesforce change events from SOURCE (a file, or - for stdin).

    SOURCE holds one event, a JSON array, or JSON lines, in the CometD or
    decoded Pub/Sub shape.
    """
    from handoff.actors.producer import route_event  # noqa: PLC0415
    from handoff.ops.ingress import parse_events  # noqa: PLC0415

    settings = _settings()
    with _clear_errors():
        events = parse_events(source.read())
    if dry_run:
        for event in events:
            routed = route_event(event, client_tag=settings.salesforce_client_tag)
            click.echo(_describe_routing(event.event_id, routed))
        return
    producer = _producer(settings)
    for event in events:
        click.echo(_describe_routing(event.event_id, producer.publish(event)))


@main.command()
@click.option("--host", help="Bind address [HANDOFF_INGRESS_HOST].")
@click.option("--port", type=int, help="Port [HANDOFF_INGRESS_PORT].")
def ingress(host: str | None, port: int | None) -> None:
    """Serve the HTTP ingress that producers post change events to."""
    import uvicorn  # noqa: PLC0415

    from handoff.adapters.telemetry import configure_tracing  # noqa: PLC0415
    from handoff.ops.ingress import build_ingress, config_from_settings  # noqa: PLC0415

    settings = _settings()
    configure_tracing(service_name="handoff-ingress")
    config = config_from_settings(settings, _store(settings))
    if not config.accepts_webhooks:
        click.echo(
            "Rocketlane webhooks are refused: set HANDOFF_WEBHOOK_USERNAME and "
            "HANDOFF_WEBHOOK_PASSWORD, or HANDOFF_WEBHOOK_SECRET.",
            err=True,
        )
    app = build_ingress(_producer(settings), config)
    uvicorn.run(
        app, host=host or settings.ingress_host, port=port or settings.ingress_port
    )


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Bind address of both sandboxes.",
)
@click.option("--salesforce-port", type=int, default=8081, show_default=True)
@click.option("--rocketlane-port", type=int, default=8082, show_default=True)
@click.option(
    "--cdc-subscriber",
    multiple=True,
    metavar="URL",
    help="Post Salesforce change events here (repeatable).",
)
@click.option(
    "--client-id",
    default="handoff-sandbox",
    show_default=True,
    help="Accepted OAuth client ID.",
)
@click.option(
    "--client-secret",
    default="handoff-sandbox-secret",
    show_default=True,
    help="Accepted OAuth client secret.",
)
@click.option(
    "--jwt-public-key",
    type=click.Path(exists=True, dir_okay=False),
    help="PEM public key for the JWT bearer flow.",
)
@click.option(
    "--daily-api-limit",
    type=int,
    default=15_000,
    show_default=True,
    help="Salesforce daily API allocation.",
)
@click.option(
    "--api-key",
    multiple=True,
    metavar="KEY",
    help="Accepted Rocketlane API key (repeatable) [rl-sandbox-key].",
)
@click.option(
    "--template-create-delay",
    type=float,
    default=0.05,
    show_default=True,
    help="Seconds a Rocketlane template create takes.",
)
@click.option(
    "--webhook",
    multiple=True,
    metavar="URL",
    help="Post Rocketlane webhooks here (repeatable).",
)
@click.option("--webhook-username", help="Basic auth user on webhook deliveries.")
@click.option("--webhook-password", help="Basic auth password on webhook deliveries.")
@click.option(
    "--salesforce-fault",
    multiple=True,
    metavar="K=V,...",
    help="A Salesforce fault, e.g. operation=upsert,kind=error,status=503,probability=0.2.",
)
@click.option(
    "--rocketlane-fault",
    multiple=True,
    metavar="K=V,...",
    help="A Rocketlane fault, e.g. operation=projects.create,kind=drop,count=1.",
)
def sandbox(**options: Any) -> None:
    """Serve the Salesforce and Rocketlane sandboxes until interrupted."""
    from handoff.ops.sandbox.command import serve_sandboxes  # noqa: PLC0415

    try:
        serve_sandboxes(echo=click.echo, **options)
    except ValueError as error:
        raise click.UsageError(str(error)) from error


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address.")
@click.option("--port", type=int, default=8090, show_default=True)
def dashboard(host: str, port: int) -> None:
    """Serve the operators' dashboard: activity, projects, dead letters, capacity."""
    import uvicorn  # noqa: PLC0415

    from handoff.ops.dashboard import (  # noqa: PLC0415
        Dashboard,
        build_dashboard,
        capacity_from_rocketlane,
    )

    settings = _settings()
    store = _store(settings)
    capacity = None
    if settings.rocketlane_api_key is not None and settings.salesforce_url is not None:
        from handoff.actors.bootstrap import build_rocketlane  # noqa: PLC0415

        capacity = capacity_from_rocketlane(build_rocketlane(settings), store)
    app = build_dashboard(Dashboard(store, capacity=capacity))
    click.echo(f"Dashboard on http://{host}:{port}/dashboard")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema (HANDOFF_DATABASE_URL)."""
    from handoff.actors.bootstrap import open_store  # noqa: PLC0415

    settings = _settings()
    with _clear_errors():
        open_store(settings, migrate=True).close()
    click.echo(f"The database at {_safe_url(settings.database_url)} is up to date.")


@main.group("dead-letters")
def dead_letters() -> None:
    """Inspect and replay messages that failed for good."""


@dead_letters.command("list")
@click.option(
    "--status", type=click.Choice(["open", "replayed", "discarded"]), default="open"
)
@click.option("--limit", type=int, default=50)
def dead_letters_list(status: str, limit: int) -> None:
    """List dead letters, newest first."""
    store = _store()
    letters = store.list_dead_letters(status=status, limit=limit)
    if not letters:
        click.echo(f"No {status} dead letters.")
    for letter in letters:
        click.echo(
            f"#{letter.id}  {letter.failed_at:%Y-%m-%d %H:%M:%S}  {letter.actor:<16} "
            f"{letter.correlation_key or '-':<24} {letter.attempts} attempt(s)  {letter.error[:80]}"
        )


@dead_letters.command("show")
@click.argument("letter_id", type=int)
def dead_letters_show(letter_id: int) -> None:
    """Show one dead letter in full."""
    with _clear_errors():
        letter = _store().get_dead_letter(letter_id)
    click.echo(json.dumps(_letter_dict(letter), indent=2, default=str))


@dead_letters.command("replay")
@click.argument("letter_ids", type=int, nargs=-1, required=True)
def dead_letters_replay(letter_ids: tuple[int, ...]) -> None:
    """Put dead letters back on their queues, as new messages."""
    from handoff.actors.broker import enqueue  # noqa: PLC0415

    settings = _settings()
    store = _store(settings)
    broker = _broker(settings)
    for letter_id in letter_ids:
        with _clear_errors():
            letter = store.get_dead_letter(letter_id)
            payload = letter.message["args"][0]
            new_id = enqueue(broker, payload, letter.actor)
            store.mark_dead_letter_replayed(letter_id, new_id)
        click.echo(f"Replayed #{letter_id} to {letter.actor} as message {new_id}.")


@dead_letters.command("discard")
@click.argument("letter_ids", type=int, nargs=-1, required=True)
def dead_letters_discard(letter_ids: tuple[int, ...]) -> None:
    """Mark dead letters as dealt with, without replaying them."""
    store = _store()
    for letter_id in letter_ids:
        with _clear_errors():
            store.discard_dead_letter(letter_id)
        click.echo(f"Discarded #{letter_id}.")


@main.command()
def check() -> None:
    """Print the effective settings (secrets hidden) and check them."""
    settings = _settings()
    for name, value in settings.model_dump().items():
        shown = (
            "********"
            if (value is not None and "secret" in name)
            or ("key" in name and "file" not in name and value)
            else value
        )
        click.echo(f"HANDOFF_{name.upper()}={'' if shown is None else shown}")
    click.echo("Settings are valid.")


def _describe_routing(event_id: str, routed: Any) -> str:
    if routed.skipped:
        return f"{event_id}: skipped, {routed.skipped}"
    sent = ", ".join(f"{m.actor} {m.correlation_id}" for m in routed.messages)
    return f"{event_id}: {sent}"


def _broker(settings: Settings) -> Any:
    from handoff.actors.broker import build_broker  # noqa: PLC0415

    if settings.embedded:
        raise click.ClickException(
            "this command needs the shared broker: set HANDOFF_BROKER_URL (redis://…)"
        )
    return build_broker(settings)


def _producer(settings: Settings) -> Any:
    from handoff.actors.producer import Producer  # noqa: PLC0415

    return Producer(_broker(settings), client_tag=settings.salesforce_client_tag)


def _store(settings: Settings | None = None) -> Any:
    from handoff.actors.bootstrap import open_store  # noqa: PLC0415

    with _clear_errors():
        return open_store(settings or _settings(), migrate=True)


def _letter_dict(letter: Any) -> dict[str, Any]:
    from dataclasses import asdict  # noqa: PLC0415

    return asdict(letter)


def _safe_url(url: str) -> str:
    import sqlalchemy as sa  # noqa: PLC0415

    return sa.make_url(url).render_as_string(hide_password=True)


from handoff.ops import capacity_command, plan_command, reconcile_command  # noqa: E402

main.add_command(plan_command.plan)
main.add_command(capacity_command.capacity)
main.add_command(reconcile_command.reconcile)


if __name__ == "__main__":
    main()
