"""Structured logging: one JSON object per line on stderr, and named operational events
(`log_event`); no record carries personal data."""

from __future__ import annotations

import logging
import time
import traceback
from functools import lru_cache
from typing import Any

from pydantic_core import to_json

EVENT_LOGGER = "customer_registry.events"
ACCESS_LOGGER = "customer_registry.access"

# Attributes every LogRecord has; anything else on a record came from `extra=`.
# Uvicorn's `color_message` repeats the message with terminal colour codes.
_LEFT_OUT_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message and its extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc_timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _LEFT_OUT_ATTRIBUTES and not name.startswith("_"):
                entry[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = describe_exception(record.exc_info[1])
        # Pydantic's serialiser: several times faster than `json.dumps` for a line per request.
        return to_json(entry, fallback=str).decode()


@lru_cache(maxsize=4)
def _utc_second(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def _utc_timestamp(created: float) -> str:
    """ISO 8601 in UTC with milliseconds, e.g. `2026-11-27T13:51:45.709Z` (cheap per line)."""
    seconds = int(created)
    return f"{_utc_second(seconds)}.{int((created - seconds) * 1000):03d}Z"


def describe_exception(error: BaseException | None) -> dict[str, Any]:
    """An exception's type and innermost frames, without its message."""
    if error is None:
        return {}
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "type": type(error).__name__,
        "at": [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in frames[-8:]],
    }


def log_request(level: int, fields: dict[str, Any]) -> None:
    """The access log's line for one request, as `log(level, "request", extra=fields)` on
    the access logger writes it, without a source location."""
    if _access_logger.isEnabledFor(level):
        record = logging.getLogRecordFactory()(
            ACCESS_LOGGER, level, __file__, 0, "request", None, None, "log_request"
        )
        record.__dict__.update(fields)
        _access_logger.handle(record)


_access_logger = logging.getLogger(ACCESS_LOGGER)


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log a named operational event; `fields` are ids, counts or states, never personal data."""
    logging.getLogger(EVENT_LOGGER).log(level, event, extra={"event": event, **fields})


def logging_config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` document (also uvicorn's `log_config`): JSON lines on
    stderr at `level` for the service, uvicorn and Alembic, warnings for other libraries."""
    libraries = logging.getLevelName(max(logging.WARNING, logging.getLevelName(level)))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": libraries},
        "loggers": {
            "customer_registry": {"level": level},
            "uvicorn": {"level": level},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "alembic.runtime.migration": {"level": level},
        },
    }


def configure_logging(level: str) -> None:
    """Send every log record of this process to stderr as JSON lines."""
    import logging.config

    logging.config.dictConfig(logging_config(level))
