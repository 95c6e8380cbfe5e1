"""Log lines that say which project they are about.

While a message is processed, its correlation ID, actor, message ID and the
current trace ID are bound to every log line emitted, by any module, through
a logging filter reading context variables.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

from handoff.adapters.telemetry import current_trace_id

__all__ = ["ContextFilter", "bound", "configure_logging", "current_fields"]

_FIELDS: ContextVar[Mapping[str, str]] = ContextVar(
    "handoff_log_fields", default=MappingProxyType({})
)
_BOUND_NAMES = ("correlation_id", "actor", "message_id")
TEXT_FORMAT = (
    "%(asctime)s %(levelname)-7s %(name)s "
    "[%(correlation_id)s %(actor)s trace=%(trace_id)s] %(message)s"
)


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """Bind fields to every log line emitted inside the block."""
    merged = {**_FIELDS.get(), **{k: v for k, v in fields.items() if v is not None}}
    token = _FIELDS.set(merged)
    try:
        yield
    finally:
        _FIELDS.reset(token)


def current_fields() -> Mapping[str, str]:
    """The fields bound right now."""
    return _FIELDS.get()


class ContextFilter(logging.Filter):
    """Adds the bound fields and the trace ID to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _FIELDS.get()
        for name in _BOUND_NAMES:
            setattr(record, name, fields.get(name, "-"))
        record.trace_id = current_trace_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **{
                name: getattr(record, name, "-") for name in (*_BOUND_NAMES, "trace_id")
            },
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send log lines to standard error, with the context on each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    formatter = JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
