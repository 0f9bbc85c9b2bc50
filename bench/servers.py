"""Starting the servers under test, and sampling their memory from /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "customer_registry", "serve",
        "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip


def baseline_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "bench.baseline:app",
        "--port", str(port), "--workers", str(workers),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


REPOSITORY = Path(__file__).resolve().parents[1]


def python_path(source: Path | None = None) -> str:
    """The service's `src/` from `source` (a checkout or worktree root; default this
    checkout), then this checkout's bench, ahead of whatever the environment has installed."""
    service = (source.resolve() if source else REPOSITORY) / "src"
    return f"{service}{os.pathsep}{REPOSITORY}"


@contextmanager
def running(
    command: list[str],
    port: int,
    environment: dict[str, str],
    log: Path,
    source: Path | None = None,
) -> Iterator[tuple[str, int]]:
    """Start a server, wait for /readyz, and stop it (with its workers) afterwards.

    The service's code comes from `source`'s `src/` when given, else from this checkout's.
    """
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env={**environment, "PYTHONPATH": python_path(source)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[2:4]} exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not become ready:\n{log.read_text()}")
            time.sleep(0.2)
        yield base_url, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                # The command name may contain spaces; the fields after it may not.
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _tree(root: int) -> list[int]:
    children = _children()
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def tree_rss_bytes(root: int) -> int:
    """The resident memory of a process and all its descendants, summed."""
    total = 0
    for pid in _tree(root):
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> dict[int, float]:
    """User and system CPU seconds of each process in the tree."""
    seconds = {}
    for pid in _tree(root):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime and stime are fields 14 and 15 of stat(5); 12 and 13 after the name.
        seconds[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return seconds


class ServerSampler:
    """Samples a server's process tree while load runs: peak memory and CPU time used.

    CPU seconds per request stay comparable when other work shares the machine, where
    requests per second do not.
    """

    def __init__(self, root: int, interval: float = 0.2) -> None:
        self.root = root
        self.interval = interval
        self.start_rss_bytes = 0
        self.peak_rss_bytes = 0
        self.cpu_seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_rss_bytes = max(self.peak_rss_bytes, tree_rss_bytes(self.root))
            self._stop.wait(self.interval)

    def __enter__(self) -> ServerSampler:
        self.start_rss_bytes = tree_rss_bytes(self.root)
        self._cpu_before = tree_cpu_seconds(self.root)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        after = tree_cpu_seconds(self.root)
        self.cpu_seconds = sum(used - self._cpu_before.get(pid, 0.0) for pid, used in after.items())
