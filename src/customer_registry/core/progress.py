"""Progress of long runs (migrations, retention, exports, audit verification) on stderr."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TextIO, TypeVar

T = TypeVar("T")

TERMINAL_REFRESH_SECONDS = 0.1


class Progress:
    """Counts work done and shows it on a stream (stderr by default)."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        stream: TextIO | None = None,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.clock = clock
        self.is_terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = clock()
        self._last_shown = self.started
        self._finished = False

    def __enter__(self) -> Progress:
        if self.is_terminal:
            self._show()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finish(failed=exc_type is not None)

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = self.clock()
        wait = TERMINAL_REFRESH_SECONDS if self.is_terminal else self.interval
        if now - self._last_shown >= wait:
            self._last_shown = now
            self._show()

    def finish(self, *, failed: bool = False) -> None:
        """Show the final count once; a failed run says so."""
        if self._finished:
            return
        self._finished = True
        seconds = self.clock() - self.started
        outcome = "stopped" if failed else "done"
        line = f"{self.label}: {outcome}, {self._count()} in {seconds:.1f} s"
        if self.is_terminal:
            self.stream.write(f"\r\x1b[K{line}\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _count(self) -> str:
        if self.total is None:
            return str(self.done)
        percent = 100 * self.done // self.total if self.total else 100
        return f"{self.done}/{self.total} ({percent}%)"

    def _show(self) -> None:
        line = f"{self.label}: {self._count()}"
        if self.is_terminal:
            self.stream.write(f"\r\x1b[K{line}")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def track(
    items: Iterable[T],
    label: str,
    total: int | None = None,
    *,
    stream: TextIO | None = None,
    interval: float = 10.0,
) -> Iterator[T]:
    """Iterate over `items`, advancing a progress display by one for each."""
    with Progress(label, total, stream=stream, interval=interval) as progress:
        for item in items:
            yield item
            progress.advance()
