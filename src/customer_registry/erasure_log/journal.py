"""The erasure log file: append-only JSON lines, each written and fsynced in one call.

Two kinds of line, neither with personal data:

    {"entry": "<uuid>", "event": "erased", "customer_id": "<uuid>",
     "erased_at": "2026-11-27T14:30:00+00:00", "reference": "gdpr_request:<uuid>"}
    {"entry": "<uuid>", "event": "cancelled", "at": "2026-11-27T14:30:01+00:00"}

An `erased` line is written before the erasing transaction commits; when that transaction
rolls back instead, a `cancelled` line for the same entry follows. The file is opened with
O_APPEND and each line goes out in a single write, so concurrent workers never interleave
lines. A crash in the middle of a write can leave a last line without its newline: reading
ignores such a torn last line (it was never committed) and fails on any other bad line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ERASED = "erased"
CANCELLED = "cancelled"


class ErasureLogError(Exception):
    """The erasure log file cannot be written or read; the message names the line, no data."""


@dataclass(frozen=True, slots=True)
class LoggedErasure:
    """One erasure as the log records it."""

    entry: uuid.UUID
    customer_id: uuid.UUID
    erased_at: dt.datetime
    reference: str


@dataclass(slots=True)
class ErasureLog:
    """What a log file holds: its erasures in order, without the cancelled ones."""

    erasures: list[LoggedErasure] = field(default_factory=list)
    cancelled: int = 0
    torn_last_line: bool = False

    def latest_per_customer(self) -> list[LoggedErasure]:
        """The newest erasure of each customer, in the order of their first erasure."""
        latest: dict[uuid.UUID, LoggedErasure] = {}
        for erasure in self.erasures:
            latest[erasure.customer_id] = erasure
        return list(latest.values())


def erased_line(erasure: LoggedErasure) -> str:
    return _line(
        {
            "entry": str(erasure.entry),
            "event": ERASED,
            "customer_id": str(erasure.customer_id),
            "erased_at": erasure.erased_at.isoformat(),
            "reference": erasure.reference,
        }
    )


def cancelled_line(entry: uuid.UUID, at: dt.datetime) -> str:
    return _line({"entry": str(entry), "event": CANCELLED, "at": at.isoformat()})


def _line(values: dict[str, str]) -> str:
    return json.dumps(values, separators=(",", ":")) + "\n"


def append(path: Path, lines: list[str]) -> None:
    """Append whole lines and make them durable before returning."""
    data = "".join(lines).encode()
    created = not path.exists()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as error:
        raise ErasureLogError(
            f"the erasure log {path} cannot be opened ({type(error).__name__})"
        ) from error
    try:
        written = os.write(descriptor, data)
        if written != len(data):
            raise ErasureLogError(f"the erasure log {path} took only part of a line")
        os.fsync(descriptor)
    except OSError as error:
        raise ErasureLogError(
            f"the erasure log {path} cannot be written ({type(error).__name__})"
        ) from error
    finally:
        os.close(descriptor)
    if created:
        _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make a new file's directory entry durable too (POSIX; a no-op where unsupported)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def read(path: Path) -> ErasureLog:
    """The erasures of a log file; a missing file is an error (a wrong path must not pass)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ErasureLogError(
            f"the erasure log {path} cannot be read ({type(error).__name__})"
        ) from error
    log = ErasureLog()
    erasures: dict[uuid.UUID, LoggedErasure] = {}
    cancelled: set[uuid.UUID] = set()
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            values = json.loads(line)
            entry = uuid.UUID(values["entry"])
            if values["event"] == ERASED:
                erased_at = dt.datetime.fromisoformat(values["erased_at"])
                if erased_at.tzinfo is None:
                    raise ValueError("naive time")
                erasures[entry] = LoggedErasure(
                    entry=entry,
                    customer_id=uuid.UUID(values["customer_id"]),
                    erased_at=erased_at,
                    reference=str(values["reference"]),
                )
            elif values["event"] == CANCELLED:
                cancelled.add(entry)
            else:
                raise ValueError("unknown event")
        except (ValueError, KeyError, TypeError):
            if number == len(lines):  # no newline after it: a write cut short by a crash
                log.torn_last_line = True
                continue
            raise ErasureLogError(f"line {number} of the erasure log {path} is malformed") from None
    log.erasures = [erasure for entry, erasure in erasures.items() if entry not in cancelled]
    log.cancelled = len(cancelled & erasures.keys())
    return log
