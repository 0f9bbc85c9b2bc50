"""The command as a process: run it, or serve and wait until ready."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.factories import PASSWORD

COMMAND = [sys.executable, "-m", "customer_registry"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(**settings: str) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CUSTOMER_REGISTRY_")
    }
    environment.update({f"CUSTOMER_REGISTRY_{name.upper()}": v for name, v in settings.items()})
    return environment


def run(arguments: list[str], cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command
        [*COMMAND, *arguments],
        cwd=cwd,
        env=_environment(**settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@contextmanager
def serving(cwd: Path, **settings: str) -> Iterator[str]:
    port = _free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [*COMMAND, "serve", "--port", str(port)],
            cwd=cwd,
            env=_environment(**settings),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"serve exited early: {log.read_text()}")
            try:
                if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("serve did not become ready")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


BOOTSTRAP = {"bootstrap_admin_username": "root-admin", "bootstrap_admin_password": PASSWORD}
