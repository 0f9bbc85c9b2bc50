"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint is one JSON line `{"position", "hash", "created_at", "signature"}`, where
`signature` is HMAC-SHA256, as 64 hex digits, over

    customer-registry audit checkpoint v1\\n{position}\\n{hash}\\n{created_at}

with a key the database never holds (a key file, or one derived from the secret key). Each
service process appends one to the checkpoint file and logs it (event `audit_checkpoint`)
every `audit_checkpoint_interval_seconds` when the head has moved, and once when it shuts
down, as Certificate Transparency publishes signed tree heads. Whoever can rewrite the
database, triggers and all, cannot make a checkpoint for a chain they cut short: `audit
verify` checks that the chain still holds the newest one. Appends of whole lines with
O_APPEND are safe from several processes on one file.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

from customer_registry.audit.chain import SessionFactory, seal
from customer_registry.audit.chain_repository import AuditChainRepository
from customer_registry.core.logs import log_event
from customer_registry.models.base import utcnow

logger = logging.getLogger(__name__)

SIGNED_PREFIX = "customer-registry audit checkpoint v1"


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    position: int
    hash: str
    created_at: str
    signature: str

    def line(self) -> str:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":")) + "\n"


def _signature(key: bytes, position: int, chain_hash: str, created_at: str) -> str:
    message = f"{SIGNED_PREFIX}\n{position}\n{chain_hash}\n{created_at}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(key: bytes, position: int, chain_hash: str, created_at: dt.datetime) -> Checkpoint:
    """A checkpoint of the head at `position` with `chain_hash`."""
    moment = created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return Checkpoint(position, chain_hash, moment, _signature(key, position, chain_hash, moment))


@dataclasses.dataclass
class CheckpointFile:
    """What a checkpoint file holds: the newest correctly signed checkpoint, and bad lines."""

    newest: Checkpoint | None = None
    checkpoints: int = 0
    bad_lines: list[int] = dataclasses.field(default_factory=list)


def read_checkpoints(path: Path, key: bytes) -> CheckpointFile:
    """Every line checked against the key; a line that is not a correctly signed checkpoint
    (forged, edited, or cut off in a crash) is listed by its number."""
    found = CheckpointFile()
    if not path.exists():
        return found
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                document = json.loads(line)
                checkpoint = Checkpoint(
                    position=int(document["position"]),
                    hash=str(document["hash"]),
                    created_at=str(document["created_at"]),
                    signature=str(document["signature"]),
                )
            except (ValueError, KeyError, TypeError):
                found.bad_lines.append(number)
                continue
            expected = _signature(key, checkpoint.position, checkpoint.hash, checkpoint.created_at)
            if not hmac.compare_digest(expected, checkpoint.signature):
                found.bad_lines.append(number)
                continue
            found.checkpoints += 1
            if found.newest is None or checkpoint.position >= found.newest.position:
                found.newest = checkpoint
    return found


def append(path: Path, checkpoint: Checkpoint) -> None:
    """Append one checkpoint line and flush it to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(descriptor, checkpoint.line().encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


async def write_checkpoint(
    session_factory: SessionFactory, key: bytes, path: Path, *, unless_at: int | None = None
) -> Checkpoint | None:
    """Sign the chain's head, append it to the file and log it; None for an empty chain or
    a head still at `unless_at`."""
    async with session_factory() as session:
        head = await AuditChainRepository(session).head()
    if head is None or head[0] == unless_at:
        return None
    checkpoint = sign(key, head[0], head[1], utcnow())
    await asyncio.to_thread(append, path, checkpoint)
    log_event("audit_checkpoint", **dataclasses.asdict(checkpoint))
    return checkpoint


@contextlib.asynccontextmanager
async def background_checkpoints(
    session_factory: SessionFactory,
    key: bytes,
    path: Path,
    *,
    interval: float,
    seal_at_end: bool = True,
) -> AsyncIterator[None]:
    """Checkpoint every `interval` seconds while the head moves, and once at the end, after
    sealing what is committed when `seal_at_end` (no periodic checkpoints when interval is 0)."""
    written: list[int | None] = [None]

    async def checkpoint(unless_at: int | None) -> None:
        made = await write_checkpoint(session_factory, key, path, unless_at=unless_at)
        if made is not None:
            written[0] = made.position

    async def run() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await checkpoint(written[0])
            except Exception as error:  # the next run tries again; requests are unaffected
                logger.warning("writing an audit checkpoint failed: %s", type(error).__name__)

    task = asyncio.create_task(run(), name="audit-checkpoints") if interval > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            if seal_at_end:
                await seal(session_factory, full=False)
            await checkpoint(None)
        except Exception as error:  # shutting down goes on; the log says what was missed
            logger.warning("the shutdown audit checkpoint failed: %s", type(error).__name__)
