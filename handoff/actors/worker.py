"""The module the Dramatiq CLI loads in each worker process.

``handoff worker`` runs ``dramatiq handoff.actors.worker``; importing this
module is the bootstrap step that builds the broker. The Runtime (clients,
store, locks) is built later, after the fork, by ``RuntimeBoot``.
"""

from __future__ import annotations

from handoff.settings import load_settings

from .bootstrap import RuntimeBoot, prometheus_middleware
from .broker import build_broker
from .logcontext import configure_logging

settings = load_settings()
configure_logging(settings.log_level, settings.log_format)
broker = build_broker(settings)
broker.add_middleware(RuntimeBoot(settings))
if settings.metrics_port is not None:
    broker.add_middleware(prometheus_middleware(settings))
